"""Reading what a Slack user typed: hints first, Slack's markup and code fences undone, secrets masked, long pastes cut."""
import json

from authdoctor.web.slack import parse as slack_input

SIGNATURE_XML = ("Error: error loading state: SignatureDoesNotMatch: The request signature we calculated does not match "
                 "the signature you provided. Check your key and signing method.\n"
                 "<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match "
                 "the signature you provided.</Message></Error>")


def test_hints_before_the_error_are_used_like_the_api_hints(slack, error_block):
    msg = slack.command(f"runner=github-actions key_prefix=ASIA {error_block}").get_json()
    answer = slack.api(error_block, {"runner": "github-actions", "key_prefix": "ASIA"})
    assert slack.cause_ids(msg) == [c["id"] for c in answer["causes"][:3]]
    assert f"`{answer['answer_id']}`" in json.dumps(msg)


def test_code_fences_are_undone_before_diagnosis(slack, error_block):
    fenced = slack.command(f"runner=local ```text\n{error_block}\n```").get_json()
    inline = slack.command(f"runner=local `{error_block.splitlines()[0]}`").get_json()
    assert f"`{slack.api(error_block, {'runner': 'local'})['answer_id']}`" in json.dumps(fenced)
    assert f"`{slack.api(error_block.splitlines()[0], {'runner': 'local'})['answer_id']}`" in json.dumps(inline)


def test_slack_escapes_and_links_are_undone_before_diagnosis(slack):
    typed = SIGNATURE_XML + "\nsee https://docs.aws.amazon.com/x?a=1&b=2"
    sent = slack.escape(SIGNATURE_XML) + "\nsee <https://docs.aws.amazon.com/x?a=1&amp;b=2|https://docs.aws.amazon.com/x?a=1&amp;b=2>"
    msg = slack.command(sent).get_json()
    assert f"`{slack.api(typed)['answer_id']}`" in json.dumps(msg)


def test_unescape_turns_slack_markup_back_into_text():
    assert slack_input.unescape_slack("a &lt;b&gt; &amp;lt; <https://x.io|x.io> <https://y.io> <mailto:a@b.c|a@b.c>") \
        == "a <b> &lt; x.io https://y.io a@b.c"


def test_key_value_inside_a_fence_is_error_text_not_a_hint(slack, error_block):
    paste = f"runner=jenkins {error_block}"
    msg = slack.command(f"```\n{paste}\n```").get_json()
    assert f"`{slack.api(paste)['answer_id']}`" in json.dumps(msg)


def test_key_prefix_read_from_a_masked_key_still_counts(slack, secret_paste):
    msg = slack.command(secret_paste).get_json()
    answer = slack.api(secret_paste)
    assert answer["hints_used"]["key_prefix"]["value"] == "AKIA"
    assert slack.leading_cause(msg) == answer["causes"][0]["id"]
    assert f"`{answer['answer_id']}`" in json.dumps(msg)


# --- long pastes -----------------------------------------------------------------------------

def test_forty_kb_ci_log_around_an_error_gets_the_apis_answer(slack, error_block, ci_log):
    log = ci_log(40 * 1024, error_block)
    assert len(log) > 38 * 1024
    msg = slack.command(log).get_json()
    answer = slack.api(log)
    assert answer["recognized"]
    assert slack.leading_cause(msg) == answer["causes"][0]["id"]


def test_paste_over_64_kib_is_cut_to_its_error_like_tail(slack, error_block, ci_log):
    log = ci_log(180 * 1024, error_block)
    resp = slack.command(log)
    msg = resp.get_json()
    assert msg["blocks"][0]["text"]["text"].startswith("InvalidClientTokenId")
    assert "read the last 64 KiB" in json.dumps(msg)


def test_error_tail_keeps_error_lines_within_64_kib(error_block):
    text = "noise line\n" * 20000 + error_block + "\n" + "more noise\n" * 100
    kept = slack_input.keep_error_tail(text)
    assert len(kept.encode()) <= 64 * 1024
    assert error_block.splitlines()[0] in kept


def test_a_bot_posts_text_is_read_from_its_sections_and_attachments_not_its_buttons():
    from authdoctor.web.slack.parse import message_text
    message = {
        "type": "message", "subtype": "bot_message", "text": "Build failed: plan",
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "```Error: InvalidClientTokenId```"}},
                   {"type": "actions", "elements": [{"type": "button", "text": {"type": "plain_text", "text": "View logs"},
                                                     "value": "run-42"}]}],
        "attachments": [{"fallback": "f", "pretext": "Job terraform", "fields": [{"title": "Step", "value": "terraform plan"}]}],
    }
    text = message_text(message)
    assert text.splitlines() == ["Build failed: plan", "```Error: InvalidClientTokenId```", "Job terraform", "Step", "terraform plan"]


def test_a_persons_message_is_read_once_not_again_from_its_rich_text():
    from authdoctor.web.slack.parse import message_text
    message = {"text": "Error: InvalidClientTokenId", "blocks": [{"type": "rich_text", "elements": [
        {"type": "rich_text_section", "elements": [{"type": "text", "text": "Error: InvalidClientTokenId"}]}]}]}
    assert message_text(message) == "Error: InvalidClientTokenId"


def test_another_persons_message_gives_no_hints_and_is_masked(leaked):
    from authdoctor.web.slack.parse import parse_message
    parsed = parse_message({"text": f"runner=jenkins failed &lt;here&gt;\naws_secret_access_key = {leaked.secret}"})
    assert parsed.hints == {} and parsed.error.startswith("runner=jenkins failed <here>")
    assert leaked.secret not in parsed.error
