"""What the store takes is checked against the KB: ids well-formed, the cause one of the error's causes, hints in their domains."""
import pytest

from authdoctor.feedback import FeedbackError, causes_of, check_feedback, check_submission, submission_text

GOOD = {"answer_id": "0123456789abcdef", "error_code": "InvalidClientTokenId", "cause": "missing-session-token", "outcome": "fixed"}


def _refused(kb, **over):
    body = {**GOOD, **over}
    with pytest.raises(FeedbackError) as info:
        check_feedback(kb, {k: v for k, v in body.items() if v is not ...}, door="api")
    return info.value


def test_a_well_formed_report_becomes_feedback_with_the_kbs_version(kb):
    fb = check_feedback(kb, GOOD, door="api")
    assert (fb.answer_id, fb.cause, fb.outcome, fb.kb_version, fb.door) == ("0123456789abcdef", "missing-session-token", "fixed", kb.version, "api")


def test_the_cause_must_be_one_of_the_errors_causes(kb):
    other = next(c for c in kb.causes if c not in causes_of(kb, "InvalidClientTokenId"))
    err = _refused(kb, cause=other)
    assert err.field == "cause" and "InvalidClientTokenId" in err.message


@pytest.mark.parametrize("answer_id", ["0123456789ABCDEF", "0123", "0123456789abcdef0", "zzzzzzzzzzzzzzzz", 123])
def test_the_answer_id_must_be_16_lower_case_hex_digits(kb, answer_id):
    assert _refused(kb, answer_id=answer_id).field == "answer_id"


@pytest.mark.parametrize("field", ["answer_id", "error_code", "cause", "outcome"])
def test_each_required_field_is_named_when_missing(kb, field):
    err = _refused(kb, **{field: ...})
    assert (err.field, err.code) == (field, "missing_field")


def test_an_unknown_outcome_error_or_variant_is_named(kb):
    assert _refused(kb, outcome="maybe").field == "outcome"
    assert _refused(kb, error_code="NoSuchError").field == "error_code"
    assert _refused(kb, variant="no-such-variant").field == "variant"


def test_an_unknown_field_is_refused_not_ignored(kb):
    err = _refused(kb, paste="Error: ...")
    assert (err.field, err.code) == ("paste", "unknown_field")


def test_a_true_cause_does_not_go_with_fixed(kb):
    assert _refused(kb, true_cause="stale-env-vars").field == "true_cause"
    fb = check_feedback(kb, {**GOOD, "outcome": "not-this", "true_cause": "stale-env-vars"}, door="api")
    assert fb.true_cause == "stale-env-vars"


def test_hints_are_checked_against_the_vocabulary(kb):
    assert _refused(kb, hints={"runner": "mainframe"}).code == "invalid_hint"
    assert _refused(kb, hints={"favourite_colour": "red"}).field == "hints"
    fb = check_feedback(kb, {**GOOD, "hints": {"runner": "github-actions", "key_prefix": "ASIA"}}, door="api")
    assert fb.hints == {"runner": "github-actions", "key_prefix": "ASIA"}


@pytest.mark.parametrize("p", [-0.1, 1.5, "0.5", True])
def test_the_first_probability_is_a_number_from_0_to_1(kb, p):
    assert _refused(kb, first_probability=p).field == "first_probability"


def test_a_submission_needs_consent_in_so_many_words(kb):
    for consent in (None, "yes", 1):
        with pytest.raises(FeedbackError) as info:
            check_submission(kb, {"text": "Error: new thing", "consent": consent}, door="api")
        assert info.value.field == "consent"


def test_a_submission_keeps_the_text_masked_and_normalised(kb):
    sub = check_submission(kb, {"text": "Error: boom AKIAIOSFODNN7EXAMPLE request id: 1d2e3f4a-5b6c-4d7e-8f9a-0b1c2d3e4f5a",
                                "consent": True}, door="api")
    assert "AKIAIOSFODNN7EXAMPLE" not in sub.text and "1d2e3f4a" not in sub.text and "boom" in sub.text


def test_submission_text_masks_before_it_normalises():
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    assert secret not in submission_text(f"aws_secret_access_key = {secret}\nError: something")
