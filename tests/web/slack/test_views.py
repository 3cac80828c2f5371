"""The Slack door's requests: the signature lock, the slash command, buttons through response_url.

Requests are signed in conftest.py exactly as Slack signs them, never with the
library the server verifies with.
"""
import json
import time
import urllib.parse
from pathlib import Path

import pytest
import yaml

from authdoctor.web import create_app
from authdoctor.web.slack import views as slack_door

CASES = Path(__file__).resolve().parents[2] / "cases"


# --- the lock on the door --------------------------------------------------------------------

def test_request_without_signature_is_refused_401_and_not_diagnosed(diagnoses, slack, error_block):
    resp = slack.post("/slack/commands", slack.command_body(error_block), headers={})
    assert resp.status_code == 401
    assert resp.get_json()["error"]["code"] == "missing_signature"
    assert diagnoses == []


def test_forged_signature_is_refused_401(diagnoses, slack, slack_signature, error_block):
    body = slack.command_body(error_block)
    resp = slack.post("/slack/commands", body, headers=slack_signature(body, secret="not-the-secret"))
    assert resp.status_code == 401
    assert resp.get_json()["error"]["code"] == "bad_signature"
    assert diagnoses == []


def test_stale_signature_older_than_five_minutes_is_refused_401(diagnoses, slack, slack_signature, error_block):
    body = slack.command_body(error_block)
    resp = slack.post("/slack/commands", body, headers=slack_signature(body, ts=int(time.time()) - 301))
    assert resp.status_code == 401
    assert resp.get_json()["error"]["code"] == "stale_signature"
    assert diagnoses == []


def test_signature_replayed_with_another_body_is_refused_401(diagnoses, slack, slack_signature, error_block):
    headers = slack_signature(slack.command_body("help"))
    resp = slack.post("/slack/commands", slack.command_body(error_block), headers=headers)
    assert resp.status_code == 401
    assert diagnoses == []


def test_non_numeric_timestamp_is_refused_401_not_500(slack, slack_signature, error_block):
    body = slack.command_body(error_block)
    headers = {**slack_signature(body), "X-Slack-Request-Timestamp": "yesterday"}
    assert slack.post("/slack/commands", body, headers=headers).status_code == 401


def test_interactions_are_verified_like_commands(response_server, slack, slack_signature):
    body = urllib.parse.urlencode({"payload": json.dumps({"type": "block_actions", "actions": []})})
    resp = slack.post("/slack/interactions", body, headers=slack_signature(body, secret="forged"))
    assert resp.status_code == 401
    assert response_server.posts.empty()


@pytest.mark.parametrize("path", ["/slack/commands", "/slack/interactions"])
def test_without_signing_secret_slack_routes_answer_503_naming_the_variable(monkeypatch, path, slack, error_block):
    monkeypatch.delenv("SLACK_SIGNING_SECRET", raising=False)
    client = create_app(test_config={"SLACK_SIGNING_SECRET": None, "RATELIMIT_ENABLED": False}).test_client()
    body = slack.command_body(error_block)
    resp = slack.on(client).post(path, body)
    assert resp.status_code == 503
    assert "SLACK_SIGNING_SECRET" in resp.get_json()["error"]["message"]


def test_slack_post_between_64_and_256_kib_is_accepted(slack, error_block):
    noise = "".join(f"##[group]step {i} ~!@#$%^&*()[]{{}}<>?/|\\ üñïçødé\n" for i in range(1100))
    body = slack.command_body(noise + error_block)
    assert 64 * 1024 < len(body) < 256 * 1024
    resp = slack.post("/slack/commands", body)
    assert resp.status_code == 200
    assert resp.get_json()["blocks"][0]["text"]["text"].startswith("InvalidClientTokenId")


def test_slack_post_over_256_kib_is_refused_413(diagnoses, slack):
    body = slack.command_body("x" * (257 * 1024))
    resp = slack.post("/slack/commands", body)
    assert resp.status_code == 413
    assert diagnoses == []


def test_api_keeps_its_64_kib_limit(client):
    resp = client.post("/api/v1/diagnose", json={"error": "x" * (70 * 1024)})
    assert resp.status_code == 413


# --- the command -----------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["", "help", "  HELP  "])
def test_help_or_empty_text_answers_with_usage(text, slack):
    resp = slack.command(text)
    assert resp.status_code == 200
    msg = resp.get_json()
    assert msg["response_type"] == "ephemeral"
    assert any(b.get("block_id") == "usage" for b in msg["blocks"])


@pytest.mark.parametrize("hints, field", [("runer=github-actions ", "runer"),
                                         ("key_prefix=AKIB ", "key_prefix")], ids=["runer", "key_prefix"])
def test_bad_hint_gets_an_ephemeral_200_naming_it(hints, field, slack, error_block):
    resp = slack.command(hints + error_block)
    assert resp.status_code == 200
    msg = resp.get_json()
    assert msg["response_type"] == "ephemeral"
    assert f"`{field}`" in msg["blocks"][0]["text"]["text"]


def test_secrets_never_appear_in_the_reply(slack, secret_paste, leaked):
    resp = slack.command(secret_paste)
    raw = resp.get_data(as_text=True)
    for form in (leaked.key_id, leaked.secret, urllib.parse.quote(leaked.secret), json.dumps(leaked.secret)[1:-1]):
        assert form not in raw


def test_secrets_never_appear_in_anything_posted_to_slack(response_server, slack, secret_paste, leaked):
    msg = slack.command(secret_paste).get_json()
    for action in ("answer:0", "share:0", "fixes:0"):
        slack.click(slack.buttons(msg)[action], response_server.url)
        body = slack.posted(response_server)["body"].decode()
        assert leaked.key_id not in body and leaked.secret not in body and leaked.secret.replace("/", "\\/") not in body


# --- buttons, through a real response_url ----------------------------------------------------

def test_answering_the_question_reranks_and_replaces_the_message(response_server, slack, error_block):
    msg = slack.command(error_block).get_json()
    question = slack.api(error_block)["question"]
    resp = slack.click(slack.buttons(msg)["answer:0"], response_server.url)
    assert resp.status_code == 200
    got = slack.posted(response_server)
    assert got["path"] == "/actions/T0001/42/abc"
    assert got["json"]["replace_original"] is True
    expected = slack.api(error_block, {question["hint"]: question["options"][0]})
    assert slack.cause_ids(got["json"]) == [c["id"] for c in expected["causes"][:3]]
    assert f"`{expected['answer_id']}`" in json.dumps(got["json"])


def test_i_dont_know_skips_to_another_question(response_server, slack, error_block):
    msg = slack.command(error_block).get_json()
    first = slack.api(error_block)["question"]["hint"]
    slack.click(slack.buttons(msg)["unknown:0"], response_server.url)
    got = slack.posted(response_server)["json"]
    answers = [json.loads(b["value"]) for b in slack.buttons(got).values() if b["action_id"].startswith("answer:")]
    assert got["replace_original"] is True
    assert all(a["k"] != first for a in answers)
    assert all(first in a["u"] for a in answers)


def test_interaction_is_answered_before_the_post_completes(response_server, slack, error_block):
    response_server.delay = 2.0
    msg = slack.command(error_block).get_json()
    started = time.perf_counter()
    resp = slack.click(slack.buttons(msg)["answer:0"], response_server.url)
    assert resp.status_code == 200
    assert time.perf_counter() - started < 1.0
    slack.posted(response_server)


def test_short_paste_button_works_without_the_servers_copy(app, response_server, monkeypatch, slack, error_block):
    msg = slack.command(error_block).get_json()
    monkeypatch.setattr(app.extensions["authdoctor.slack"], "store", slack_door.PasteStore())  # a restart
    slack.click(slack.buttons(msg)["answer:0"], response_server.url)
    assert slack.cause_ids(slack.posted(response_server)["json"])


def test_long_paste_button_works_from_the_servers_copy(response_server, slack, error_block, ci_log):
    log = ci_log(20 * 1024, error_block)
    msg = slack.command(log).get_json()
    button = slack.buttons(msg)["answer:0"]
    assert "t" not in json.loads(button["value"])  # 20 KB do not fit in a button
    slack.click(button, response_server.url)
    assert slack.cause_ids(slack.posted(response_server)["json"])


def test_long_paste_button_after_the_server_forgot_says_expired(app, response_server, monkeypatch, slack, error_block, ci_log):
    msg = slack.command(ci_log(20 * 1024, error_block)).get_json()
    monkeypatch.setattr(app.extensions["authdoctor.slack"], "store", slack_door.PasteStore())
    slack.click(slack.buttons(msg)["answer:0"], response_server.url)
    got = slack.posted(response_server)["json"]
    assert "expired" in got["text"] and got["replace_original"] is True


def test_response_url_outside_slack_is_refused(response_server, slack, slack_secret, error_block):
    client = create_app(test_config={"SLACK_SIGNING_SECRET": slack_secret, "RATELIMIT_ENABLED": False}).test_client()
    msg = slack.on(client).command(error_block).get_json()
    resp = slack.on(client).click(slack.buttons(msg)["answer:0"], response_server.url)
    assert resp.status_code == 400
    time.sleep(0.3)
    assert response_server.posts.empty()


# --- what an attacker's test found (issue 17) ----------------------------------------------

@pytest.mark.parametrize("signature", ["v0=" + "\u00e9" * 64, "v0=\u00ff", "\u00e9", "v0=" + "A" * 64, "v1=" + "a" * 64])
def test_a_malformed_signature_header_is_401_not_500(diagnoses, slack, error_block, signature):
    body = slack.command_body(error_block)
    headers = {"X-Slack-Request-Timestamp": str(int(time.time())), "X-Slack-Signature": signature}
    resp = slack.post("/slack/commands", body, headers=headers)
    assert resp.status_code == 401 and resp.get_json()["error"]["code"] == "bad_signature"
    assert diagnoses == []


def test_a_chunked_slack_post_over_256_kib_is_413_not_cut(diagnoses, client, slack_signature):
    import io
    body = urllib.parse.urlencode({"team_id": "T1", "text": "x" * (257 * 1024)})
    resp = client.post("/slack/commands", input_stream=io.BytesIO(body.encode()),
                       content_type="application/x-www-form-urlencoded",
                       headers={"Transfer-Encoding": "chunked", **slack_signature(body)},
                       environ_overrides={"wsgi.input_terminated": True})
    assert resp.status_code == 413 and resp.get_json()["error"]["code"] == "too_large"
    assert diagnoses == []


def _click_payload(response_url: str, **fields) -> dict:
    return {"type": "block_actions", "team": {"id": "T0001"}, "user": {"id": "U0001"},
            "response_url": response_url, **fields}


def _act(value, action_id="answer:0") -> dict:
    return {"actions": [{"action_id": action_id, "value": value if not isinstance(value, dict) else json.dumps(value)}]}


def test_malformed_button_payloads_get_400_never_500(response_server, slack):
    url = response_server.url
    refused = [_click_payload(url, actions={"action_id": "answer:0"}), _click_payload(url, actions=["answer:0"]),
               _click_payload(url, actions=[{"action_id": 5, "value": "{}"}]),
               _click_payload(url, actions=[{"action_id": ["answer"], "value": "{}"}]),
               _click_payload(url, **_act(5)), _click_payload(url, **_act(["x"])),
               _click_payload(url, actions=[{"action_id": "answer:0", "value": {"t": "x"}}]),
               _click_payload(5, **_act({"t": "x"}))]
    for payload in refused:
        resp = slack.post("/slack/interactions", urllib.parse.urlencode({"payload": json.dumps(payload)}))
        assert resp.status_code == 400, (payload, resp.get_data(as_text=True)[:300])
        assert resp.get_json()["error"]["code"] in ("bad_payload", "bad_response_url")
    for raw in ("[" * 10_000, "1" * 5000, '"\\ud800"'):
        resp = slack.post("/slack/interactions", urllib.parse.urlencode({"payload": raw}))
        assert resp.status_code in (200, 400) and (resp.status_code == 200 or resp.get_json()["error"]["code"])
    time.sleep(0.2)
    assert response_server.posts.empty()


def test_button_values_of_the_wrong_shape_get_a_notice_never_500(response_server, slack, error_block):
    url = response_server.url
    values = [{"t": 5}, {"t": "x", "h": [["runner", "local"]]}, {"t": "x", "h": {"runner": "local"}, "u": "runner"},
              {"t": "x", "f": []}, {"t": "x", "r": 5}, {"t": error_block, "n": "big"}, {"t": "x", "k": 5},
              {"t": "x", "p": ["k"]}, {"t": "x", "v": {}}, {"t": error_block, "n": True},
              {"t": "\ud800" + error_block}, {"t": error_block, "h": {"runner": "\udfff"}},
              "[" * 5000, "1" * 5000, "not json", [1, 2]]
    for value in values:
        raw = json.dumps(value) if not isinstance(value, str) else value
        resp = slack.post("/slack/interactions", urllib.parse.urlencode({"payload": json.dumps(
            _click_payload(url, actions=[{"action_id": "answer:0", "value": raw}]))}))
        assert resp.status_code == 200, (value, resp.get_data(as_text=True)[:300])
        got = slack.posted(response_server)["json"]
        assert "expired" in got["text"], (value, got["text"])


def test_button_state_naming_secrets_is_answered_without_them(response_server, slack, error_block, leaked):
    url = response_server.url
    for value in ({"t": error_block, "u": [leaked.key_id, "runner"]},
                  {"t": error_block, "h": {leaked.key_id: "x"}},
                  {"t": error_block, "h": {"region": leaked.secret}},
                  {"t": error_block, "k": leaked.key_id, "o": leaked.secret}):
        resp = slack.post("/slack/interactions", urllib.parse.urlencode({"payload": json.dumps(
            _click_payload(url, actions=[{"action_id": "answer:0", "value": json.dumps(value)}]))}))
        assert resp.status_code == 200
        text = json.dumps(slack.posted(response_server)["json"])
        assert leaked.key_id not in text and leaked.secret not in text, (value, text[:500])


# --- the regression corpus, through Slack ----------------------------------------------------

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
def test_corpus_case_leads_with_the_apis_cause_through_slack(client, case, slack):
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
    msg = slack.command(" ".join(tokens) + "\n```\n" + slack.escape(error.strip("\n")) + "\n```").get_json()
    assert slack.leading_cause(msg) == (answer["causes"][0]["id"] if answer["causes"] else None)


# --- the message shortcut and the manifest ---------------------------------------------------

MANIFEST = Path(__file__).resolve().parents[3] / "slack" / "manifest.yaml"


def test_message_shortcut_answers_the_clicker_privately_with_the_apis_cause(response_server, slack, error_block):
    resp = slack.shortcut({"type": "message", "text": "Build #42 failed:\n```" + slack.escape(error_block) + "```", "ts": "1.2"},
                          response_server.url)
    assert resp.status_code == 200 and resp.get_data() == b""
    got = slack.posted(response_server)["json"]
    assert got["response_type"] == "ephemeral" and got["replace_original"] is False
    assert slack.leading_cause(got) == slack.api(error_block)["causes"][0]["id"]
    assert "share:0" in slack.buttons(got)


def test_message_shortcut_on_a_bot_post_reads_its_attachments(response_server, slack, error_block):
    message = {"type": "message", "subtype": "bot_message", "text": "",
               "attachments": [{"color": "danger", "title": "terraform plan failed", "text": slack.escape(error_block)}]}
    slack.shortcut(message, response_server.url)
    assert slack.leading_cause(slack.posted(response_server)["json"]) == slack.api(error_block)["causes"][0]["id"]


def test_message_shortcut_on_a_message_without_text_says_so_privately(response_server, slack):
    slack.shortcut({"type": "message", "text": "", "files": [{"id": "F1"}]}, response_server.url)
    got = slack.posted(response_server)["json"]
    assert got["response_type"] == "ephemeral" and "no text I can read" in got["text"]


def test_message_shortcut_never_shows_the_messages_secrets(response_server, slack, secret_paste, leaked):
    slack.shortcut({"type": "message", "text": slack.escape(secret_paste)}, response_server.url)
    text = json.dumps(slack.posted(response_server)["json"])
    assert leaked.secret not in text and leaked.key_id not in text


def test_message_shortcut_of_the_wrong_shape_is_400_not_500(response_server, slack):
    resp = slack.shortcut("not a message", response_server.url)  # type: ignore[arg-type]
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "bad_payload"
    assert response_server.posts.empty()


def test_message_shortcut_is_verified_like_every_slack_request(diagnoses, response_server, slack, slack_signature):
    body = urllib.parse.urlencode({"payload": json.dumps({"type": "message_action", "callback_id": "diagnose_message",
                                                          "message": {"text": "x"}, "response_url": response_server.url})})
    assert slack.post("/slack/interactions", body, headers=slack_signature(body, secret="forged")).status_code == 401
    assert diagnoses == [] and response_server.posts.empty()


def test_every_url_in_the_manifest_is_a_post_route_of_the_app(app):
    manifest = yaml.safe_load(MANIFEST.read_text())
    urls = [c["url"] for c in manifest["features"]["slash_commands"]] + [manifest["settings"]["interactivity"]["request_url"]]
    routes = {r.rule: r.methods for r in app.url_map.iter_rules()}
    for url in urls:
        path = urllib.parse.urlparse(url).path
        assert url.startswith("https://YOUR-HOST/") and "POST" in routes.get(path, set()), url


def test_the_manifests_message_shortcut_is_the_one_the_app_answers(app):
    manifest = yaml.safe_load(MANIFEST.read_text())
    (shortcut,) = manifest["features"]["shortcuts"]
    assert shortcut["type"] == "message" and shortcut["name"] == "Diagnose with AuthDoctor"
    assert shortcut["callback_id"] == slack_door.SHORTCUT
    assert "commands" in manifest["oauth_config"]["scopes"]["bot"]  # shortcuts need no other scope
