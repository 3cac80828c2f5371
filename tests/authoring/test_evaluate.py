"""Scoring a labelled case: the rank of its expected cause, or no claim at all for a honeypot.

The corpus itself runs through `run_case` in tests/test_cases.py, the regression acceptance file.
"""
import json
import re
from pathlib import Path

from authdoctor.authoring.evaluate import baseline_path, load_cases, run_case

ASIA_CASE = {"id": "asia-without-token", "error": "InvalidClientTokenId: The security token included in the request is invalid.",
             "expected": "missing-session-token", "hints": {"key_prefix": "ASIA", "has_session_token": False}}


def test_a_case_ranks_its_expected_cause(doctor):
    o = run_case(doctor, ASIA_CASE)
    assert o.id == "asia-without-token" and o.recognized and o.rank == 1 and o.ok
    assert o.top[0] == "missing-session-token" and 0 < o.probability <= 1


def test_without_hints_a_case_is_scored_on_its_text_alone(doctor):
    with_hints, text_only = run_case(doctor, ASIA_CASE), run_case(doctor, ASIA_CASE, use_hints=False)
    assert text_only.top == [c.id for c in doctor.diagnose(ASIA_CASE["error"]).causes[:3]]
    assert text_only.top != with_hints.top


def test_a_honeypot_is_right_when_it_is_not_recognised(doctor):
    o = run_case(doctor, {"id": "cycle", "error": "Error: Cycle: aws_instance.a, aws_instance.b", "expected": None})
    assert not o.recognized and o.rank is None and o.ok


def test_a_corpus_keeps_its_baseline_beside_its_cases(tmp_path):
    (tmp_path / "a.yaml").write_text("cases:\n  - id: x\n    error: e\n    expected: clock-skew\n")
    assert baseline_path(tmp_path) == baseline_path(tmp_path / "a.yaml") == tmp_path / "baseline.json"
    assert [c["file"] for c in load_cases(tmp_path)] == ["a.yaml"]


def test_eval_without_cases_where_it_runs_says_so_and_exits_2(tmp_path, monkeypatch, capsys):
    from authdoctor.cli.main import main
    monkeypatch.chdir(tmp_path)
    assert main(["eval"]) == 2
    assert "no case file or folder at tests/cases" in capsys.readouterr().err


def test_eval_writes_its_baseline_where_it_is_told(tmp_path, capsys):
    from authdoctor.cli.main import main
    cases = tmp_path / "c.yaml"
    cases.write_text("cases:\n- id: one\n  error: 'InvalidClientTokenId: The security token included in the request is invalid.'\n"
                     "  expected: key-inactive-or-deleted\n")
    target = tmp_path / "elsewhere.json"
    assert main(["eval", str(cases), "--write-baseline", "--baseline", str(target)]) == 0
    assert set(json.loads(target.read_text())) == {"one"}


def test_every_thread_is_scored_with_priors_counted_without_its_own_fold(kb, monkeypatch):
    from authdoctor.authoring import counts, evaluate
    orig, held_out = counts.count_priors, []

    def spy(kb_, reports, *, leave_out=frozenset()):
        held_out.append(leave_out)
        return orig(kb_, reports, leave_out=leave_out)
    monkeypatch.setattr(counts, "count_priors", spy)
    fit, held = evaluate.cross_validate(kb, use_hints=False)
    cases = evaluate.thread_cases(kb)
    assert len(fit) == len(held) == len(cases) > 0
    folds = [f for f in held_out if f]
    assert len(folds) == evaluate.FOLDS
    assert sorted(u for f in folds for u in f) == sorted({u for u, _ in cases})  # each thread left out once


SAMPLED_ROW = """- url: https://github.com/example/tool/issues/{n}
  cause: {cause}
  error: InvalidClientTokenId
  runner: github-actions
  auth_method: unknown
  has_session_token: 'false'
  paste: |
    InvalidClientTokenId: The security token included in the request is invalid.
"""


def test_a_thread_sampled_per_error_is_a_case_with_what_it_says_as_hints(kb, tmp_path):
    from authdoctor.authoring.evaluate import sampled_cases
    (tmp_path / "threads-per-error-2026-01-01.yaml").write_text(
        SAMPLED_ROW.format(n=1, cause="key-inactive-or-deleted") + SAMPLED_ROW.format(n=2, cause="other"))
    cases = sampled_cases(kb, tmp_path)
    assert [c["expected"] for c in cases] == ["key-inactive-or-deleted", "other"]
    # 'unknown' is no answer; a quoted 'false' is the boolean
    assert cases[0]["hints"] == {"runner": "github-actions", "has_session_token": False}
    assert cases[0]["error"].startswith("InvalidClientTokenId")


def test_the_named_cause_figure_leaves_out_the_threads_no_cause_id_names(kb, tmp_path):
    from authdoctor.authoring.evaluate import named, sampled_cases
    (tmp_path / "threads-per-error-2026-01-01.yaml").write_text(
        SAMPLED_ROW.format(n=1, cause="key-inactive-or-deleted") + SAMPLED_ROW.format(n=2, cause="other"))
    assert [c["expected"] for c in named(sampled_cases(kb, tmp_path))] == ["key-inactive-or-deleted"]


def test_a_sampled_thread_the_kb_cites_is_not_held_out(kb, tmp_path):
    from authdoctor.authoring.evaluate import sampled_cases
    cited = next(re.finditer(r"# source: ([\w.-]+/[\w.-]+)#(\d+)", "\n".join(
        f.read_text() for f in sorted(Path(kb.path).rglob("*.yaml")))))
    url = f"https://github.com/{cited.group(1)}/issues/{cited.group(2)}"
    (tmp_path / "threads-per-error-2026-01-01.yaml").write_text(
        SAMPLED_ROW.format(n=1, cause="other").replace("https://github.com/example/tool/issues/1", url)
        + SAMPLED_ROW.format(n=2, cause="other"))
    assert [c["id"] for c in sampled_cases(kb, tmp_path)] == ["https://github.com/example/tool/issues/2"]
