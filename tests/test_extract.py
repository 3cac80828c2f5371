"""What the paste itself tells: hints and markers read from the (masked) text."""
from pathlib import Path

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from authdoctor.diagnosis import HintUse
from authdoctor.extract import _STAGES, _may_match


def test_asia_key_read_from_the_text_counts_as_a_hint(doctor, icti_provider):
    a = doctor.diagnose(icti_provider + "\nAWS_ACCESS_KEY_ID=ASIAIOSFODNN7EXAMPLE", hints={"has_session_token": False})
    assert a.hints_used["key_prefix"] == HintUse("ASIA", "text", "ASIA")
    assert a.causes[0].id == "missing-session-token"


def test_a_ci_role_name_in_an_arn_reads_as_the_runner(doctor):
    a = doctor.diagnose("User: arn:aws:sts::123456789012:assumed-role/github-runner-dev/i-0abc is not authorized to perform: "
                        "sts:AssumeRole on resource: arn:aws:iam::210987654321:role/deploy")
    assert a.hints_used["runner"] == HintUse("github-actions", "text", "github-actions")


def test_a_paste_naming_the_s3_backend_fills_the_backend_hint(doctor):
    a = doctor.diagnose("Error: error configuring S3 Backend: no valid credential sources for S3 Backend found.")
    assert a.hints_used["backend"].value == "s3" and a.hints_used["backend"].source == "text"
    assert a.question is None or a.question.hint != "backend"


def test_both_token_names_set_is_not_the_legacy_name_mistake(doctor, icti_provider):
    a = doctor.diagnose(icti_provider + "\nSetting subprocess env: AWS_SESSION_TOKEN, AWS_SECURITY_TOKEN")
    assert "legacy_token_name" not in a.markers


def test_aws_vault_is_not_hashicorp_vault(doctor, icti_provider):
    a = doctor.diagnose("$ aws-vault exec dev -- terraform plan\n" + icti_provider)
    assert "vault_aws" not in a.markers


# --- the pre-screen: a pattern is skipped only when it cannot match ---------------------------

def _patterns(kb):
    """Each pattern extract() runs, and whether it reads the lower-cased text (markers) or the text (stages)."""
    return [(p, True) for m in kb.markers.values() for p in m.patterns] + [(p, False) for p, _ in _STAGES]


def _screened_the_same(kb, text):
    lower = text.lower()
    for p, on_lower in _patterns(kb):
        if not _may_match(p, lower, text.isascii()):
            assert p.search(lower if on_lower else text) is None, (p.pattern, text[:200])


def test_the_pre_screen_never_skips_a_pattern_that_matches_a_real_paste(kb):
    cases = Path(__file__).resolve().parent / "cases"
    for f in sorted(cases.glob("*.yaml")) + sorted((cases / "variants").glob("*.yaml")):
        for c in (yaml.safe_load(f.read_text()) or {}).get("cases") or []:
            _screened_the_same(kb, c["error"])


PIECES = ["error", "refreshing state", ": ", "provider", "aws", "backend", "s3", "with ", "resource \"aws_", ".scalr.io", "iam: ",
          "ceph", "minio", "radosgw", "hvac.", "aws_security_token", "aws_session_token", "Error Creating", "ſ", "K", " ", "\n", "x", "-"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=30), st.text(max_size=20))
def test_the_pre_screen_never_skips_a_pattern_that_matches_generated_text(kb, pieces, extra):
    _screened_the_same(kb, "".join(pieces) + extra)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_the_pre_screen_never_skips_a_pattern_on_its_own_example_texts(kb, data):
    p, _ = data.draw(st.sampled_from(_patterns(kb)))
    text = data.draw(st.from_regex(p, fullmatch=False))
    _screened_the_same(kb, text)
    _screened_the_same(kb, text.upper())
