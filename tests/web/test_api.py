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


def test_healthz_reports_kb_version_and_cause_count(client, kb):
    body = client.get("/healthz").get_json()
    assert body["status"] == "ok" and body["causes"] == len(kb.causes) and body["kb_version"]


# --- what an attacker's test found (issue 17) -----------------------------------------

def test_json_nested_10000_deep_is_400_not_500(client):
    for body in ("[" * 10_000 + "]" * 10_000, '{"error": ' + "[" * 10_000 + "]" * 10_000 + "}"):
        r = client.post("/api/v1/diagnose", data=body, content_type="application/json")
        assert r.status_code == 400 and err(r)["code"] == "bad_json" and "nests" in err(r)["message"]


def test_json_nested_past_32_levels_is_400_naming_the_field(client, icti):
    deep: list = []
    for _ in range(40):
        deep = [deep]
    r = post(client, {"error": icti, "hints": {"env_vars_set": ["AWS_PROFILE"], "runner": deep}})
    assert r.status_code == 400 and err(r)["code"] == "bad_json" and err(r)["field"] == "hints.runner"


def test_a_4300_digit_integer_in_a_hint_is_400_naming_the_problem(client, icti):
    for digits in (4300, 4301, 101):
        for hint in ("terraform_version", "clock_skew_seconds", "runner"):
            body = f'{{"error": "{icti}", "hints": {{"{hint}": {"7" * digits}}}}}'
            r = client.post("/api/v1/diagnose", data=body, content_type="application/json")
            assert r.status_code == 400, (digits, hint, r.get_data()[:200])
            assert err(r)["code"] == "bad_json" and f"{digits:,} digits" in err(r)["message"]


def test_a_lone_surrogate_is_400_naming_the_field(client, icti):
    lone = "\\ud800"  # as JSON spells it: six characters, no surrogate in this file
    cases = {f'{{"error": "{lone} {icti}"}}': "error",
             f'{{"error": "{icti}", "hints": {{"runner": "{lone}"}}}}': "hints.runner",
             f'{{"error": "{icti}", "unknown": ["{lone}"]}}': "unknown",
             f'{{"error": "{icti}", "hints": {{"{lone}": "x"}}}}': "hints"}
    for body, field in cases.items():
        r = client.post("/api/v1/diagnose", data=body, content_type="application/json")
        assert r.status_code == 400, (body, r.get_data()[:200])
        assert err(r)["code"] == "invalid_field" and err(r)["field"] == field and "surrogate" in err(r)["message"]


def chunked(client, path, body: bytes, content_type: str):
    """A body sent as gunicorn hands one over: Transfer-Encoding chunked, no Content-Length,
    the stream already de-chunked and ended by the server (wsgi.input_terminated)."""
    import io
    return client.post(path, input_stream=io.BytesIO(body), content_type=content_type,
                       headers={"Transfer-Encoding": "chunked"}, environ_overrides={"wsgi.input_terminated": True})


def test_a_chunked_body_over_64_kib_is_413_not_cut(client, icti):
    import json
    pad = 64 * 1024 - len(json.dumps({"error": icti}))
    at_limit = json.dumps({"error": icti + " " * pad}).encode()
    assert len(at_limit) == 64 * 1024
    ok = chunked(client, "/api/v1/diagnose", at_limit, "application/json")
    assert ok.status_code == 200 and ok.get_json()["error_code"] == "InvalidClientTokenId"
    over = json.dumps({"error": icti + " " * (pad + 1)}).encode()
    r = chunked(client, "/api/v1/diagnose", over, "application/json")
    assert r.status_code == 413 and err(r)["code"] == "too_large"


def echo_cases(key_id: str, secret: str) -> list[dict]:
    """Ways to put a secret where an error message might quote it back."""
    return [{"hints": {"key_prefix": key_id}}, {"hints": {"region": secret}}, {"hints": {"runner": key_id + secret}},
            {"hints": {"terraform_version": secret}}, {"hints": {"env_vars_set": [key_id, secret]}},
            {"hints": {"clock_skew_seconds": secret}}, {"hints": {"in_docker": key_id}},
            {"hints": {key_id: "local"}}, {"hints": {secret: "local"}}, {"hints": {f"aws_secret_access_key={secret}": 1}},
            {"unknown": [key_id]}, {"unknown": ["runner", secret]}]


def test_a_refused_hint_never_echoes_a_secret_in_its_value_name_or_unknown(client, icti, key_pairs, leaks):
    for key_id, secret in key_pairs(3):
        for extra in echo_cases(key_id, secret):
            r = post(client, {"error": icti, **extra})
            text = r.get_data(as_text=True)
            assert r.status_code == 400, (extra, text)
            assert not leaks(text, key_id, secret), (key_pairs.seed, extra, text)
            e = err(r)
            assert e["code"] in ("invalid_hint", "unknown_hint") and len(e.get("field", "")) <= 40


def test_a_refused_value_is_quoted_masked_and_cut(client, icti):
    e = err(post(client, {"error": icti, "hints": {"key_prefix": KEY}}))
    assert e["field"] == "hints.key_prefix" and "'AKIA****REDACTED****'" in e["message"]
    e = err(post(client, {"error": icti, "hints": {"runner": "x" * 500}}))
    assert "'" + "x" * 40 + "...'" in e["message"] and "x" * 41 not in e["message"]


def test_an_unknown_hint_name_is_quoted_only_when_it_looks_like_one(client, icti):
    e = err(post(client, {"error": icti, "hints": {"colour": "blue"}}))
    assert e["field"] == "hints.colour" and "'colour'" in e["message"]
    e = err(post(client, {"error": icti, "hints": {"Colour-2": "blue"}}))
    assert e["field"] == "hints" and "(a name that is not a hint)" in e["message"] and "Colour-2" not in e["message"]
    e = err(post(client, {"error": icti, "unknown": ["colour"]}))
    assert e["code"] == "unknown_hint" and e["field"] == "unknown" and "'colour'" in e["message"]


def test_the_compact_answer_keeps_every_fixed_field_and_drops_only_the_html(client):
    body = {"error": "InvalidClientTokenId: The security token included in the request is invalid.", "hints": {"runner": "local"}}
    full = client.post("/api/v1/diagnose", json=body)
    small = client.post("/api/v1/diagnose?detail=compact", json=body)
    assert full.status_code == small.status_code == 200
    f, s = full.get_json(), small.get_json()
    for field in ("recognized", "error_code", "stage", "question", "redacted", "answer_id", "kb_version"):
        assert s[field] == f[field]
    assert [c["id"] for c in s["causes"]] == [c["id"] for c in f["causes"]]
    assert [c["probability"] for c in s["causes"]] == [c["probability"] for c in f["causes"]]
    for sc, fc in zip(s["causes"], f["causes"]):
        assert "summary_html" not in sc and [x["title"] for x in sc["fix"]] == [x["title"] for x in fc["fix"]]
        assert all("detail_html" not in x and "commands" in x for x in sc["fix"])
    assert "summary_html" not in s and len(small.data) < 0.8 * len(full.data)


def test_an_unknown_detail_level_is_refused_naming_the_choices(client):
    r = client.post("/api/v1/diagnose?detail=everything", json={"error": "AccessDenied"})
    assert r.status_code == 400 and "'compact'" in r.get_json()["error"]["message"]


def _without_html(answer: dict) -> dict:
    """The compact form, spelled out: the answer less summary_html and each fix's detail_html."""
    out = {k: v for k, v in answer.items() if k != "summary_html"}
    out["causes"] = [{**{k: v for k, v in c.items() if k != "summary_html"},
                      "fix": [{k: v for k, v in f.items() if k != "detail_html"} for f in c["fix"]]} for c in answer["causes"]]
    if answer["declined"] is not None:
        d = answer["declined"]
        out["declined"] = {**{k: v for k, v in d.items() if k != "summary_html"},
                           "fix": [{k: v for k, v in f.items() if k != "detail_html"} for f in d["fix"]]}
    return out


def test_the_api_encodes_every_case_exactly_as_to_json_full_and_compact(doctor):
    import json
    from pathlib import Path

    import yaml

    from authdoctor.web.api import answer_json
    n = 0
    for f in sorted((Path(__file__).resolve().parents[1] / "cases").glob("*.yaml")):
        for case in (yaml.safe_load(f.read_text()) or {}).get("cases") or []:
            for hints in ({}, case.get("hints") or {}):
                try:
                    answer = doctor.diagnose(case["error"], hints=hints)
                except ValueError:
                    continue
                full = answer.to_json()
                assert json.dumps(answer_json(answer)) == json.dumps(full)
                assert json.dumps(answer_json(answer, html=False)) == json.dumps(_without_html(full))
                n += 1
    assert n > 100


def test_a_declined_paste_is_answered_200_with_what_it_is_instead(client, tls_refused):
    r = client.post("/api/v1/diagnose", json={"error": tls_refused})
    body = r.get_json()
    assert r.status_code == 200 and body["recognized"] is False and body["causes"] == []
    assert body["declined"]["id"] == "tls-certificate-refused" and body["declined"]["fix"][0]["commands"]
