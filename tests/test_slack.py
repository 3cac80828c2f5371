"""The Slack door: signed slash command, Block Kit answers, buttons through response_url.

Requests are signed here by hand, exactly as Slack signs them (HMAC-SHA256 over
`v0:{timestamp}:{body}`), never with the library the server verifies with.
"""
from __future__ import annotations

import hashlib
import hmac
import http.server
import json
import queue
import threading
import time
import urllib.parse
from pathlib import Path

import pytest
from dataclasses import replace

from authdoctor.ask import Question
from authdoctor.diagnosis import FixStep
import yaml
from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    SectionBlock,
)

from authdoctor.web.slack import parse as slack_input
from authdoctor.web import create_app
from authdoctor.web.slack import views as slack_door

SECRET = "8f14e45fceea167a5a36dedd4bea2543"
CASES = Path(__file__).parent / "cases"

ERROR = ("Error: error configuring Terraform AWS Provider: error validating provider credentials: "
         "error calling sts:GetCallerIdentity: InvalidClientTokenId: The security token included in the request is invalid.\n"
         "\tstatus code: 403, request id: 7e6d5c4b-3a29-1807-f6e5-d4c3b2a19080\n\n"
         "  on main.tf line 1, in provider \"aws\":\n   1: provider \"aws\" {")
SIGNATURE_XML = ("Error: error loading state: SignatureDoesNotMatch: The request signature we calculated does not match "
                 "the signature you provided. Check your key and signing method.\n"
                 "<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match "
                 "the signature you provided.</Message></Error>")
KEY_ID = "AKIAJ7Q2ZK4XW3N5PLMD"
SECRET_KEY = "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"


# --- signing and posting, as Slack does ----------------------------------------

def signed_headers(body: str, ts: int | None = None, secret: str = SECRET) -> dict:
    ts = int(time.time()) if ts is None else ts
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(ts), "X-Slack-Signature": f"v0={digest}"}


def slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def command_body(text: str, response_url: str = "https://hooks.slack.com/commands/T1/1/x") -> str:
    return urllib.parse.urlencode({
        "token": "deprecated", "team_id": "T0001", "team_domain": "acme", "channel_id": "C0001",
        "channel_name": "infra", "user_id": "U0001", "user_name": "dev", "command": "/authdoctor",
        "text": text, "api_app_id": "A0001", "response_url": response_url, "trigger_id": "1.2.3",
    })


def post_form(client, path: str, body: str, headers: dict | None = None):
    return client.post(path, data=body, content_type="application/x-www-form-urlencoded",
                       headers=signed_headers(body) if headers is None else headers)


def slash(client, text: str):
    resp = post_form(client, "/slack/commands", command_body(text))
    if resp.status_code == 200:
        check_message(resp.get_json())
    return resp


def click(client, button: dict, response_url: str, user: str = "U0001"):
    payload = {
        "type": "block_actions", "team": {"id": "T0001", "domain": "acme"}, "user": {"id": user, "name": "dev"},
        "api_app_id": "A0001", "container": {"type": "message", "is_ephemeral": True},
        "trigger_id": "1.2.3", "response_url": response_url,
        "actions": [{"type": "button", "action_id": button["action_id"], "block_id": "x",
                     "value": button["value"], "action_ts": str(time.time())}],
    }
    return post_form(client, "/slack/interactions", urllib.parse.urlencode({"payload": json.dumps(payload)}))


# --- what a valid Slack message is ----------------------------------------------

def check_message(msg: dict) -> None:
    """Re-build every block with slack_sdk and check Slack's limits by hand as well."""
    assert isinstance(msg.get("text"), str) and msg["text"].strip(), "every message needs a text fallback"
    blocks = msg.get("blocks", [])
    assert 0 < len(blocks) <= 50
    block_ids = [b["block_id"] for b in blocks if "block_id" in b]
    assert len(block_ids) == len(set(block_ids))
    for b in blocks:
        parsed = Block.parse(b)
        assert isinstance(parsed, (SectionBlock, ContextBlock, ActionsBlock, DividerBlock, HeaderBlock)), b
        assert parsed.to_dict() == b  # to_dict() runs slack_sdk's own validators too
        assert len(b.get("block_id", "")) <= 255
        if b["type"] == "section":
            assert len(b["text"]["text"]) <= 3000
            assert b["text"]["text"].count("```") % 2 == 0, "a cut must not leave a code fence open"
        if b["type"] == "header":
            assert len(b["text"]["text"]) <= 150
        if b["type"] == "context":
            assert len(b["elements"]) <= 10
        if b["type"] == "actions":
            assert 0 < len(b["elements"]) <= 25
            ids = [e["action_id"] for e in b["elements"]]
            assert len(ids) == len(set(ids))
            for e in b["elements"]:
                assert len(e["text"]["text"]) <= 75
                assert len(e["value"]) <= 2000
                assert len(e["action_id"]) <= 255


def buttons(msg: dict) -> dict[str, dict]:
    return {e["action_id"]: e for b in msg["blocks"] if b["type"] == "actions" for e in b["elements"]}


def cause_ids(msg: dict) -> list[str]:
    return [b["block_id"].split(":", 2)[2] for b in msg["blocks"] if b.get("block_id", "").startswith("cause:")]


def leading_cause(msg: dict):
    ids = cause_ids(msg)
    return ids[0] if ids else None


def api(client, error: str, hints: dict | None = None) -> dict:
    resp = client.post("/api/v1/diagnose", json={"error": error, **({"hints": hints} if hints else {})})
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


# --- fixtures ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def app():
    """One app for the module (loading the KB is the slow part); tests that patch it use monkeypatch."""
    return create_app(test_config={"SLACK_SIGNING_SECRET": SECRET, "RATELIMIT_ENABLED": False,
                                   # response_url goes to the local recorder below, not to Slack
                                   "SLACK_RESPONSE_URL_PREFIXES": ("http://127.0.0.1:",)})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def diagnoses(app, monkeypatch):
    """Counts calls into the engine, to prove a refused request never reached it."""
    doctor = app.extensions["authdoctor"]
    calls = []
    real = doctor.diagnose

    def counting(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(doctor, "diagnose", counting)
    return calls


class _Recorder(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.posts.put({"path": self.path, "content_type": self.headers.get("Content-Type"), "body": body})
        time.sleep(self.server.delay)
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


@pytest.fixture
def response_server():
    """A real HTTP server on 127.0.0.1 standing in for Slack's response_url."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    server.posts, server.delay = queue.Queue(), 0.0
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_address[1]}/actions/T0001/42/abc"
    yield server
    server.shutdown()
    server.server_close()
    thread.join(5)


def posted(server, timeout: float = 10) -> dict:
    item = server.posts.get(timeout=timeout)
    assert item["content_type"].startswith("application/json")
    msg = json.loads(item["body"])
    check_message(msg)
    return {**item, "json": msg}


# --- the lock on the door --------------------------------------------------------

def test_request_without_signature_is_refused_401_and_not_diagnosed(client, diagnoses):
    resp = post_form(client, "/slack/commands", command_body(ERROR), headers={})
    assert resp.status_code == 401
    assert resp.get_json()["error"]["code"] == "missing_signature"
    assert diagnoses == []


def test_forged_signature_is_refused_401(client, diagnoses):
    body = command_body(ERROR)
    resp = post_form(client, "/slack/commands", body, headers=signed_headers(body, secret="not-the-secret"))
    assert resp.status_code == 401
    assert resp.get_json()["error"]["code"] == "bad_signature"
    assert diagnoses == []


def test_stale_signature_older_than_five_minutes_is_refused_401(client, diagnoses):
    body = command_body(ERROR)
    resp = post_form(client, "/slack/commands", body, headers=signed_headers(body, ts=int(time.time()) - 301))
    assert resp.status_code == 401
    assert resp.get_json()["error"]["code"] == "stale_signature"
    assert diagnoses == []


def test_signature_replayed_with_another_body_is_refused_401(client, diagnoses):
    headers = signed_headers(command_body("help"))
    resp = post_form(client, "/slack/commands", command_body(ERROR), headers=headers)
    assert resp.status_code == 401
    assert diagnoses == []


def test_non_numeric_timestamp_is_refused_401_not_500(client):
    body = command_body(ERROR)
    headers = {**signed_headers(body), "X-Slack-Request-Timestamp": "yesterday"}
    assert post_form(client, "/slack/commands", body, headers=headers).status_code == 401


def test_interactions_are_verified_like_commands(client, response_server):
    body = urllib.parse.urlencode({"payload": json.dumps({"type": "block_actions", "actions": []})})
    resp = post_form(client, "/slack/interactions", body, headers=signed_headers(body, secret="forged"))
    assert resp.status_code == 401
    assert response_server.posts.empty()


@pytest.mark.parametrize("path", ["/slack/commands", "/slack/interactions"])
def test_without_signing_secret_slack_routes_answer_503_naming_the_variable(monkeypatch, path):
    monkeypatch.delenv("SLACK_SIGNING_SECRET", raising=False)
    client = create_app(test_config={"SLACK_SIGNING_SECRET": None, "RATELIMIT_ENABLED": False}).test_client()
    body = command_body(ERROR)
    resp = post_form(client, path, body)
    assert resp.status_code == 503
    assert "SLACK_SIGNING_SECRET" in resp.get_json()["error"]["message"]


def test_slack_post_between_64_and_256_kib_is_accepted(client):
    noise = "".join(f"##[group]step {i} ~!@#$%^&*()[]{{}}<>?/|\\ üñïçødé\n" for i in range(1100))
    body = command_body(noise + ERROR)
    assert 64 * 1024 < len(body) < 256 * 1024
    resp = post_form(client, "/slack/commands", body)
    assert resp.status_code == 200
    assert resp.get_json()["blocks"][0]["text"]["text"].startswith("InvalidClientTokenId")


def test_slack_post_over_256_kib_is_refused_413(client, diagnoses):
    body = command_body("x" * (257 * 1024))
    resp = post_form(client, "/slack/commands", body)
    assert resp.status_code == 413
    assert diagnoses == []


def test_api_keeps_its_64_kib_limit(client):
    resp = client.post("/api/v1/diagnose", json={"error": "x" * (70 * 1024)})
    assert resp.status_code == 413


# --- reading what the user typed ----------------------------------------------------

@pytest.mark.parametrize("text", ["", "help", "  HELP  "])
def test_help_or_empty_text_answers_with_usage(client, text):
    resp = slash(client, text)
    assert resp.status_code == 200
    msg = resp.get_json()
    assert msg["response_type"] == "ephemeral"
    assert any(b.get("block_id") == "usage" for b in msg["blocks"])


def test_hints_before_the_error_are_used_like_the_api_hints(client):
    msg = slash(client, f"runner=github-actions key_prefix=ASIA {ERROR}").get_json()
    answer = api(client, ERROR, {"runner": "github-actions", "key_prefix": "ASIA"})
    assert cause_ids(msg) == [c["id"] for c in answer["causes"][:3]]
    assert f"`{answer['answer_id']}`" in json.dumps(msg)


@pytest.mark.parametrize("text, field", [("runer=github-actions " + ERROR, "runer"),
                                         ("key_prefix=AKIB " + ERROR, "key_prefix")])
def test_bad_hint_gets_an_ephemeral_200_naming_it(client, text, field):
    resp = slash(client, text)
    assert resp.status_code == 200
    msg = resp.get_json()
    assert msg["response_type"] == "ephemeral"
    assert f"`{field}`" in msg["blocks"][0]["text"]["text"]


def test_code_fences_are_undone_before_diagnosis(client):
    fenced = slash(client, f"runner=local ```text\n{ERROR}\n```").get_json()
    inline = slash(client, f"runner=local `{ERROR.splitlines()[0]}`").get_json()
    assert f"`{api(client, ERROR, {'runner': 'local'})['answer_id']}`" in json.dumps(fenced)
    assert f"`{api(client, ERROR.splitlines()[0], {'runner': 'local'})['answer_id']}`" in json.dumps(inline)


def test_slack_escapes_and_links_are_undone_before_diagnosis(client):
    typed = SIGNATURE_XML + "\nsee https://docs.aws.amazon.com/x?a=1&b=2"
    sent = slack_escape(SIGNATURE_XML) + "\nsee <https://docs.aws.amazon.com/x?a=1&amp;b=2|https://docs.aws.amazon.com/x?a=1&amp;b=2>"
    msg = slash(client, sent).get_json()
    assert f"`{api(client, typed)['answer_id']}`" in json.dumps(msg)


def test_unescape_turns_slack_markup_back_into_text():
    assert slack_input.unescape_slack("a &lt;b&gt; &amp;lt; <https://x.io|x.io> <https://y.io> <mailto:a@b.c|a@b.c>") \
        == "a <b> &lt; x.io https://y.io a@b.c"


def test_key_value_inside_a_fence_is_error_text_not_a_hint(client):
    paste = f"runner=jenkins {ERROR}"
    msg = slash(client, f"```\n{paste}\n```").get_json()
    assert f"`{api(client, paste)['answer_id']}`" in json.dumps(msg)


# --- the answer ---------------------------------------------------------------------

def test_answer_shows_code_stage_and_the_apis_top_three_causes(client):
    msg = slash(client, ERROR).get_json()
    answer = api(client, ERROR)
    assert msg["response_type"] == "ephemeral"
    assert msg["blocks"][0]["text"]["text"] == f"{answer['error_code']} · {answer['stage']} stage"
    assert cause_ids(msg) == [c["id"] for c in answer["causes"][:3]]
    first = next(b for b in msg["blocks"] if b.get("block_id", "").startswith("cause:1:"))
    assert f"{answer['causes'][0]['probability']:.0%}" in first["text"]["text"]
    assert "• " in first["text"]["text"]  # the why


def test_first_fix_commands_are_in_a_code_block(client):
    msg = slash(client, ERROR).get_json()
    fix = api(client, ERROR)["causes"][0]["fix"][0]
    cmd = next(b for b in msg["blocks"] if b.get("block_id") == "cmd:1:0")["text"]["text"]
    assert cmd.startswith("```\n") and cmd.endswith("\n```")
    assert slack_escape(fix["commands"][0].splitlines()[0]) in cmd


def test_answer_offers_question_options_idk_all_fixes_and_share(client):
    msg = slash(client, ERROR).get_json()
    question = api(client, ERROR)["question"]
    ids = set(buttons(msg))
    assert {f"answer:{i}" for i in range(len(question["options"]))} <= ids
    assert {"unknown:0", "fixes:0", "share:0"} <= ids


def test_not_recognised_says_so_with_the_closest_codes(client):
    msg = slash(client, "Error: Unsupported argument: An argument named \"foo\" is not expected here.").get_json()
    text = json.dumps(msg)
    assert msg["blocks"][0]["text"]["text"] == "Not an error I recognise"
    assert "Closest known codes" in text
    assert not cause_ids(msg)


def test_reply_stays_within_block_kit_limits_however_long_the_kb_text(client, app, monkeypatch):
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
    msg = slash(client, ERROR).get_json()  # slash() validates
    assert any(b["type"] == "actions" for b in msg["blocks"])


def test_all_fixes_view_stays_within_limits_with_many_long_fixes(client, app, monkeypatch, response_server):
    doctor = app.extensions["authdoctor"]
    real = doctor.diagnose

    def many(*args, **kwargs):
        answer = real(*args, **kwargs)
        fix = FixStep("f" * 200, "d " * 2000, "", ("c " * 2000,))
        return replace(answer, causes=tuple(replace(c, fix=(fix,) * 30) for c in answer.causes))

    monkeypatch.setattr(doctor, "diagnose", many)
    msg = slash(client, ERROR).get_json()
    click(client, buttons(msg)["fixes:0"], response_server.url)
    assert len(posted(response_server)["json"]["blocks"]) <= 50


# --- secrets --------------------------------------------------------------------------

SECRET_PASTE = f"{ERROR}\naws_access_key_id = {KEY_ID}\nAWS_SECRET_ACCESS_KEY={SECRET_KEY}\n{SECRET_KEY}"


def test_secrets_never_appear_in_the_reply(client):
    resp = slash(client, SECRET_PASTE)
    raw = resp.get_data(as_text=True)
    for leaked in (KEY_ID, SECRET_KEY, urllib.parse.quote(SECRET_KEY), json.dumps(SECRET_KEY)[1:-1]):
        assert leaked not in raw


def test_secrets_in_the_paste_get_ephemeral_rotate_advice(client):
    msg = slash(client, SECRET_PASTE).get_json()
    rotate = next(b for b in msg["blocks"] if b.get("block_id") == "rotate")
    assert msg["response_type"] == "ephemeral"
    assert "rotate" in rotate["text"]["text"]


def test_secrets_never_appear_in_anything_posted_to_slack(client, response_server):
    msg = slash(client, SECRET_PASTE).get_json()
    for action in ("answer:0", "share:0", "fixes:0"):
        click(client, buttons(msg)[action], response_server.url)
        body = posted(response_server)["body"].decode()
        assert KEY_ID not in body and SECRET_KEY not in body and SECRET_KEY.replace("/", "\\/") not in body


def test_key_prefix_read_from_a_masked_key_still_counts(client):
    msg = slash(client, SECRET_PASTE).get_json()
    answer = api(client, SECRET_PASTE)
    assert answer["hints_used"]["key_prefix"]["value"] == "AKIA"
    assert leading_cause(msg) == answer["causes"][0]["id"]
    assert f"`{answer['answer_id']}`" in json.dumps(msg)


# --- long pastes ------------------------------------------------------------------------

def ci_log(size: int, error: str) -> str:
    line = "2024-05-01T10:00:{:02d}.1234567Z   Downloading registry.terraform.io/hashicorp/aws 5.49.0 ... {}\n"
    half = [line.format(i % 60, "." * 40) for i in range(size // 2 // 120)]
    return "".join(half) + "##[error]" + error + "\n" + "".join(half) + "Error: Process completed with exit code 1.\n"


def test_forty_kb_ci_log_around_an_error_gets_the_apis_answer(client):
    log = ci_log(40 * 1024, ERROR)
    assert len(log) > 38 * 1024
    msg = slash(client, log).get_json()
    answer = api(client, log)
    assert answer["recognized"]
    assert leading_cause(msg) == answer["causes"][0]["id"]


def test_paste_over_64_kib_is_cut_to_its_error_like_tail(client):
    log = ci_log(180 * 1024, ERROR)
    resp = slash(client, log)
    msg = resp.get_json()
    assert msg["blocks"][0]["text"]["text"].startswith("InvalidClientTokenId")
    assert "read the last 64 KiB" in json.dumps(msg)


def test_error_tail_keeps_error_lines_within_64_kib():
    text = "noise line\n" * 20000 + ERROR + "\n" + "more noise\n" * 100
    kept = slack_input.keep_error_tail(text)
    assert len(kept.encode()) <= 64 * 1024
    assert ERROR.splitlines()[0] in kept


# --- buttons, through a real response_url ---------------------------------------------------

def test_answering_the_question_reranks_and_replaces_the_message(client, response_server):
    msg = slash(client, ERROR).get_json()
    question = api(client, ERROR)["question"]
    resp = click(client, buttons(msg)["answer:0"], response_server.url)
    assert resp.status_code == 200
    got = posted(response_server)
    assert got["path"] == "/actions/T0001/42/abc"
    assert got["json"]["replace_original"] is True
    expected = api(client, ERROR, {question["hint"]: question["options"][0]})
    assert cause_ids(got["json"]) == [c["id"] for c in expected["causes"][:3]]
    assert f"`{expected['answer_id']}`" in json.dumps(got["json"])


def test_i_dont_know_skips_to_another_question(client, response_server):
    msg = slash(client, ERROR).get_json()
    first = api(client, ERROR)["question"]["hint"]
    click(client, buttons(msg)["unknown:0"], response_server.url)
    got = posted(response_server)["json"]
    answers = [json.loads(b["value"]) for b in buttons(got).values() if b["action_id"].startswith("answer:")]
    assert got["replace_original"] is True
    assert all(a["k"] != first for a in answers)
    assert all(first in a["u"] for a in answers)


def test_all_fixes_lists_every_fix_of_the_leading_cause(client, response_server):
    msg = slash(client, ERROR).get_json()
    fixes = api(client, ERROR)["causes"][0]["fix"]
    click(client, buttons(msg)["fixes:0"], response_server.url)
    got = posted(response_server)["json"]
    ids = {b.get("block_id") for b in got["blocks"]}
    assert {f"fix:1:{j}" for j in range(len(fixes))} <= ids
    assert "summary:0" in buttons(got)


def test_share_posts_in_channel_without_the_pasted_text(client, response_server):
    paste = ERROR + "\nbucket = \"acme-private-tfstate-93731\""
    msg = slash(client, paste).get_json()
    click(client, buttons(msg)["share:0"], response_server.url, user="U0ABC123")
    got = posted(response_server)["json"]
    text = json.dumps(got)
    assert got["response_type"] == "in_channel" and got["replace_original"] is False
    assert "acme-private-tfstate-93731" not in text and "7e6d5c4b" not in text
    assert not any(b["type"] == "actions" for b in got["blocks"])
    assert "<@U0ABC123>" in text


def test_interaction_is_answered_before_the_post_completes(client, response_server):
    response_server.delay = 2.0
    msg = slash(client, ERROR).get_json()
    started = time.perf_counter()
    resp = click(client, buttons(msg)["answer:0"], response_server.url)
    assert resp.status_code == 200
    assert time.perf_counter() - started < 1.0
    posted(response_server)


def test_short_paste_button_works_without_the_servers_copy(client, app, response_server, monkeypatch):
    msg = slash(client, ERROR).get_json()
    monkeypatch.setattr(app.extensions["authdoctor.slack"], "store", slack_door.PasteStore())  # a restart
    click(client, buttons(msg)["answer:0"], response_server.url)
    assert cause_ids(posted(response_server)["json"])


def test_long_paste_button_works_from_the_servers_copy(client, response_server):
    log = ci_log(20 * 1024, ERROR)
    msg = slash(client, log).get_json()
    button = buttons(msg)["answer:0"]
    assert "t" not in json.loads(button["value"])  # 20 KB do not fit in a button
    click(client, button, response_server.url)
    assert cause_ids(posted(response_server)["json"])


def test_long_paste_button_after_the_server_forgot_says_expired(client, app, response_server, monkeypatch):
    msg = slash(client, ci_log(20 * 1024, ERROR)).get_json()
    monkeypatch.setattr(app.extensions["authdoctor.slack"], "store", slack_door.PasteStore())
    click(client, buttons(msg)["answer:0"], response_server.url)
    got = posted(response_server)["json"]
    assert "expired" in got["text"] and got["replace_original"] is True


def test_response_url_outside_slack_is_refused(response_server):
    client = create_app(test_config={"SLACK_SIGNING_SECRET": SECRET, "RATELIMIT_ENABLED": False}).test_client()
    msg = slash(client, ERROR).get_json()
    resp = click(client, buttons(msg)["answer:0"], response_server.url)
    assert resp.status_code == 400
    time.sleep(0.3)
    assert response_server.posts.empty()


# --- the regression corpus, through Slack --------------------------------------------------

def _corpus():
    out = []
    for path in sorted(CASES.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for case in data.get("cases") or []:
            out.append(pytest.param(case, id=f"{path.stem}:{case.get('id')}"))
    return out or [pytest.param(None, id="no-cases", marks=pytest.mark.skip(reason="tests/cases has no cases yet"))]


def _hint_token(key, value) -> str | None:
    if isinstance(value, bool):
        value = "true" if value else "false"
    elif isinstance(value, list):
        value = ",".join(map(str, value))
    value = str(value)
    if not value or any(c.isspace() or c in "\"'`" for c in value):
        return None
    return f"{key}={value}"


@pytest.mark.parametrize("case", _corpus())
def test_corpus_case_leads_with_the_apis_cause_through_slack(client, case):
    error, hints = case["error"], case.get("hints") or {}
    if "```" in error or len(error.encode()) > 60 * 1024:
        pytest.skip("cannot be pasted in a code fence within the API's limit")
    tokens = [_hint_token(k, v) for k, v in hints.items()]
    if None in tokens:
        pytest.skip("a hint value that cannot be typed as key=value")
    resp = client.post("/api/v1/diagnose", json={"error": error, **({"hints": hints} if hints else {})})
    if resp.status_code != 200:
        pytest.skip(f"the API refuses this case: {resp.get_json()['error']['message']}")
    answer = resp.get_json()
    msg = slash(client, " ".join(tokens) + "\n```\n" + slack_escape(error.strip("\n")) + "\n```").get_json()
    assert leading_cause(msg) == (answer["causes"][0]["id"] if answer["causes"] else None)


def test_long_answers_such_as_the_causes_signs_are_listed_in_full_and_the_buttons_numbered(client):
    msg = slash(client, "provider.aws: InvalidClientTokenId: The security token included in the request is invalid.").get_json()
    question = next(b for b in msg["blocks"] if b.get("block_id") == "question")["text"]["text"]
    answers = next(b for b in msg["blocks"] if b.get("block_id") == "answers")["elements"]
    assert "telltale" in question and "AWS_SESSION_TOKEN" in question  # the first sign, whole
    assert [e["text"]["text"] for e in answers][:2] == ["1", "2"]
