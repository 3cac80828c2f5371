"""Feedback in Slack: an answer's "Cause N fixed it" / "Not cause N" buttons store the click (once per
Slack user) and acknowledge it privately at the response_url, leaving the answer as it was."""
import hashlib
import hmac
import json
import time
import urllib.parse

import pytest

SECRET = "feedback-test-signing-secret"
PASTE = ("Error: error configuring Terraform AWS Provider: error validating provider credentials: error calling "
         "sts:GetCallerIdentity: operation error STS: GetCallerIdentity, https response error StatusCode: 403, "
         "api error InvalidClientTokenId: The security token included in the request is invalid.")



@pytest.fixture()
def app(make_app):
    return make_app(SLACK_SIGNING_SECRET=SECRET, SLACK_RESPONSE_URL_PREFIXES=("http://127.0.0.1:",))


def _post(client, path, form):
    body = urllib.parse.urlencode(form)
    ts = str(int(time.time()))
    sig = "v0=" + hmac.new(SECRET.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return client.post(path, data=body, content_type="application/x-www-form-urlencoded",
                       headers={"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sig})


def _answer(client):
    r = _post(client, "/slack/commands", {"team_id": "T1", "user_id": "U1", "command": "/authdoctor", "channel_id": "C1",
                                          "text": f"key_prefix=ASIA ```{PASTE}```", "response_url": "https://hooks.slack.com/commands/T1/1/x"})
    assert r.status_code == 200
    return r.get_json()


def _buttons(msg):
    return {e["action_id"]: e for b in msg["blocks"] if b["type"] == "actions" for e in b["elements"]}


def _click(client, button, url, user="U1"):
    payload = {"type": "block_actions", "team": {"id": "T1"}, "user": {"id": user}, "response_url": url,
               "actions": [{"type": "button", "action_id": button["action_id"], "value": button["value"], "block_id": "feedback"}]}
    return _post(client, "/slack/interactions", {"payload": json.dumps(payload)})


def test_each_shown_cause_has_its_pair_of_buttons(app):
    buttons = _buttons(_answer(app.test_client()))
    pairs = [k for k in buttons if k.startswith("feedback:")]
    assert pairs == [f"feedback:{o}:{i}" for i in (1, 2, 3) for o in ("fixed", "not-this")]
    assert all("error" not in json.loads(buttons[k]["value"]) for k in pairs)  # ids and hints, never the paste


def test_a_click_is_stored_and_acknowledged_privately(app, response_url):
    server, url = response_url, response_url.url
    client = app.test_client()
    msg = _answer(client)
    assert _click(client, _buttons(msg)["feedback:fixed:2"], url).status_code == 200
    ack = server.posts.get(timeout=10)
    assert ack["response_type"] == "ephemeral" and ack["replace_original"] is False and ack["text"].startswith("Thanks: noted")
    (row,) = app.extensions["authdoctor.feedback"].feedback_rows()
    value = json.loads(_buttons(msg)["feedback:fixed:2"]["value"])
    assert (row["door"], row["cause"], row["outcome"], row["answer_id"], row["hints"]) == (
        "slack", value["c"], "fixed", value["a"], {"key_prefix": "ASIA"})


def test_the_same_user_clicking_again_is_counted_once_another_user_counts(app, response_url):
    server, url = response_url, response_url.url
    client = app.test_client()
    button = _buttons(_answer(client))["feedback:not-this:1"]
    _click(client, button, url)
    _click(client, button, url)
    # each click is acknowledged from its own thread, so the two replies may come in either order
    texts = sorted((server.posts.get(timeout=10)["text"], server.posts.get(timeout=10)["text"]), key=lambda t: "counted once" in t)
    assert texts[0].startswith("Thanks") and "counted once" not in texts[0] and "counted once" in texts[1]
    _click(client, button, url, user="U2")
    server.posts.get(timeout=10)
    assert len(app.extensions["authdoctor.feedback"].feedback_rows()) == 2


def test_a_tampered_button_value_is_told_not_stored(app, response_url):
    server, url = response_url, response_url.url
    client = app.test_client()
    button = dict(_buttons(_answer(client))["feedback:fixed:1"])
    button["value"] = json.dumps({**json.loads(button["value"]), "c": "no-such-cause"})
    assert _click(client, button, url).status_code == 200
    assert "could not be recorded" in server.posts.get(timeout=10)["text"]
    assert app.extensions["authdoctor.feedback"].feedback_rows() == []
