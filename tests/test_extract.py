"""What the paste itself tells: hints and markers read from the (masked) text."""
import re
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from authdoctor.diagnosis import HintUse
from authdoctor.extract import (
    _CRED_SOURCE,
    _EXPIRED,
    _NOT_YET,
    _PARTITION,
    _PROVIDER_VERSION,
    _REGION,
    _SKEWED_XML,
    _STAGES,
    _TF_VERSION,
    _TOKEN,
    _may_match,
    _screen,
    _search,
)


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


POD_IDENTITY_REFUSED = (
    'Error: loading configuration: invalid endpoint host, "169.254.170.23", only loopback hosts are allowed',       # Go v2
    "ValueError: Unsupported host '169.254.170.23'.  Can only retrieve metadata from these hosts: 169.254.170.2, localhost",  # botocore
    "CredentialsProviderError: 169.254.170.23 is not a valid container metadata service hostname",                  # JS v3
)


@pytest.mark.parametrize("paste", POD_IDENTITY_REFUSED)
def test_an_sdk_refusing_the_pod_identity_agents_address_is_marked(doctor, paste):
    assert "pod_identity_host_refused" in doctor.diagnose(paste).markers


def test_the_pod_identity_agents_address_itself_is_not_a_refusal(doctor):
    a = doctor.diagnose('Error: failed to refresh cached credentials, failed to load credentials, exceeded maximum number '
                        'of attempts, 3, request send failed, Get "http://169.254.170.23/v1/credentials": dial tcp '
                        '169.254.170.23:80: connect: connection refused')
    assert "pod_identity_host_refused" not in a.markers


# --- the pre-screen: a pattern is skipped only when it cannot match ---------------------------

# the patterns extract() runs through _search: on the text, screened on the lower-cased text when case-blind
_SEARCHED = (_TOKEN, _TF_VERSION, _PROVIDER_VERSION, _EXPIRED, _NOT_YET, _SKEWED_XML, _CRED_SOURCE)


def _patterns(kb):
    """Each pattern extract() runs, with what it is run on: "marker" (the lower-cased text, screened
    together by _screen), "stage" (the text, screened on the lower-cased one), "search" (_search),
    "lower" (the lower-cased text, screened on it) or "text" (the text, screened on it)."""
    return ([(p, "marker") for m in kb.markers.values() for p in m.patterns] + [(p, "stage") for p, _ in _STAGES]
            + [(p, "search") for p in _SEARCHED] + [(_REGION, "lower")] + [(p, "text") for p, _ in _PARTITION])


def _screened_the_same(kb, text):
    lower, ascii_text = text.lower(), text.isascii()
    live = _screen(kb).live(lower, ascii_text)
    for p, how in _patterns(kb):
        if how == "marker":
            assert p in live or p.search(lower) is None, (p.pattern, text[:200])
        elif how == "search":
            found, truth = _search(p, text, lower, ascii_text), p.search(text)
            assert (found and found.span()) == (truth and truth.span()), (p.pattern, text[:200])
        else:
            screened, searched = {"stage": (lower, text), "lower": (lower, lower), "text": (text, text)}[how]
            assert _may_match(p, screened, ascii_text) or p.search(searched) is None, (p.pattern, text[:200])


def test_the_pre_screen_never_skips_a_pattern_that_matches_a_real_paste(kb):
    cases = Path(__file__).resolve().parent / "cases"
    for f in sorted(cases.glob("*.yaml")) + sorted((cases / "variants").glob("*.yaml")):
        for c in (yaml.safe_load(f.read_text()) or {}).get("cases") or []:
            _screened_the_same(kb, c["error"])


PIECES = ["error", "refreshing state", ": ", "provider", "aws", "backend", "s3", "with ", "resource \"aws_", ".scalr.io", "iam: ",
          "ceph", "minio", "radosgw", "hvac.", "aws_security_token", "aws_session_token", "Error Creating", "ſ", "K", " ", "\n", "x", "-",
          "X-Amz-Security-Token", "x-amz-ſecurity-token", "Terraform v1.5.7", "hashicorp/aws v5.31.0", "us-east-1", "eu-", "west", "-2",
          "arn:aws-cn:", "arn:aws-us-gov:", "credential source: ", "Retrieved credentials from ", "EnvConfigCredentials",
          "Signature expired: 20240101T000000Z is now earlier than 20240101T001000Z", "<RequestTime>", "</RequestTime>"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=30), st.text(max_size=20))
def test_the_pre_screen_never_skips_a_pattern_that_matches_generated_text(kb, pieces, extra):
    _screened_the_same(kb, "".join(pieces) + extra)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_the_pre_screen_never_skips_a_pattern_on_its_own_example_texts(kb, data):
    p, _ = data.draw(st.sampled_from(_patterns(kb)))
    text = data.draw(st.from_regex(re.compile(p.pattern, p.flags), fullmatch=False))  # (the KB's compile on first use)
    _screened_the_same(kb, text)
    _screened_the_same(kb, text.upper())


def test_a_kb_from_the_cache_is_screened_as_one_built_afresh(kb_copy, tmp_path, monkeypatch):
    from authdoctor import extract
    from authdoctor.knowledge import cache, loader
    monkeypatch.setenv(cache.CACHE_DIR_ENV, str(tmp_path / "cache"))
    monkeypatch.delenv(cache.CACHE_ENV, raising=False)
    monkeypatch.setattr(extract, "_NEEDLES", {})
    fresh, read = _screen(loader.load(kb_copy)), dict(extract._NEEDLES)
    _screen(cache.load(kb_copy))  # keeps the KB, then its patterns' needles
    assert list((tmp_path / "cache").glob("derived-*.pickle"))
    monkeypatch.setattr(extract, "_NEEDLES", {})

    def parsed(pattern):
        raise AssertionError(f"{pattern.pattern} was parsed")

    monkeypatch.setattr(extract, "_read_needles", parsed)
    kept = _screen(cache.load(kb_copy))  # both from the cache: no pattern is parsed
    assert kept == fresh and extract._NEEDLES == read


def test_the_module_patterns_compiled_on_first_use_have_the_flags_the_screen_read():
    from authdoctor.extract import _OWN
    for p in _OWN:
        assert p.compiled().flags == p.flags, p.pattern
