"""Every example in the KB is recognised as its own error; no not_example is claimed (inline tests)."""
import pytest

from authdoctor import knowledge as kbmod
from authdoctor.authoring.lint import lint_examples, recognised
from authdoctor.match import Matcher

KB = kbmod.load()
MATCHER = Matcher(KB)
EXAMPLES = [(v.error_id, v.id, i, text) for v in KB.variants for i, text in enumerate(v.examples)]
NOT_EXAMPLES = [(e.id, i, text) for e in KB.errors.values() for i, text in enumerate(e.not_examples)]


@pytest.mark.parametrize("error_id,variant_id,i,text", EXAMPLES, ids=[f"{v}-{i}" for _, v, i, _ in EXAMPLES])
def test_example_is_recognised_as_its_error(error_id, variant_id, i, text):
    got = recognised(MATCHER, text)
    assert got is not None, "not recognised"
    assert got[0] == error_id


@pytest.mark.parametrize("error_id,i,text", NOT_EXAMPLES, ids=[f"{e}-not-{i}" for e, i, _ in NOT_EXAMPLES])
def test_not_example_is_not_claimed_by_its_error_nor_taken_for_a_credential_failure(error_id, i, text):
    got = recognised(MATCHER, text)
    assert got is None or got[0] not in (error_id, MATCHER.fallback.id)


def test_a_fallback_cue_that_claims_a_look_alike_is_a_kb032(kb_copy, edit_kb_file):
    # EC2 answers "status code: 401" for AMI refusals: a cue on it would claim AuthFailure's look-alike
    edit_kb_file(kb_copy / "errors" / "CredentialFailure.yaml", "cues:\n", "cues:\n  - 'status code: 401'   # test\n")
    problems = lint_examples(kbmod.load(kb_copy))
    assert any(p.code == "KB032" and "claimed as CredentialFailure" in p.message for p in problems)


# --- KB039: marker patterns that backtrack catastrophically ---

import re  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

from authdoctor.authoring.lint import CODES  # noqa: E402
from authdoctor.knowledge import loader  # noqa: E402


@pytest.mark.parametrize("pattern", [r"(a+)+$", r"(\w+\s?)*$", r"(?:x+-?)*y", r"(a|ab)+c", r"(a|)+b", r"(?:token|tok)*="])
def test_the_static_check_refuses_nested_and_overlapping_repeats(pattern):
    assert loader.backtrack_hazard(pattern)


@pytest.mark.parametrize("pattern", [r"a+b", r"(?:ab)+", r"(a|b)+c", r"assumed-role/[^/\s]*gitlab[^/\s]*/",
                                     r"\A(?![\s\S]*aws_session_token)[\s\S]*aws_security_token", r"x{2,5}"])
def test_the_static_check_lets_simple_patterns_pass(pattern):
    assert loader.backtrack_hazard(pattern) is None


@pytest.mark.parametrize("pattern", [r"\s*\s*\s*x", r"[\s\S]*token[\s\S]*secret"])
def test_the_runtime_probe_catches_polynomial_patterns_the_static_check_lets_pass(pattern):
    assert loader.backtrack_hazard(pattern) is None
    t0 = time.perf_counter()
    assert loader.slow_probe(re.compile(pattern))
    assert time.perf_counter() - t0 < 10  # it stops at the first slow text


def test_every_real_marker_passes_both_checks(kb):
    for marker in kb.markers.values():
        for rx in marker.patterns:
            assert loader.backtrack_hazard(rx.pattern) is None, rx.pattern
            # a looser budget than kb check's 10 ms: the suite shares the machine
            assert loader.slow_probe(rx, budget=0.05) is None, rx.pattern


def test_kb_check_refuses_an_exponential_marker_in_bounded_time(kb_copy, edit_kb_file):
    assert "KB039" in CODES
    edit_kb_file(kb_copy / "markers.yaml", "    - assumed-role/", "    - '(a+)+$'\n    - assumed-role/")
    t0 = time.monotonic()
    run = subprocess.run([sys.executable, "-m", "authdoctor", "--kb", str(kb_copy), "kb", "check"],
                         capture_output=True, text=True, timeout=60)
    assert time.monotonic() - t0 < 30
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert "kb/markers.yaml:" in run.stdout and "KB039" in run.stdout and "nested quantifiers" in run.stdout
