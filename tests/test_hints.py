"""The hint vocabulary: each kind reads what a client sends, names what it refuses, and weighs signs."""
import pytest

from authdoctor.hints import KINDS, HintError, check_hints, check_value, feature_value, hint_text, kind
from authdoctor.rank import softmax

# one hint of each kind: as typed, its canonical value, the feature it stands for
ROUND_TRIPS = {
    "bool": ("has_session_token", "TRUE", True, "true"),
    "enum": ("runner", "github-actions", "github-actions", "github-actions"),
    "region": ("region", " ME-South-1 ", "me-south-1", "opt-in"),
    "version": ("terraform_version", "v1.5.7", "1.5.7", "pre-1.6"),
    "varlist": ("env_vars_set", "AWS_PROFILE, AWS_ACCESS_KEY_ID", ["AWS_ACCESS_KEY_ID", "AWS_PROFILE"], "keys"),
    "skew": ("clock_skew_seconds", " 900 ", 900.0, "off"),
    "signs": ("signs", "clock-skew !keys-swapped", ["clock-skew", "!keys-swapped"], ("clock-skew", "!keys-swapped")),
}
# one value of each kind that `check` must refuse
REFUSED = {
    "bool": ("has_session_token", "maybe"),
    "enum": ("runner", "teamcity"),
    "region": ("region", "nowhere"),
    "version": ("terraform_version", "latest"),
    "varlist": ("env_vars_set", ["PATH"]),
    "skew": ("clock_skew_seconds", "soon"),
    "signs": ("signs", ["no-such-cause"]),
}


def test_every_kind_has_a_round_trip_and_a_refusal_here(kb):
    assert set(ROUND_TRIPS) == set(REFUSED) == set(KINDS)
    assert all(kind(kb.hints[key]).name == name for name, (key, *_) in ROUND_TRIPS.items())


@pytest.mark.parametrize("name", ROUND_TRIPS)
def test_a_typed_value_reads_as_its_canonical_value_and_feature_and_back(kb, name):
    key, typed, canonical, feature = ROUND_TRIPS[name]
    hint = kb.hints[key]
    value = check_value(hint, typed)
    assert value == canonical and feature_value(hint, value) == feature
    # as a link, a button or --hint writes it back, and reads it again
    assert check_value(hint, hint_text(value)) == value


def test_every_offered_option_stands_for_a_feature_its_hint_knows(kb):
    for key, hint in kb.hints.items():
        for option in hint.options:
            feature = feature_value(hint, check_value(hint, option))
            assert feature in hint.values, (key, option)
            assert kind(hint).option_for(hint, feature) == option, (key, option)


@pytest.mark.parametrize("name", REFUSED)
def test_a_refused_value_names_the_hint(kb, name):
    key, value = REFUSED[name]
    with pytest.raises(HintError) as exc:
        check_hints(kb, {key: value})
    assert exc.value.field == key and f"'{key}'" in str(exc.value)


def test_an_unknown_hint_is_refused_naming_it(kb):
    with pytest.raises(HintError) as exc:
        check_hints(kb, {"colour": "blue"})
    assert exc.value.field == "colour" and "'colour'" in str(exc.value)


# --- the signs kind: the differential question's answers as evidence ---------------------

def test_confirming_a_sign_puts_its_cause_first(doctor, icti):
    a = doctor.diagnose(icti, hints={"signs": ["region-not-enabled"]})
    assert a.causes[0].id == "region-not-enabled"


def test_none_of_these_demotes_every_offered_cause(doctor, icti):
    q = doctor.diagnose(icti).question
    none = q.options[-1]
    after = doctor.diagnose(icti, hints={"signs": none})
    assert after.causes[0].id not in {x[1:] for x in none}


def test_a_repeated_no_counts_once_per_offer_and_a_repeated_yes_once(kb):
    value = ["!clock-skew"] * 5 + ["keys-swapped"] * 3
    assert check_hints(kb, {"signs": value})["signs"] == ["!clock-skew", "!clock-skew", "keys-swapped"]


def test_two_noes_demote_a_cause_more_than_one(posterior):
    def share(scores):
        return softmax(scores)["missing-session-token"]
    _, once = posterior({"signs": ["!missing-session-token"]})
    _, twice = posterior({"signs": ["!missing-session-token", "!missing-session-token"]})
    assert share(twice) < share(once)


# --- what a refusal quotes of what was sent ----------------------------------------------

def test_a_refused_value_is_quoted_masked_and_cut(kb):
    secret = "kWcrlUX5JEDGM/LtmEENI+aVmYvHNif5zB+d9+ct"
    for key, value in (("region", secret), ("key_prefix", "AKIAJ7Q2ZK4XW3N5PLMD"), ("runner", "x" * 200),
                       ("env_vars_set", ["AWS_PROFILE", secret]), ("clock_skew_seconds", 7 ** 6000),
                       ("clock_skew_seconds", f"aws_secret_access_key={secret}")):
        with pytest.raises(HintError) as exc:
            check_hints(kb, {key: value})
        message = str(exc.value)
        assert exc.value.field == key and f"'{key}'" in message
        assert secret not in message and "AKIAJ7Q2ZK4XW3N5PLMD" not in message and "x" * 41 not in message
        assert len(message.split("got ", 1)[-1]) <= 60 or "must be one of" in message


def test_an_unknown_hint_name_is_quoted_only_when_it_looks_like_one(kb):
    with pytest.raises(HintError) as exc:
        check_hints(kb, {"AKIAJ7Q2ZK4XW3N5PLMD": "x"})
    assert "AKIAJ7Q2ZK4XW3N5PLMD" not in str(exc.value) and "(a name that is not a hint)" in str(exc.value)
    with pytest.raises(HintError) as exc:
        check_hints(kb, {"x" * 41: "x"})
    assert "x" * 41 not in str(exc.value)


def test_a_secret_that_starts_like_a_version_is_refused_as_one(kb):
    import random
    import string

    rng = random.Random()
    for _ in range(50):
        # a secret access key's alphabet, drawn to start with a digit and the '+' a build suffix takes
        secret = rng.choice(string.digits) + "+" + "".join(rng.choice(string.ascii_letters + string.digits + "+/") for _ in range(38))
        with pytest.raises(HintError):
            check_hints(kb, {"terraform_version": secret})


def test_a_release_suffix_is_still_a_version(kb):
    for version in ("1.9.0", "v1.6.0-beta1", "1.5.7+ent", "0.12.24-rc2", "1.10.0-alpha20240606"):
        check_hints(kb, {"terraform_version": version})


def test_a_feature_reads_as_the_label_of_the_answer_that_gives_it(kb):
    # labels of region answers are keyed by the region a form sends, not by the partition it stands for
    hint = kb.hints["region"]
    assert kind(hint).label(hint, "govcloud") == hint.labels["us-gov-west-1"]


def test_a_why_for_a_lowering_answer_names_the_answers_the_cause_comes_with(kb):
    cause, hint = kb.causes["temporary-credentials-expired"], kb.hints["has_session_token"]
    text = kind(hint).why(hint, cause, "false", 0.3)
    assert text.startswith(f'this cause mostly comes with the answer "{hint.labels["true"]}"')
    assert text.endswith(cause.why["has_session_token"])
