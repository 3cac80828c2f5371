"""The JSON API of API.md: answers, and a clear 4xx for everything a client can get wrong."""

SECRET = "kWcrlUX5JEDGM/LtmEENI+aVmYvHNif5zB+d9+ct"
KEY = "AKIAIOSFODNN7EXAMPLE"


def post(client, body, **kw):
    return client.post("/api/v1/diagnose", json=body, **kw)


def err(resp):
    return resp.get_json()["error"]


def test_diagnosis_has_the_fixed_fields(client, icti):
    r = post(client, {"error": icti, "hints": {"runner": "github-actions", "key_prefix": "ASIA"}})
    body = r.get_json()
    assert r.status_code == 200
    for field in ("recognized", "error_code", "stage", "causes", "question", "redacted", "answer_id", "kb_version", "hints_used", "variant"):
        assert field in body
    c = body["causes"][0]
    assert {"id", "title", "probability", "why", "fix"} <= set(c) and c["fix"][0]["commands"]


def test_unrecognised_text_is_an_answer_not_an_error(client):
    body = post(client, {"error": "Error: Cycle: aws_instance.a, aws_instance.b"}).get_json()
    assert body["recognized"] is False and body["causes"] == [] and body["error_code"] is None


def test_missing_error_field_is_400(client):
    r = post(client, {"hints": {}})
    assert r.status_code == 400 and err(r)["code"] == "missing_field" and err(r)["field"] == "error"


def test_empty_error_is_400(client):
    r = post(client, {"error": "   "})
    assert r.status_code == 400 and err(r)["code"] == "missing_field"


def test_non_string_error_is_400(client):
    r = post(client, {"error": ["a"]})
    assert r.status_code == 400 and err(r)["code"] == "invalid_field"


def test_malformed_json_is_400(client):
    r = client.post("/api/v1/diagnose", data='{"error": ', content_type="application/json")
    assert r.status_code == 400 and err(r)["code"] == "bad_json"


def test_json_that_is_not_an_object_is_400(client):
    r = client.post("/api/v1/diagnose", data='["x"]', content_type="application/json")
    assert r.status_code == 400 and err(r)["code"] == "bad_json"


def test_non_json_content_type_is_415(client):
    r = client.post("/api/v1/diagnose", data="error=x", content_type="application/x-www-form-urlencoded")
    assert r.status_code == 415 and err(r)["code"] == "unsupported_media_type"


def test_body_over_64_kib_is_413(client):
    r = post(client, {"error": "x" * (65 * 1024)})
    assert r.status_code == 413 and err(r)["code"] == "too_large"


def test_non_utf8_body_is_400(client):
    r = client.post("/api/v1/diagnose", data=b'{"error": "\xff\xfe"}', content_type="application/json")
    assert r.status_code == 400 and err(r)["code"] == "bad_encoding"


def test_binary_junk_is_400_not_500(client):
    r = client.post("/api/v1/diagnose", data=bytes(range(256)) * 4, content_type="application/json")
    assert r.status_code == 400


def test_unknown_hint_key_is_400_naming_it(client, icti):
    r = post(client, {"error": icti, "hints": {"colour": "blue"}})
    assert r.status_code == 400 and err(r)["code"] == "unknown_hint" and "colour" in err(r)["message"]


def test_hint_value_outside_its_domain_is_400_naming_it(client, icti):
    r = post(client, {"error": icti, "hints": {"runner": "teamcity"}})
    assert r.status_code == 400 and err(r)["code"] == "invalid_hint" and err(r)["field"] == "hints.runner"


def test_hint_of_the_wrong_type_is_400_naming_it(client, icti):
    r = post(client, {"error": icti, "hints": {"in_docker": "maybe"}})
    assert r.status_code == 400 and err(r)["field"] == "hints.in_docker"


def test_hints_that_are_not_an_object_are_400(client, icti):
    r = post(client, {"error": icti, "hints": ["runner"]})
    assert r.status_code == 400


def test_a_pasted_secret_never_appears_in_the_response(client, icti):
    r = post(client, {"error": f"{icti}\nexport AWS_ACCESS_KEY_ID={KEY}\nexport AWS_SECRET_ACCESS_KEY={SECRET}"})
    raw = r.get_data(as_text=True)
    assert KEY not in raw and SECRET not in raw
    assert set(r.get_json()["redacted"]) >= {"aws-access-key-id", "aws-secret-access-key"}
    assert "rotate" in r.get_json()["rotate"]


def test_answering_the_question_is_the_same_request_with_the_hint_added(client, icti):
    first = post(client, {"error": icti}).get_json()
    q = first["question"]
    assert q and q["options"]
    second = post(client, {"error": icti, "hints": {q["hint"]: q["options"][0]}}).get_json()
    assert second["hints_used"][q["hint"]]["source"] == "user"
    assert (second["question"] or {}).get("hint") != q["hint"]


def test_i_dont_know_removes_the_question_without_evidence(client, icti):
    first = post(client, {"error": icti}).get_json()
    hint = first["question"]["hint"]
    second = post(client, {"error": icti, "unknown": [hint]}).get_json()
    assert (second["question"] or {}).get("hint") != hint and hint not in second["hints_used"]
    assert [c["probability"] for c in second["causes"]] == [c["probability"] for c in first["causes"]]


def test_healthz_reports_kb_version_and_cause_count(client):
    body = client.get("/healthz").get_json()
    assert body["status"] == "ok" and body["causes"] == 28 and body["kb_version"]
