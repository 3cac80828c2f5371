"""The answer as Block Kit: the API's causes, fixes and question as blocks, and within Slack's limits however long the KB text."""
import json
from dataclasses import replace

from authdoctor.ask import Question
from authdoctor.diagnosis import FixStep


def test_answer_shows_code_stage_and_the_apis_top_three_causes(slack, error_block):
    msg = slack.command(error_block).get_json()
    answer = slack.api(error_block)
    assert msg["response_type"] == "ephemeral"
    assert msg["blocks"][0]["text"]["text"] == f"{answer['error_code']} · {answer['stage']} stage"
    assert slack.cause_ids(msg) == [c["id"] for c in answer["causes"][:3]]
    first = next(b for b in msg["blocks"] if b.get("block_id", "").startswith("cause:1:"))
    assert f"{answer['causes'][0]['probability']:.0%}" in first["text"]["text"]
    assert "• " in first["text"]["text"]  # the why


def test_first_fix_commands_are_in_a_code_block(slack, error_block):
    msg = slack.command(error_block).get_json()
    fix = slack.api(error_block)["causes"][0]["fix"][0]
    cmd = next(b for b in msg["blocks"] if b.get("block_id") == "cmd:1:0")["text"]["text"]
    assert cmd.startswith("```\n") and cmd.endswith("\n```")
    assert slack.escape(fix["commands"][0].splitlines()[0]) in cmd


def test_answer_offers_question_options_idk_all_fixes_and_share(slack, error_block):
    msg = slack.command(error_block).get_json()
    question = slack.api(error_block)["question"]
    ids = set(slack.buttons(msg))
    assert {f"answer:{i}" for i in range(len(question["options"]))} <= ids
    assert {"unknown:0", "fixes:0", "share:0"} <= ids


def test_not_recognised_says_so_with_the_closest_codes(slack):
    msg = slack.command("Error: Unsupported argument: An argument named \"foo\" is not expected here.").get_json()
    text = json.dumps(msg)
    assert msg["blocks"][0]["text"]["text"] == "Not an error I recognise"
    assert "Closest known codes" in text
    assert not slack.cause_ids(msg)


def test_a_declined_paste_says_what_it_is_instead_with_its_commands(slack, tls_refused):
    msg = slack.command(tls_refused).get_json()
    assert msg["blocks"][0]["text"]["text"] == "Not a credential failure"
    text = json.dumps(msg)
    assert "TLS certificate was refused" in text and "AWS_CA_BUNDLE" in text and "```" in text
    assert not slack.cause_ids(msg)


def test_secrets_in_the_paste_get_ephemeral_rotate_advice(slack, secret_paste):
    msg = slack.command(secret_paste).get_json()
    rotate = next(b for b in msg["blocks"] if b.get("block_id") == "rotate")
    assert msg["response_type"] == "ephemeral"
    assert "rotate" in rotate["text"]["text"]


def test_long_answers_such_as_the_causes_signs_are_listed_in_full_and_the_buttons_numbered(slack, icti):
    msg = slack.command(icti).get_json()
    question = next(b for b in msg["blocks"] if b.get("block_id") == "question")["text"]["text"]
    answers = next(b for b in msg["blocks"] if b.get("block_id") == "answers")["elements"]
    assert "telltale" in question and "AWS_SESSION_TOKEN" in question  # the first sign, whole
    assert [e["text"]["text"] for e in answers][:2] == ["1", "2"]


def test_reply_stays_within_block_kit_limits_however_long_the_kb_text(app, monkeypatch, slack, error_block):
    doctor = app.extensions["authdoctor"]
    real = doctor.diagnose

    def inflated(*args, **kwargs):
        answer = real(*args, **kwargs)
        fix = FixStep("f" * 4000, "**d** & <x> " * 600, "", ("echo '<&>' " * 500, "```" * 50))
        causes = tuple(replace(c, title="<&>" * 900, why=("w&" * 2000,) * 9, fix=(fix,) * 9,
                               docs=("https://example.com/" + "p" * 3000,) * 5) for c in answer.causes)
        question = Question("runner", "q" * 5000, "h" * 5000, tuple(f"o{i}" * 400 for i in range(40)),
                            ("L" * 300,) * 40, 1.0)
        return replace(answer, title="T" * 5000, error_code="E" * 400, causes=causes, question=question)

    monkeypatch.setattr(doctor, "diagnose", inflated)
    msg = slack.command(error_block).get_json()  # command() validates
    assert any(b["type"] == "actions" for b in msg["blocks"])


# --- other views, through the buttons --------------------------------------------------------

def test_all_fixes_lists_every_fix_of_the_leading_cause(response_server, slack, error_block):
    msg = slack.command(error_block).get_json()
    fixes = slack.api(error_block)["causes"][0]["fix"]
    slack.click(slack.buttons(msg)["fixes:0"], response_server.url)
    got = slack.posted(response_server)["json"]
    ids = {b.get("block_id") for b in got["blocks"]}
    assert {f"fix:1:{j}" for j in range(len(fixes))} <= ids
    assert "summary:0" in slack.buttons(got)


def test_all_fixes_view_stays_within_limits_with_many_long_fixes(app, monkeypatch, response_server, slack, error_block):
    doctor = app.extensions["authdoctor"]
    real = doctor.diagnose

    def many(*args, **kwargs):
        answer = real(*args, **kwargs)
        fix = FixStep("f" * 200, "d " * 2000, "", ("c " * 2000,))
        return replace(answer, causes=tuple(replace(c, fix=(fix,) * 30) for c in answer.causes))

    monkeypatch.setattr(doctor, "diagnose", many)
    msg = slack.command(error_block).get_json()
    slack.click(slack.buttons(msg)["fixes:0"], response_server.url)
    assert len(slack.posted(response_server)["json"]["blocks"]) <= 50


def test_share_posts_in_channel_without_the_pasted_text(response_server, slack, error_block):
    paste = error_block + "\nbucket = \"acme-private-tfstate-93731\""
    msg = slack.command(paste).get_json()
    slack.click(slack.buttons(msg)["share:0"], response_server.url, user="U0ABC123")
    got = slack.posted(response_server)["json"]
    text = json.dumps(got)
    assert got["response_type"] == "in_channel" and got["replace_original"] is False
    assert "acme-private-tfstate-93731" not in text and "7e6d5c4b" not in text
    assert list(slack.buttons(got)) == ["more:0"]  # the rest of the answer, for whoever clicks
    assert "<@U0ABC123>" in text


def test_an_unfamiliar_credential_failure_says_so_plainly_in_slack(slack):
    msg = slack.command("ERROR: request to https://example-platform.test/api failed: 401 Unauthorized").get_json()
    assert "the message itself is unfamiliar" in msg["blocks"][1]["text"]["text"]
    assert any(b["type"] == "actions" for b in msg["blocks"])  # the conversation starts


def test_an_answer_known_by_its_code_names_the_error_and_says_its_message_is_unfamiliar_in_slack(slack):
    msg = slack.command("Error: AuthFailure: the relay vector lantern was refused\n\tstatus code: 401, request id: x").get_json()
    title = msg["blocks"][1]["text"]["text"]
    assert "EC2 could not validate the credentials" in title and "its error code is known" in title


def test_hints_are_shown_as_they_are_typed_not_as_python_values(slack, error_block):
    msg = slack.command("in_docker=true key_prefix=AKIA " + error_block).get_json()
    footer = msg["blocks"][-1]["elements"][0]["text"]
    assert "in_docker=true" in footer and "True" not in footer


def test_help_lists_every_hint_with_the_values_it_takes(slack, kb):
    text = "\n".join(b["text"]["text"] for b in slack.command("help").get_json()["blocks"] if b.get("block_id", "").startswith("hints:"))
    for key, hint in kb.hints.items():
        assert f"`{key}=" in text
        if hint.type == "bool":
            assert f"`{key}=true` or `{key}=false`" in text
        if hint.type == "enum":
            assert all(f"`{v}`" in text for v in hint.values)
    assert "eu-west-1" in text and "1.5.7" in text


def test_share_posts_only_the_likeliest_cause_its_probability_and_first_fix(response_server, slack, error_block):
    from authdoctor.web.slack.blocks import SHARED_COMMAND_LINES
    msg = slack.command("key_prefix=ASIA " + error_block).get_json()
    top = slack.api(error_block, {"key_prefix": "ASIA"})["causes"][0]
    slack.click(slack.buttons(msg)["share:0"], response_server.url)
    got = slack.posted(response_server)["json"]
    lead = next(b for b in got["blocks"] if b.get("block_id") == "lead")["text"]["text"]
    first = next(b for b in got["blocks"] if b.get("block_id") == "first-fix")["text"]["text"]
    assert f"*Most likely ({top['probability']:.0%}):* {top['title']}" in lead
    assert top["fix"][0]["title"] in first and top["fix"][0]["commands"][0].splitlines()[0] in first
    code = "".join(first.split("```")[1::2])
    assert len(code.strip("\n").splitlines()) <= SHARED_COMMAND_LINES
    assert not any(b.get("block_id", "").startswith(("fix:", "cmd:", "cause:")) for b in got["blocks"])


def test_sharing_the_all_fixes_view_still_posts_the_short_summary(response_server, slack, error_block):
    msg = slack.command(error_block).get_json()
    slack.click(slack.buttons(msg)["fixes:0"], response_server.url)
    fixes = slack.posted(response_server)["json"]
    slack.click(slack.buttons(fixes)["share:0"], response_server.url)
    got = slack.posted(response_server)["json"]
    assert len(got["blocks"]) <= 6 and sum(b["text"]["text"].count("```") for b in got["blocks"] if b["type"] == "section") <= 2


def test_all_causes_on_a_shared_answer_shows_every_fix_to_the_clicker_alone(response_server, slack, error_block):
    paste = error_block + "\nbucket = \"acme-private-tfstate-93731\""
    msg = slack.command(paste).get_json()
    slack.click(slack.buttons(msg)["share:0"], response_server.url)
    shared = slack.posted(response_server)["json"]
    more = slack.buttons(shared)["more:0"]
    assert "acme-private-tfstate-93731" not in more["value"]
    slack.click(more, response_server.url, user="U0OTHER")
    got = slack.posted(response_server)["json"]
    assert got["response_type"] == "ephemeral" and got["replace_original"] is False
    assert any(b.get("block_id", "").startswith("fix:1:") for b in got["blocks"])
    assert "acme-private-tfstate-93731" not in json.dumps(got)  # nor in the clicker's own buttons


def test_all_causes_on_a_shared_answer_after_expiry_never_replaces_the_shared_message(app, monkeypatch, response_server, slack, error_block):
    from authdoctor.web.slack import views
    msg = slack.command(error_block).get_json()
    slack.click(slack.buttons(msg)["share:0"], response_server.url)
    more = slack.buttons(slack.posted(response_server)["json"])["more:0"]
    monkeypatch.setattr(app.extensions["authdoctor.slack"], "store", views.PasteStore())  # forgotten, as after 30 minutes
    slack.click(more, response_server.url)
    got = slack.posted(response_server)["json"]
    assert got["replace_original"] is False and got["response_type"] == "ephemeral" and "expired" in got["text"]


def test_terraform_and_config_blocks_are_labelled_and_not_shell(response_server, slack, error_block):
    msg = slack.command("key_prefix=ASIA " + error_block).get_json()
    slack.click(slack.buttons(msg)["fixes:0"], response_server.url)
    got = slack.posted(response_server)["json"]
    cmds = [b["text"]["text"] for b in got["blocks"] if b.get("block_id", "").startswith("cmd:")]
    assert any(t.startswith('_Terraform (HCL):_\n```\nprovider "aws" {') for t in cmds)
    assert not any(t.startswith("```\nprovider") for t in cmds)


def test_kb_code_spans_are_slack_code_and_buttons_show_no_markdown_marks(slack, icti):
    msg = slack.command(icti).get_json()
    question = next(b for b in msg["blocks"] if b.get("block_id") == "question")["text"]["text"]
    assert "`env | grep ^AWS_`" in question  # a sign's code span, as Slack shows code
    labels = [e["text"]["text"] for b in msg["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert not any("`" in label or "**" in label for label in labels)
    assert "\\`" not in json.dumps(msg) and "\\*" not in json.dumps(msg)
