"""Rate limits: per client address on the page and the API (429 in each door's own form); per team and per user on Slack, told to slow down."""
import json
import time
from urllib.parse import urlencode

import pytest

FORM = "application/x-www-form-urlencoded"


@pytest.fixture()
def limited(make_app, slack_secret):
    return make_app(RATELIMIT_ENABLED=True, RATELIMIT_DEFAULT="2 per minute", RATELIMIT_SLACK="3 per minute",
                    RATELIMIT_SLACK_USER="2 per minute", SLACK_SIGNING_SECRET=slack_secret,
                    SLACK_RESPONSE_URL_PREFIXES=("http://127.0.0.1:",)).test_client()


@pytest.fixture()
def slack_command(limited, slack_signature, icti_provider):
    """A signed /authdoctor command from Slack team `team`, user `user`."""
    def command(team, user="U1"):
        body = urlencode({"team_id": team, "command": "/authdoctor", "text": icti_provider, "user_id": user})
        return limited.post("/slack/commands", data=body, content_type=FORM, headers=slack_signature(body))
    return command


def _slowed(resp) -> bool:
    """Slack's answer is the ephemeral "slow down", as a 200 (Slack shows a 429 as a failure)."""
    assert resp.status_code == 200
    body = resp.get_json()
    return body["response_type"] == "ephemeral" and body["text"].startswith("Slow down")



def test_the_api_answers_429_json_after_the_limit(limited, icti_provider):
    codes = [limited.post("/api/v1/diagnose", json={"error": icti_provider}).status_code for _ in range(2)]
    r = limited.post("/api/v1/diagnose", json={"error": icti_provider})
    assert codes == [200, 200] and r.status_code == 429
    err = r.get_json()["error"]
    assert err["code"] == "rate_limited" and err["request_id"] == r.headers["X-Request-Id"]
    assert int(r.headers["Retry-After"]) > 0


def test_the_page_answers_429_html_after_the_limit(limited):
    for _ in range(2):
        limited.get("/")
    r = limited.get("/")
    assert r.status_code == 429 and r.mimetype == "text/html"


def test_healthz_is_never_rate_limited(limited):
    assert {limited.get("/healthz").status_code for _ in range(10)} == {200}


def test_the_limit_is_per_client_address(limited, icti_provider):
    for _ in range(3):
        limited.post("/api/v1/diagnose", json={"error": icti_provider}, environ_base={"REMOTE_ADDR": "10.0.0.1"})
    r = limited.post("/api/v1/diagnose", json={"error": icti_provider}, environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert r.status_code == 200


def test_slack_past_the_users_limit_is_told_to_slow_down_ephemerally(slack_command):
    answers = [slack_command("T1", "U1") for _ in range(3)]
    assert [_slowed(r) for r in answers] == [False, False, True]
    assert "you asked more than 2 times in 60 seconds" in answers[2].get_json()["text"]
    assert not _slowed(slack_command("T1", "U2"))


def test_slack_past_the_teams_limit_is_told_to_slow_down_whoever_asks(slack_command):
    assert [_slowed(slack_command("T1", user)) for user in ("U1", "U2", "U3", "U4")] == [False, False, False, True]
    assert "this workspace asked more than 3 times" in slack_command("T1", "U5").get_json()["text"]
    assert not _slowed(slack_command("T2", "U1"))


def test_a_slowed_button_click_gets_the_notice_at_its_response_url(limited, slack_signature, response_url):
    def click():
        payload = json.dumps({"type": "block_actions", "team": {"id": "T7"}, "user": {"id": "U7"}, "actions": [],
                              "response_url": response_url.url})
        body = urlencode({"payload": payload})
        return limited.post("/slack/interactions", data=body, content_type=FORM, headers=slack_signature(body))
    assert [click().status_code for _ in range(3)] == [200, 200, 200]
    notice = response_url.posts.get(timeout=10)
    assert notice["text"].startswith("Slow down") and notice["response_type"] == "ephemeral" and notice["replace_original"] is False


def test_unsigned_slack_posts_do_not_spend_a_teams_quota(limited, slack_signature, slack_command, icti_provider):
    for _ in range(5):
        body = urlencode({"team_id": "T1", "user_id": "U1", "text": icti_provider})
        r = limited.post("/slack/commands", data=body, content_type=FORM, headers=slack_signature(body, secret="wrong"))
        assert r.status_code == 401
    assert not _slowed(slack_command("T1"))


def test_forged_posts_that_used_to_fail_with_500_do_not_spend_a_teams_quota(limited, slack_command, icti_provider):
    # a non-ASCII signature, and a button payload nested too deep to parse: unsigned both,
    # each once a 500 that counted against team T1; now refused, and never counted
    ts = str(int(time.time()))
    for _ in range(3):
        body = urlencode({"team_id": "T1", "user_id": "U1", "text": icti_provider})
        r = limited.post("/slack/commands", data=body, content_type=FORM,
                         headers={"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": "v0=" + "\u00e9" * 64})
        assert r.status_code == 401
        body = urlencode({"team_id": "T1", "payload": "[" * 10_000})
        r = limited.post("/slack/interactions", data=body, content_type=FORM,
                         headers={"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": "v0=" + "0" * 64})
        assert r.status_code == 401
    assert [_slowed(slack_command("T1")) for _ in range(3)] == [False, False, True]


def test_only_a_verified_request_spends_the_quota_whatever_its_status(limited, slack_signature):
    # a signed post that is refused (400, bad payload) is Slack's own request: it counts
    def bad(team):
        body = urlencode({"payload": json.dumps({"type": "block_actions", "team": {"id": team}, "user": {"id": "U9"},
                                                 "actions": {"x": 1}})})
        return limited.post("/slack/interactions", data=body, content_type=FORM, headers=slack_signature(body)).status_code
    assert [bad("T9") for _ in range(3)] == [400, 400, 200]


def test_the_limits_fail_open_when_their_store_is_down(make_app, icti_provider, slack_secret, slack_signature, caplog):
    # nothing listens on port 1: every count fails, and every request is still answered
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_DEFAULT="1 per minute", RATELIMIT_SLACK="1 per minute",
                   REDIS_URL="redis://127.0.0.1:1/0", SLACK_SIGNING_SECRET=slack_secret)
    client = app.test_client()
    assert [client.post("/api/v1/diagnose", json={"error": icti_provider}).status_code for _ in range(3)] == [200] * 3
    body = urlencode({"team_id": "T1", "user_id": "U1", "command": "/authdoctor", "text": icti_provider})
    answers = [client.post("/slack/commands", data=body, content_type=FORM, headers=slack_signature(body)) for _ in range(3)]
    assert [_slowed(r) for r in answers] == [False] * 3
    assert any("limits are open" in r.getMessage() for r in caplog.records)
