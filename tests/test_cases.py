"""The project's regression corpus (tests/cases/): no case may rank worse than its baseline.

The baseline (tests/cases/baseline.json) is the rank each case had when it was
last reviewed (99: not listed); `python -m authdoctor eval --write-baseline`
records a new one after a deliberate improvement. A case new to the corpus must
have its expected cause in the top 3.
"""
import json
from pathlib import Path

import pytest

from authdoctor.authoring.evaluate import NOT_LISTED, baseline_path, load_cases, run_case
from authdoctor.hints import HintError, check_hints

CASES_DIR = Path(__file__).resolve().parent / "cases"
BASELINE = baseline_path(CASES_DIR)
CASES = load_cases(CASES_DIR)
BASE = json.loads(BASELINE.read_text()) if BASELINE.exists() else {}
POSITIVE = [c for c in CASES if c.get("expected")]
NEGATIVE = [c for c in CASES if not c.get("expected")]


@pytest.mark.parametrize("case", POSITIVE, ids=[str(c["id"]) for c in POSITIVE])
def test_case_ranks_no_worse_than_its_baseline(doctor, case):
    o = run_case(doctor, case)
    was = BASE.get(str(case["id"]))
    if was is None:
        assert o.rank is not None and o.rank <= 3, f"new case: expected cause in the top 3, got {o.top}"
    else:
        assert (o.rank or NOT_LISTED) <= was, f"was rank {was}, now {o.rank}: {o.top}"


@pytest.mark.parametrize("case", NEGATIVE, ids=[str(c["id"]) for c in NEGATIVE])
def test_honeypot_case_is_not_claimed(doctor, case):
    o = run_case(doctor, case)
    assert not o.recognized, f"claimed as a credential error: {o.top}"


def test_the_corpus_covers_every_cause(kb):
    covered = {c["expected"] for c in POSITIVE} | {c.get("also_ok") for c in POSITIVE}
    assert set(kb.cause_ids) <= covered, sorted(set(kb.cause_ids) - covered)


VARIANT_CASES = load_cases(BASELINE.parent / "variants")


@pytest.mark.parametrize("case", VARIANT_CASES, ids=[str(c["id"]) for c in VARIANT_CASES])
def test_every_message_shape_reaches_its_scenario_cause_first(doctor, case):
    o = run_case(doctor, case)
    assert o.recognized and o.rank == 1, f"rank {o.rank}: {o.top}"


def test_every_variant_has_its_case(kb):
    covered = {str(c["id"]).removeprefix("variant-") for c in VARIANT_CASES}
    assert {v.id for v in kb.variants} <= covered, sorted({v.id for v in kb.variants} - covered)


# The threads kb/reports counts are real credential failures; the pastes some of them quote are
# messages the tools print, so each must be recognised or answered as an unfamiliar credential
# failure. These few are not credential messages by the KB's own decisions: an STS duration
# limit (AssumeRoleWithSAML's not_examples), an Atlantis workspace listing, and a bare S3
# "AccessDenied: Access Denied" that any bucket policy prints.
NOT_CREDENTIAL_MESSAGES = {
    "https://github.com/99designs/aws-vault/issues/263",
    "https://github.com/mmmorris1975/aws-runas/issues/11",
    "https://github.com/runatlantis/atlantis/pull/1033",
    "https://github.com/terraform-in-action/manning-code/pull/18",
}


def _report_pastes():
    import yaml

    out = []
    for path in sorted((Path(__file__).resolve().parents[1] / "kb" / "reports").glob("*.yaml")):
        for thread in yaml.safe_load(path.read_text())["threads"]:
            if thread.get("paste") and thread["url"] not in NOT_CREDENTIAL_MESSAGES:
                out.append(pytest.param(thread["paste"], id=thread["url"].removeprefix("https://github.com/")))
    return out


@pytest.mark.parametrize("paste", _report_pastes())
def test_every_report_paste_is_answered(doctor, paste):
    assert doctor.diagnose(paste).recognized


HOLDOUT = load_cases(CASES_DIR / "holdout")


def test_every_holdout_case_names_a_known_cause_and_hints_the_kb_takes(kb):
    bad = []
    for c in HOLDOUT:
        if c.get("expected") not in set(kb.cause_ids) | {"other", None}:
            bad.append(f"{c['id']}: expected {c.get('expected')!r}")
        if c.get("also_ok") and c["also_ok"] not in kb.cause_ids:
            bad.append(f"{c['id']}: also_ok {c['also_ok']!r}")
        try:
            check_hints(kb, c.get("hints"))
        except HintError as exc:
            bad.append(f"{c['id']}: {exc}")
    assert not bad, bad
