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


def test_a_404_path_and_its_query_are_never_logged(client, access_log):
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"
    for path in (f"/{secret}", f"/static/{secret}.css", f"/api/v1/{secret}?token={secret}", f"/?x={secret}&aws_secret_access_key={secret}"):
        client.get(path)
        line = json.dumps(access_log[-1])
        assert secret not in line and "EXAMPLEKEY" not in line, line
    client.get(f"/nope/{secret}")
    assert access_log[-1]["route"] == "(no route)" and access_log[-1]["status"] == 404
    client.get(f"/?q={secret}")
    assert access_log[-1]["route"] == "/"


def test_a_method_the_log_does_not_know_is_not_logged_as_sent(client, access_log):
    client.open("/", method="AKIAJ7Q2ZK4XW3N5PLMD")
    assert access_log[-1]["method"] == "(other)" and "AKIA" not in json.dumps(access_log[-1])
