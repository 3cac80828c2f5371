"""One JSON error envelope for /api and /slack, a plain page elsewhere, and never a trace on a 500."""
import logging

import pytest

from authdoctor.diagnose import Doctor


@pytest.fixture()
def broken_app(make_app, monkeypatch):
    def boom(self, *a, **k):
        raise RuntimeError("engine exploded")
    monkeypatch.setattr(Doctor, "diagnose", boom)
    return make_app()


def test_wrong_method_is_405_json(client):
    r = client.get("/api/v1/diagnose")
    assert r.status_code == 405 and r.get_json()["error"]["code"] == "method_not_allowed"


def test_an_unexpected_error_on_the_api_is_a_json_500_with_a_request_id(broken_app, icti_provider):
    r = broken_app.test_client().post("/api/v1/diagnose", json={"error": icti_provider})
    err = r.get_json()["error"]
    assert r.status_code == 500 and err["code"] == "internal"
    assert err["request_id"] == r.headers["X-Request-Id"]
    assert "Traceback" not in r.get_data(as_text=True) and "exploded" not in r.get_data(as_text=True)


def test_an_unexpected_error_on_the_page_is_an_html_500_with_a_request_id(broken_app, icti_provider):
    r = broken_app.test_client().post("/", data={"error": icti_provider})
    html = r.get_data(as_text=True)
    assert r.status_code == 500 and r.mimetype == "text/html"
    assert r.headers["X-Request-Id"] in html and "Traceback" not in html and "exploded" not in html


def test_an_unexpected_error_is_logged_with_its_traceback_and_request_id(broken_app, caplog, access_log, icti_provider):
    with caplog.at_level(logging.ERROR, logger="authdoctor"):
        r = broken_app.test_client().post("/api/v1/diagnose", json={"error": icti_provider})
    rid = r.headers["X-Request-Id"]
    logged = [rec for rec in caplog.records if rec.name == "authdoctor" and rec.levelno == logging.ERROR]
    assert logged and logged[-1].exc_info and getattr(logged[-1], "request_id", None) == rid
    assert access_log[-1]["request_id"] == rid and access_log[-1]["status"] == 500
    assert access_log[-1]["error_code"] == "internal"


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "TRACE"])
@pytest.mark.parametrize("path", ["/", "/static/style.css", "/static/no-such-file.js", "/api/v1/diagnose", "/healthz"])
def test_a_method_a_route_does_not_take_is_405_with_allow_never_500(client, method, path):
    r = client.open(path, method=method)
    assert r.status_code == 405, r.get_data(as_text=True)[:300]
    allowed = {m.strip() for m in r.headers["Allow"].split(",")}
    assert method not in allowed and ("GET" in allowed or "POST" in allowed)
    if path.startswith(("/api/", "/healthz")):
        assert r.get_json()["error"]["code"] == "method_not_allowed"
    else:
        assert r.mimetype == "text/html" and f"{method} is not allowed here" in r.get_data(as_text=True)


def test_an_unexpected_error_is_logged_without_its_message(broken_app, caplog, monkeypatch, icti_provider):
    # an exception's message may quote the request; the log keeps the frames and the type only
    def boom(self, text, **k):
        raise ValueError(f"cannot read {text!r}")
    monkeypatch.setattr(Doctor, "diagnose", boom)
    marker = "AKIAJ7Q2ZK4XW3N5PLMD"
    with caplog.at_level(logging.ERROR, logger="authdoctor"):
        broken_app.test_client().post("/api/v1/diagnose", json={"error": f"{icti_provider} {marker}"})
    logged = [rec for rec in caplog.records if rec.name == "authdoctor" and rec.levelno == logging.ERROR]
    assert logged and "ValueError" in caplog.text and "boom" in caplog.text
    assert marker not in caplog.text and icti_provider[:30] not in caplog.text
