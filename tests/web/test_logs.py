"""Log lines: JSON, one a line, with time, level and request id (the caller's X-Request-ID when it is a plain token),
from the app and from gunicorn alike, also around an unexpected error; never the pasted text."""
import json
import logging

import pytest

from authdoctor.web.logs import Formatter, RequestIdFilter

SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
PASTE = f"api error InvalidClientTokenId: The security token included in the request is invalid. aws_secret_access_key={SECRET_KEY}"


def test_a_record_is_one_json_line_with_time_level_and_request_id():
    record = logging.LogRecord("authdoctor", logging.WARNING, __file__, 1, "careful: %s", ("this",), None)
    RequestIdFilter().filter(record)
    line = Formatter().format(record)
    entry = json.loads(line)
    assert "\n" not in line and entry["message"] == "careful: this" and entry["level"] == "WARNING"
    assert entry["time"][:2] == "20" and "request_id" in entry and entry["logger"] == "authdoctor"


def test_a_traceback_stays_on_the_one_line():
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        import sys
        record = logging.LogRecord("authdoctor", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    line = Formatter().format(record)
    assert "\n" not in line and "Traceback" in json.loads(line)["exc_info"]


def test_the_callers_request_id_is_honoured(client, access_log, icti_provider):
    r = client.post("/api/v1/diagnose", json={"error": icti_provider}, headers={"X-Request-ID": "lb-7f3a.42"})
    assert r.headers["X-Request-Id"] == "lb-7f3a.42" and access_log[-1]["request_id"] == "lb-7f3a.42"


@pytest.mark.parametrize("rid", ["two words", "<script>", "x" * 65, "AKIAIOSFODNN7EXAMPLE"])
def test_a_request_id_that_is_not_a_plain_token_or_looks_like_a_key_is_replaced(client, rid):
    r = client.get("/healthz", headers={"X-Request-ID": rid})
    assert r.headers["X-Request-Id"] != rid and len(r.headers["X-Request-Id"]) == 16


APP = '''from authdoctor.web import create_app

app = create_app()


@app.post("/boom")
def boom():
    from flask import request
    raise RuntimeError("the paste: " + request.get_data(as_text=True))
'''


@pytest.mark.slow
def test_every_line_gunicorn_and_the_app_write_is_json_with_a_request_id_also_after_an_error(gunicorn, tmp_path):
    (tmp_path / "boom_app.py").write_text(APP)
    server = gunicorn(app="boom_app:app", pythonpath=str(tmp_path), workers=2)
    body = json.dumps({"error": PASTE})
    assert server.request("POST", "/api/v1/diagnose", body, {"Content-Type": "application/json", "X-Request-ID": "rid-ok-1"})[0] == 200
    assert server.request("POST", "/boom", PASTE, {"X-Request-ID": "rid-boom-1"})[0] == 500
    assert server.request("GET", "/healthz", None, {"X-Request-ID": "rid-after-1"})[0] == 200
    server.stop()
    lines = [line for line in server.log_text().splitlines() if line.strip()]
    entries = [json.loads(line) for line in lines]  # every line: one JSON object
    assert all({"time", "level", "message", "request_id"} <= set(e) for e in entries)
    by_id = {}
    for e in entries:
        by_id.setdefault(e["request_id"], []).append(e)
    assert {e["status"] for e in by_id["rid-ok-1"] if "status" in e} == {200}
    boom = by_id["rid-boom-1"]
    assert any(e["level"] == "ERROR" and "Traceback" in e.get("exc_info", "") for e in boom)
    assert any(e.get("status") == 500 for e in boom) and by_id["rid-after-1"][0]["status"] == 200
    assert any("Booting worker" in e["message"] for e in entries), "gunicorn's own lines are JSON too"
    # two workers and no Redis: the start says that limits and Slack pastes are per worker
    assert any(e["level"] == "WARNING" and "no AUTHDOCTOR_REDIS_URL" in e["message"] for e in entries)
    text = server.log_text()
    assert SECRET_KEY not in text and "security token included" not in text
