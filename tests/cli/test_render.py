"""The answer as a terminal shows it: rotate advice first, ranked causes with their reasons, the next question."""
from authdoctor.cli.render import render


def test_a_pasted_secret_puts_the_rotate_advice_first(doctor, icti):
    text = render(doctor.diagnose(icti + "\nAWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE"))
    assert text.startswith("!! ") and "rotate it now" in text.splitlines()[0]
    assert "AKIAIOSFODNN7EXAMPLE" not in text


def test_each_cause_is_listed_with_its_probability_and_reasons(doctor, icti):
    answer = doctor.diagnose(icti)
    text = render(answer)
    for i, cause in enumerate(answer.causes, 1):
        assert f"{i}. {cause.probability:6.1%}" in text and f"[{cause.id}]" in text
    assert "      - Before any hint:" in text


def test_only_the_leading_cause_shows_its_fixes_unless_all_are_asked_for(doctor, icti):
    answer = doctor.diagnose(icti)
    assert render(answer).count("Fix: ") == len(answer.causes[0].fix)
    assert render(answer, all_fixes=True).count("Fix: ") == sum(len(c.fix) for c in answer.causes)


def test_the_next_question_says_which_hint_answers_it(doctor, icti):
    answer = doctor.diagnose(icti)
    assert f"Next question: {answer.question.text}" in render(answer)
    assert f"answer with: --hint {answer.question.hint}=<" in render(answer)


def test_unrecognised_text_names_the_closest_known_errors(doctor):
    answer = doctor.diagnose("Error: something odd happened with the security token")
    text = render(answer)
    assert text.startswith("Not recognised")
    assert all(c.error_code in text for c in answer.closest) and "Closest known errors:" in text


def test_an_unfamiliar_credential_failure_says_so_plainly(doctor):
    from authdoctor.cli.render import render
    text = render(doctor.diagnose("ERROR: request to https://example-platform.test/api failed: 401 Unauthorized"))
    assert "unfamiliar message" in text and "the message itself is unfamiliar" in text
    assert "% match" not in text
