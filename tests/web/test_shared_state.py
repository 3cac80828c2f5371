"""Shared state behind gunicorn's 3 workers and a real Redis: a long paste's buttons work on any worker, a limit lets
exactly its number through across workers, and with Redis stopped mid-run diagnoses still answer."""
from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.parse

import pytest

pytestmark = pytest.mark.slow

SECRET = "0cc175b9c0f1b6a831c399e269772661"
PASTE = ("Error: configuring Terraform AWS Provider: validating provider credentials: retrieving caller identity from STS: "
         "operation error STS: GetCallerIdentity, https response error StatusCode: 403, "
         "api error InvalidClientTokenId: The security token included in the request is invalid.")
# a CI log around the error: too long for a button's value, so the paste waits in the store
LONG_PASTE = "\n".join(f"2026-12-02T10:00:{i % 60:02d}Z [step {i}] terraform init: provider registry.terraform.io/hashicorp/aws"
                       for i in range(40)) + "\n" + PASTE
EXPIRED = "has expired"
APP = '''from authdoctor.web import create_app

# the buttons' response_url points at the test's own recorder on loopback, never at Slack
app = create_app(test_config={"SLACK_RESPONSE_URL_PREFIXES": ("http://127.0.0.1:",)})
'''


def _signed(body: str) -> dict:
    ts = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}", "Content-Type": "application/x-www-form-urlencoded"}



@pytest.fixture()
def shared(gunicorn, redis_server, tmp_path):
    (tmp_path / "shared_app.py").write_text(APP)
    server = gunicorn(app="shared_app:app", pythonpath=str(tmp_path), workers=3, AUTHDOCTOR_REDIS_URL=redis_server.url,
                      AUTHDOCTOR_SLACK_SIGNING_SECRET=SECRET, AUTHDOCTOR_RATELIMIT_DEFAULT="10 per minute",
                      AUTHDOCTOR_RATELIMIT_SLACK_TEAM="1000 per minute", AUTHDOCTOR_RATELIMIT_SLACK_USER="10 per minute")
    return server, redis_server


def _command(server, text: str, user: str) -> dict:
    body = urllib.parse.urlencode({"team_id": "T1", "user_id": user, "command": "/authdoctor", "text": text,
                                   "response_url": "http://127.0.0.1:1/unused"})
    status, raw, _ = server.request("POST", "/slack/commands", body, _signed(body))
    assert status == 200, raw
    return json.loads(raw)


def test_every_click_on_a_long_paste_finds_it_whichever_worker_answers(shared, response_url):
    server, redis = shared
    answer = _command(server, LONG_PASTE, "U-paste")
    button = next(e for b in answer["blocks"] if b["type"] == "actions" for e in b["elements"])
    assert "t" not in json.loads(button["value"]), "the paste must be too long to ride in the button"
    for i in range(30):
        payload = {"type": "block_actions", "team": {"id": "T1"}, "user": {"id": f"U-click-{i}"}, "response_url": response_url.url,
                   "actions": [{"type": "button", "action_id": button["action_id"], "value": button["value"], "block_id": "x"}]}
        body = urllib.parse.urlencode({"payload": json.dumps(payload)})
        assert server.request("POST", "/slack/interactions", body, _signed(body))[0] == 200
    replies = [response_url.posts.get(timeout=20) for _ in range(30)]
    assert sum(EXPIRED in json.dumps(r) for r in replies) == 0
    assert all("InvalidClientTokenId" in json.dumps(r) for r in replies)
    assert server.log_text().count("Booting worker") == 3 and "no AUTHDOCTOR_REDIS_URL" not in server.log_text()


def test_a_limit_lets_exactly_its_number_through_across_workers(shared):
    server, _ = shared
    api = [server.request("POST", "/api/v1/diagnose", json.dumps({"error": PASTE}), {"Content-Type": "application/json"})[0]
           for _ in range(30)]
    assert (api.count(200), api.count(429)) == (10, 20)
    slack = [_command(server, PASTE, "U-limit")["text"].startswith("Slow down") for _ in range(30)]
    assert slack.count(False) == 10


def test_with_redis_stopped_mid_run_diagnoses_still_answer(shared):
    server, redis = shared
    body = json.dumps({"error": PASTE})
    before = [server.request("POST", "/api/v1/diagnose", body, {"Content-Type": "application/json"})[0] for _ in range(5)]
    redis.stop()
    after = [server.request("POST", "/api/v1/diagnose", body, {"Content-Type": "application/json"}) for _ in range(15)]
    assert before == [200] * 5
    assert [s for s, _, _ in after] == [200] * 15, "the limits fail open: 15 more than the limit of 10, all answered"
    assert all(json.loads(raw)["error_code"] == "InvalidClientTokenId" for _, raw, _ in after)
    slack = [_command(server, PASTE, f"U-down-{i}") for i in range(5)]
    assert all("InvalidClientTokenId" in json.dumps(m) for m in slack)
    assert "limits are open" in server.log_text() or "Failed to rate limit" in server.log_text()
