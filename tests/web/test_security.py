"""Headers every response carries, and one JSON log line per request that never holds the pasted text."""
import json


def test_security_headers_are_set(client):
    r = client.get("/healthz")
    assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
    assert r.headers["X-Content-Type-Options"] == "nosniff" and r.headers["Referrer-Policy"] == "no-referrer"


def test_the_log_line_carries_the_request_facts_and_never_the_pasted_text(client, access_log, icti_provider):
    marker = "my-very-own-bucket-name-7f3a"
    r = client.post("/api/v1/diagnose", json={"error": f"{icti_provider}\n  bucket {marker}"})
    line = access_log[-1]
    assert line["request_id"] == r.headers["X-Request-Id"] and line["route"] == "/api/v1/diagnose"
    assert line["status"] == 200 and line["recognized_code"] == "InvalidClientTokenId"
    assert line["top_cause"] == r.get_json()["causes"][0]["id"]
    assert isinstance(line["latency_ms"], float) and line["latency_ms"] >= 0
    assert marker not in json.dumps(line) and "security token" not in json.dumps(line)


def test_the_log_line_of_a_refused_request_names_its_error_code(client, access_log, icti_provider):
    client.post("/api/v1/diagnose", json={"error": icti_provider, "hints": {"colour": "blue"}})
    assert access_log[-1]["status"] == 400 and access_log[-1]["error_code"] == "unknown_hint"
