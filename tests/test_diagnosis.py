"""The frozen answer: its JSON is the API's body, and the paste never travels in it."""

API_KEYS = {"recognized", "familiar", "error_code", "known_by", "stage", "variant", "title", "summary_html", "causes", "question",
            "hints_used", "markers", "redacted", "rotate", "closest", "declined", "kb_version", "answer_id"}


def test_to_json_has_exactly_the_apis_keys_and_no_paste(doctor, client, icti):
    body = doctor.diagnose(icti + "\nAWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE").to_json()
    assert set(body) == API_KEYS and "paste" not in body
    assert set(client.post("/api/v1/diagnose", json={"error": icti}).get_json()) == API_KEYS
