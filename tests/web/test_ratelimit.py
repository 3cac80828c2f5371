"""Rate limits: per client address on the page and the API, per team on Slack; 429s in each door's own form."""
import json
import time
from urllib.parse import urlencode

import pytest

FORM = "application/x-www-form-urlencoded"


@pytest.fixture()
def limited(make_app, slack_secret):
    return make_app(RATELIMIT_ENABLED=True, RATELIMIT_DEFAULT="2 per minute", RATELIMIT_SLACK="2 per minute",
                    SLACK_SIGNING_SECRET=slack_secret).test_client()


@pytest.fixture()
def slack_command(limited, slack_signature, icti_provider):
    """A signed /authdoctor command from Slack team `team`."""
    def command(team):
        body = urlencode({"team_id": team, "command": "/authdoctor", "text": icti_provider, "user_id": "U1"})
        return limited.post("/slack/commands", data=body, content_type=FORM, headers=slack_signature(body))
    return command


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


def test_slack_is_limited_per_team_not_per_address(slack_command):
    assert [slack_command("T1").status_code for _ in range(3)] == [200, 200, 429]
    assert slack_command("T2").status_code == 200


def test_slack_429_uses_the_json_error_envelope(slack_command):
    for _ in range(2):
        slack_command("T1")
    r = slack_command("T1")
    assert r.status_code == 429 and r.get_json()["error"]["code"] == "rate_limited"


def test_slack_buttons_are_limited_by_the_payload_team(limited, slack_signature):
    def click(team):
        payload = json.dumps({"type": "block_actions", "team": {"id": team}, "actions": []})
        body = urlencode({"payload": payload})
        return limited.post("/slack/interactions", data=body, content_type=FORM, headers=slack_signature(body)).status_code
    assert [click("T7") for _ in range(3)] == [200, 200, 429] and click("T8") == 200


def test_unsigned_slack_posts_do_not_spend_a_teams_quota(limited, slack_signature, slack_command, icti_provider):
    for _ in range(5):
        body = urlencode({"team_id": "T1", "text": icti_provider})
        r = limited.post("/slack/commands", data=body, content_type=FORM, headers=slack_signature(body, secret="wrong"))
        assert r.status_code == 401
    assert slack_command("T1").status_code == 200


def test_forged_posts_that_used_to_fail_with_500_do_not_spend_a_teams_quota(limited, slack_command, icti_provider):
    # a non-ASCII signature, and a button payload nested too deep to parse: unsigned both,
    # each once a 500 that counted against team T1; now refused, and never counted
    ts = str(int(time.time()))
    for _ in range(3):
        body = urlencode({"team_id": "T1", "text": icti_provider})
        r = limited.post("/slack/commands", data=body, content_type=FORM,
                         headers={"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": "v0=" + "\u00e9" * 64})
        assert r.status_code == 401
        body = urlencode({"team_id": "T1", "payload": "[" * 10_000})
        r = limited.post("/slack/interactions", data=body, content_type=FORM,
                         headers={"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": "v0=" + "0" * 64})
        assert r.status_code == 401
    assert [slack_command("T1").status_code for _ in range(3)] == [200, 200, 429]


def test_only_a_verified_request_spends_the_quota_whatever_its_status(limited, slack_signature):
    # a signed post that is refused (400, bad payload) is Slack's own request: it counts
    def bad(team):
        body = urlencode({"payload": json.dumps({"type": "block_actions", "team": {"id": team}, "actions": {"x": 1}})})
        return limited.post("/slack/interactions", data=body, content_type=FORM, headers=slack_signature(body)).status_code
    assert [bad("T9") for _ in range(3)] == [400, 400, 429]
