"""/metrics: requests by door and status, diagnoses by error code and first cause, latency, Slack's acknowledgement
time; under gunicorn the counts of every worker add up."""
import json
import re

import pytest


def _samples(text: str, name: str) -> dict[str, float]:
    """{label text: value} of the metric `name` in Prometheus' text format."""
    out = {}
    for m in re.finditer(rf"^{name}\{{(.*?)\}} (\S+)$", text, re.MULTILINE):
        out[m.group(1)] = out.get(m.group(1), 0.0) + float(m.group(2))
    return out


def _total(text: str, name: str, **labels: str) -> float:
    want = [f'{k}="{v}"' for k, v in labels.items()]
    return sum(v for k, v in _samples(text, name).items() if all(w in k for w in want))


def test_requests_are_counted_by_door_and_status(client, icti_provider):
    before = client.get("/metrics").get_data(as_text=True)
    client.post("/api/v1/diagnose", json={"error": icti_provider})
    client.post("/api/v1/diagnose", json={"error": icti_provider, "hints": {"colour": "blue"}})
    client.get("/")
    after = client.get("/metrics").get_data(as_text=True)
    for door, status, n in (("api", "200", 1), ("api", "400", 1), ("page", "200", 1)):
        assert _total(after, "authdoctor_requests_total", door=door, status=status) - \
            _total(before, "authdoctor_requests_total", door=door, status=status) == n


def test_diagnoses_are_counted_by_error_code_and_first_cause(client, icti_provider):
    top = client.post("/api/v1/diagnose", json={"error": icti_provider}).get_json()["causes"][0]["id"]
    text = client.get("/metrics").get_data(as_text=True)
    assert _total(text, "authdoctor_diagnoses_total", error_code="InvalidClientTokenId", first_cause=top) >= 1


def test_every_request_counts_not_only_the_first_of_its_labels(client, icti_provider):
    # the children of a door and status, an error code and first cause, are kept after the first request
    before = client.get("/metrics").get_data(as_text=True)
    for _ in range(3):
        client.post("/api/v1/diagnose", json={"error": icti_provider})
    after = client.get("/metrics").get_data(as_text=True)
    for name, labels in (("authdoctor_requests_total", {"door": "api", "status": "200"}),
                         ("authdoctor_request_duration_seconds_count", {"door": "api"}),
                         ("authdoctor_diagnoses_total", {"error_code": "InvalidClientTokenId"})):
        assert _total(after, name, **labels) - _total(before, name, **labels) == 3


def test_latency_and_slacks_acknowledgement_are_histograms(client):
    text = client.get("/metrics").get_data(as_text=True)
    assert "# TYPE authdoctor_request_duration_seconds histogram" in text
    assert "# TYPE authdoctor_slack_ack_seconds histogram" in text


@pytest.mark.slow
def test_under_gunicorn_the_counts_of_every_worker_add_up(gunicorn):
    server = gunicorn(workers=3)
    body = json.dumps({"error": "api error InvalidClientTokenId: The security token included in the request is invalid."})
    for _ in range(30):
        assert server.request("POST", "/api/v1/diagnose", body, {"Content-Type": "application/json"})[0] == 200
    for _ in range(6):
        assert server.request("GET", "/")[0] == 200
    # whichever worker answers /metrics, it reports all three workers' counts
    for _ in range(5):
        text = server.request("GET", "/metrics")[1].decode()
        assert _total(text, "authdoctor_requests_total", door="api", status="200") == 30
        assert _total(text, "authdoctor_requests_total", door="page", status="200") == 6
        assert _total(text, "authdoctor_diagnoses_total", error_code="InvalidClientTokenId") == 30
        assert _total(text, "authdoctor_request_duration_seconds_count", door="api") == 30
