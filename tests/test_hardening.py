"""Bad input, load and attack: inert XSS, clean 500s, 429s, 413s, and the request log line."""
import hashlib
import hmac
import json
import logging
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode

import pytest

from authdoctor.diagnose import Doctor
from authdoctor.web import create_app

KB_DIR = Path(__file__).resolve().parent.parent / "kb"

ICTI = ("Error: error configuring Terraform AWS Provider: error validating provider credentials: "
        "error calling sts:GetCallerIdentity: InvalidClientTokenId: The security token included in the request is invalid.")
XSS = ['<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', "'><svg onload=alert(1)>",
       '</textarea><script>alert(2)</script>', 'javascript:alert(3)', '<a href="javascript:alert(4)">x</a>',
       '{{ 7*7 }}<iframe srcdoc="<script>alert(5)</script>">']
SIGNING_SECRET = "test-signing-secret"


@pytest.fixture()
def make_app(kb, monkeypatch):
    """A fresh app per test (its own limiter counts), on the session's already-loaded KB."""
    from authdoctor import knowledge as kbmod
    monkeypatch.setattr(kbmod, "load", lambda *a, **k: kb)

    def make(**config):
        return create_app(str(KB_DIR), test_config={"TESTING": True, "RATELIMIT_ENABLED": False, **config})
    return make


class Tags(HTMLParser):
    """Every start tag with its attributes, and the text inside <script> elements."""

    def __init__(self):
        super().__init__()
        self.tags, self.script_text, self._in_script = [], [], False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.script_text.append(data)


def executable_bits(html: str) -> list:
    p = Tags()
    p.feed(html)
    found = [f"inline script {t!r}" for t in p.script_text]
    for tag, attrs in p.tags:
        if tag == "script" and attrs.get("src") != "/static/copy.js":
            found.append(f"script tag {attrs}")
        if tag in ("iframe", "svg", "object", "embed", "img"):
            found.append(f"{tag} tag {attrs}")
        for name, value in attrs.items():
            if name.startswith("on"):
                found.append(f"{tag} {name}={value!r}")
            if name in ("href", "src", "action", "formaction", "srcdoc") and value and (
                    value.strip().lower().startswith("javascript:") or name == "srcdoc"):
                found.append(f"{tag} {name}={value!r}")
    return found


def sign(body: str, secret: str = SIGNING_SECRET) -> dict:
    ts = str(int(time.time()))
    sig = "v0=" + hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sig,
            "Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture()
def access_log():
    """The JSON lines the `authdoctor.access` logger writes, parsed."""
    records = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(json.loads(record.getMessage()))

    logger = logging.getLogger("authdoctor.access")
    handler = Keep(level=logging.INFO)
    logger.addHandler(handler)
    yield records
    logger.removeHandler(handler)


class CountingInput:
    """A wsgi.input that counts what the server reads from it."""

    def __init__(self):
        self.read_bytes = 0

    def read(self, size=-1):
        size = 1 << 20 if size is None or size < 0 else size
        self.read_bytes += size
        return b"x" * size

    readline = read


# --- XSS ------------------------------------------------------------------------

@pytest.mark.parametrize("payload", XSS)
def test_xss_pasted_into_the_page_comes_back_inert(client, payload):
    r = client.post("/", data={"error": f"{ICTI}\n{payload}"})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "InvalidClientTokenId" in html
    assert executable_bits(html) == []
    assert "Content-Security-Policy" in r.headers


@pytest.mark.parametrize("payload", XSS)
def test_xss_in_a_shared_link_comes_back_inert(client, payload):
    r = client.get("/?" + urlencode({"error": f"{ICTI} {payload}", "runner": "github-actions"}))
    assert r.status_code == 200 and executable_bits(r.get_data(as_text=True)) == []


@pytest.mark.parametrize("payload", XSS)
def test_xss_in_a_hint_field_comes_back_inert(client, payload):
    r = client.post("/", data={"error": ICTI, "region": payload, "terraform_version": payload})
    assert r.status_code == 400 and executable_bits(r.get_data(as_text=True)) == []


def test_an_invalid_hint_does_not_echo_the_unmasked_paste(client):
    secret = "kWcrlUX5JEDGM/LtmEENI+aVmYvHNif5zB+d9+ct"
    r = client.post("/", data={"error": f"{ICTI}\naws_secret_access_key = {secret}", "region": "nowhere"})
    assert r.status_code == 400 and secret not in r.get_data(as_text=True)


# --- unexpected errors --------------------------------------------------------------

@pytest.fixture()
def broken_app(make_app, monkeypatch):
    def boom(self, *a, **k):
        raise RuntimeError("engine exploded")
    monkeypatch.setattr(Doctor, "diagnose", boom)
    return make_app()


def test_an_unexpected_error_on_the_api_is_a_json_500_with_a_request_id(broken_app):
    r = broken_app.test_client().post("/api/v1/diagnose", json={"error": ICTI})
    err = r.get_json()["error"]
    assert r.status_code == 500 and err["code"] == "internal"
    assert err["request_id"] == r.headers["X-Request-Id"]
    assert "Traceback" not in r.get_data(as_text=True) and "exploded" not in r.get_data(as_text=True)


def test_an_unexpected_error_on_the_page_is_an_html_500_with_a_request_id(broken_app):
    r = broken_app.test_client().post("/", data={"error": ICTI})
    html = r.get_data(as_text=True)
    assert r.status_code == 500 and r.mimetype == "text/html"
    assert r.headers["X-Request-Id"] in html and "Traceback" not in html and "exploded" not in html


def test_an_unexpected_error_is_logged_with_its_traceback_and_request_id(broken_app, caplog, access_log):
    with caplog.at_level(logging.ERROR, logger="authdoctor"):
        r = broken_app.test_client().post("/api/v1/diagnose", json={"error": ICTI})
    rid = r.headers["X-Request-Id"]
    logged = [rec for rec in caplog.records if rec.name == "authdoctor" and rec.levelno == logging.ERROR]
    assert logged and logged[-1].exc_info and getattr(logged[-1], "request_id", None) == rid
    assert access_log[-1]["request_id"] == rid and access_log[-1]["status"] == 500
    assert access_log[-1]["error_code"] == "internal"


# --- rate limiting ------------------------------------------------------------------

@pytest.fixture()
def limited(make_app):
    return make_app(RATELIMIT_ENABLED=True, RATELIMIT_DEFAULT="2 per minute", RATELIMIT_SLACK="2 per minute",
                    SLACK_SIGNING_SECRET=SIGNING_SECRET).test_client()


def test_the_api_answers_429_json_after_the_limit(limited):
    codes = [limited.post("/api/v1/diagnose", json={"error": ICTI}).status_code for _ in range(2)]
    r = limited.post("/api/v1/diagnose", json={"error": ICTI})
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


def test_the_limit_is_per_client_address(limited):
    for _ in range(3):
        limited.post("/api/v1/diagnose", json={"error": ICTI}, environ_base={"REMOTE_ADDR": "10.0.0.1"})
    r = limited.post("/api/v1/diagnose", json={"error": ICTI}, environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert r.status_code == 200


def slack_command(client, team):
    body = urlencode({"team_id": team, "command": "/authdoctor", "text": ICTI, "user_id": "U1"})
    return client.post("/slack/commands", data=body, headers=sign(body))


def test_slack_is_limited_per_team_not_per_address(limited):
    assert [slack_command(limited, "T1").status_code for _ in range(3)] == [200, 200, 429]
    assert slack_command(limited, "T2").status_code == 200


def test_slack_429_uses_the_json_error_envelope(limited):
    for _ in range(2):
        slack_command(limited, "T1")
    r = slack_command(limited, "T1")
    assert r.status_code == 429 and r.get_json()["error"]["code"] == "rate_limited"


def test_slack_buttons_are_limited_by_the_payload_team(limited):
    def click(team):
        payload = json.dumps({"type": "block_actions", "team": {"id": team}, "actions": []})
        body = urlencode({"payload": payload})
        return limited.post("/slack/interactions", data=body, headers=sign(body)).status_code
    assert [click("T7") for _ in range(3)] == [200, 200, 429] and click("T8") == 200


def test_unsigned_slack_posts_do_not_spend_a_teams_quota(limited):
    for _ in range(5):
        body = urlencode({"team_id": "T1", "text": ICTI})
        assert limited.post("/slack/commands", data=body, headers=sign(body, "wrong")).status_code == 401
    assert slack_command(limited, "T1").status_code == 200


# --- oversized bodies ----------------------------------------------------------------

@pytest.mark.parametrize("path,mimetype", [("/api/v1/diagnose", "application/json"),
                                           ("/", "application/x-www-form-urlencoded"),
                                           ("/slack/commands", "application/x-www-form-urlencoded")])
def test_a_1_mib_body_is_refused_with_413_without_being_read(make_app, path, mimetype):
    client = make_app(RATELIMIT_ENABLED=True, SLACK_SIGNING_SECRET=SIGNING_SECRET).test_client()
    body = CountingInput()
    r = client.post(path, content_type=mimetype,
                    environ_overrides={"wsgi.input": body, "CONTENT_LENGTH": str(1 << 20)})
    assert r.status_code == 413 and body.read_bytes == 0


# --- the request log line ------------------------------------------------------------

def test_the_log_line_carries_the_request_facts_and_never_the_pasted_text(client, access_log):
    marker = "my-very-own-bucket-name-7f3a"
    r = client.post("/api/v1/diagnose", json={"error": f"{ICTI}\n  bucket {marker}"})
    line = access_log[-1]
    assert line["request_id"] == r.headers["X-Request-Id"] and line["route"] == "/api/v1/diagnose"
    assert line["status"] == 200 and line["recognized_code"] == "InvalidClientTokenId"
    assert line["top_cause"] == r.get_json()["causes"][0]["id"]
    assert isinstance(line["latency_ms"], float) and line["latency_ms"] >= 0
    assert marker not in json.dumps(line) and "security token" not in json.dumps(line)


def test_the_log_line_of_a_refused_request_names_its_error_code(client, access_log):
    client.post("/api/v1/diagnose", json={"error": ICTI, "hints": {"colour": "blue"}})
    assert access_log[-1]["status"] == 400 and access_log[-1]["error_code"] == "unknown_hint"
