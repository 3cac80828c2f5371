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



def test_a_decline_that_would_swallow_a_catalogued_message_fails_its_example(kb_copy, edit_kb_file):
    # declining the STS wording would leave InvalidClientTokenId's own examples unrecognised
    edit_kb_file(kb_copy / "declines" / "s3-bucket-missing.yaml", "patterns:\n",
                 "patterns:\n  - 'the security token included in the request is invalid'   # test\n")
    problems = lint_examples(kbmod.load(kb_copy))
    assert any(p.code == "KB030" and p.file == "kb/errors/InvalidClientTokenId.yaml" for p in problems)


def test_a_declines_example_it_does_not_decline_is_a_kb046(kb_copy, edit_kb_file):
    edit_kb_file(kb_copy / "declines" / "s3-bucket-missing.yaml", "examples:\n",
                 "examples:\n  - \"Error: Invalid count argument\"\n")
    problems = lint_examples(kbmod.load(kb_copy))
    assert [p.file for p in problems if p.code == "KB046"] == ["kb/declines/s3-bucket-missing.yaml"]


def test_a_declined_text_is_recognised_as_nothing(kb, tls_refused):
    from authdoctor.match import Matcher
    assert recognised(Matcher(kb), tls_refused) is None

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


# --- KB027: the KB's cause ids against the team's CAUSES.md ---

from pathlib import Path  # noqa: E402

from authdoctor.authoring.lint import lint_shared_ids  # noqa: E402


def _causes_md(path, ids):
    path.write_text("| id | what is wrong |\n|---|---|\n" + "".join(f"| `{i}` | x |\n" for i in ids))
    return str(path)


def _kb027(problems):
    return [p.message for p in problems if p.code == "KB027"]


def test_extra_kb_ids_named_on_kb_only_lines_are_accepted(kb, tmp_path):
    kb_only = re.findall(r"^# kb-only: ([a-z0-9-]+):", (Path(kb.path) / "cause-ids.yaml").read_text(), re.M)
    assert kb_only, "cause-ids.yaml names its KB-only ids"
    table = _causes_md(tmp_path / "CAUSES.md", [c for c in kb.cause_ids if c not in kb_only])
    assert _kb027(lint_shared_ids(kb, table)) == []


def test_an_extra_kb_id_without_its_kb_only_line_is_a_kb027(kb_copy, edit_kb_file, tmp_path):
    edit_kb_file(kb_copy / "cause-ids.yaml", "# kb-only: saml-assertion-invalid:", "# saml-assertion-invalid:")
    table = _causes_md(tmp_path / "CAUSES.md", [c for c in kbmod.load(kb_copy).cause_ids if c != "saml-assertion-invalid"])
    messages = _kb027(lint_shared_ids(kbmod.load(kb_copy), table))
    assert len(messages) == 1 and "'saml-assertion-invalid' is not in" in messages[0] and "# kb-only: saml-assertion-invalid:" in messages[0]


def test_a_kb_only_line_without_its_reason_does_not_count(kb_copy, edit_kb_file, tmp_path):
    text = (kb_copy / "cause-ids.yaml").read_text()
    line = next(x for x in text.splitlines() if x.startswith("# kb-only: saml-assertion-invalid:"))
    edit_kb_file(kb_copy / "cause-ids.yaml", line, "# kb-only: saml-assertion-invalid:")
    table = _causes_md(tmp_path / "CAUSES.md", [c for c in kbmod.load(kb_copy).cause_ids if c != "saml-assertion-invalid"])
    assert len(_kb027(lint_shared_ids(kbmod.load(kb_copy), table))) == 1


def test_a_shared_id_missing_from_the_kb_is_still_a_kb027(kb, tmp_path):
    table = _causes_md(tmp_path / "CAUSES.md", list(kb.cause_ids) + ["a-new-shared-cause"])
    messages = _kb027(lint_shared_ids(kb, table))
    assert messages == [f"'a-new-shared-cause' is in {table} but not here: add it, with its cause file"]


def test_the_real_kb_only_ids_each_name_the_threads_that_needed_them(kb):
    lines = re.findall(r"^# kb-only: ([a-z0-9-]+): (.+)$", (Path(kb.path) / "cause-ids.yaml").read_text(), re.M)
    assert lines
    for cid, why in lines:
        assert cid in kb.cause_ids, cid
        assert re.search(r"[\w.-]+/[\w.-]+#\d+", why), f"{cid}: name the real threads that needed it"
