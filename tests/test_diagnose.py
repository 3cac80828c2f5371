"""The pipeline behind every door: deterministic, and a paste is masked exactly once."""
from authdoctor.diagnosis import HintUse
from authdoctor.redact import redact


def test_same_input_same_answer(doctor, icti_provider):
    assert doctor.diagnose(icti_provider, hints={"runner": "local"}).to_json() == \
        doctor.diagnose(icti_provider, hints={"runner": "local"}).to_json()


def test_a_masked_paste_is_not_masked_again_and_keeps_its_key_prefix(doctor, icti):
    raw = f"{icti}\nAWS_ACCESS_KEY_ID=ASIAIOSFODNN7EXAMPLE"
    masked = redact(raw)
    assert redact(masked.text).key_prefix is None  # the masked text alone no longer tells the prefix
    answer = doctor.diagnose(masked)
    assert answer.paste is masked and answer.masked_text == masked.text
    assert answer.redacted == ("aws-access-key-id",) and answer.rotate
    assert answer.hints_used["key_prefix"] == HintUse("ASIA", "text", "ASIA")
    assert answer.answer_id == doctor.diagnose(raw).answer_id
