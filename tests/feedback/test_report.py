"""The curator's report: counts per cause, calibration, sent texts, and priors that move toward the feedback
as a patch that applies to the KB and passes kb check. The same report from SQLite and PostgreSQL."""
import shutil
import subprocess
import sys
from datetime import date

import pytest

from authdoctor import knowledge
from authdoctor.feedback import Feedback, Submission
from authdoctor.feedback.report import build, calibration, prior_patch, render, tallies

ERROR = "InvalidClientTokenId"
TODAY = date(2026, 12, 2)


def _fb(n, cause, outcome, first="missing-session-token", p=0.6, true_cause=None, error=ERROR):
    return Feedback(answer_id=f"{n:016x}", error_code=error, cause=cause, outcome=outcome, true_cause=true_cause,
                    first_cause=first, first_probability=p, kb_version="5b6fb7ddbc65", door="api")


def seed(store):
    """30 answers of InvalidClientTokenId: the first cause shown (missing-session-token at 0.6) fixed it in 3;
    stale-env-vars fixed 18 (12 of them after a not-this on the first cause); 9 only say not-this to the first."""
    for n in range(3):
        store.add_feedback(_fb(n, "missing-session-token", "fixed"), client=f"c{n}")
    for n in range(3, 21):
        if n < 15:
            store.add_feedback(_fb(n, "missing-session-token", "not-this"), client=f"c{n}")
        store.add_feedback(_fb(n, "stale-env-vars", "fixed"), client=f"c{n}")
    for n in range(21, 30):
        store.add_feedback(_fb(n, "missing-session-token", "not-this"), client=f"c{n}")
    store.add_feedback(_fb(99, "stale-env-vars", "something-else", first="stale-env-vars", p=0.3,
                           true_cause="keys-swapped"), client="c99")
    for client in ("a", "b", "c"):
        store.add_submission(Submission(text="error: a brand new message", kb_version="5b6fb7ddbc65", door="api"), client=client)


@pytest.fixture()
def seeded(store):
    seed(store)
    return store


def _share(priors, cause):
    return priors[cause] / sum(priors.values())


def test_each_cause_is_counted_shown_first_confirmed_and_rejected(seeded):
    t = {x.cause: x for x in tallies(seeded.feedback_rows()) if x.error == ERROR}
    assert (t["missing-session-token"].shown_first, t["missing-session-token"].confirmed, t["missing-session-token"].rejected) == (30, 3, 21)
    assert (t["stale-env-vars"].shown_first, t["stale-env-vars"].confirmed, t["stale-env-vars"].rejected) == (1, 18, 1)
    assert t["keys-swapped"].confirmed == 1


def test_calibration_pairs_the_first_causes_probability_with_what_happened(seeded):
    cal = calibration(seeded.feedback_rows())
    # 30 answers led by missing-session-token at 0.6 (right in 3), one led by stale-env-vars at 0.3 (wrong)
    assert cal.n == 31
    assert [(b.low, b.n, round(b.observed, 3)) for b in cal.bins] == [(0.2, 1, 0.0), (0.6, 30, 0.1)]
    assert cal.brier == pytest.approx((3 * 0.4 ** 2 + 27 * 0.6 ** 2 + 0.3 ** 2) / 31)


def _patched_copy(kb_dir, tmp_path, rows, strength=20):
    """A copy of the KB with the report's patch applied by git: (the report, the patch file, the copy)."""
    copy = tmp_path / "kb"
    shutil.copytree(kb_dir, copy)
    kb = knowledge.load(copy)
    report = build(kb, rows, strength=strength)
    patch = tmp_path / "priors.patch"
    patch.write_text(prior_patch(kb, report.changes, today=TODAY, strength=strength))
    return report, patch, copy


def test_the_proposed_priors_move_toward_the_feedback(kb, seeded, kb_dir, tmp_path):
    report, patch, copy = _patched_copy(kb_dir, tmp_path, seeded.feedback_rows())
    subprocess.run(["git", "apply", str(patch)], cwd=tmp_path, check=True)
    before, after = dict(kb.errors[ERROR].priors), dict(knowledge.load(copy).errors[ERROR].priors)
    # what the engine ranks with: stale-env-vars fixed 18 of 31 answers, far above its prior share;
    # the first cause fixed 3 of 30 it led, below its share
    assert _share(after, "stale-env-vars") > _share(before, "stale-env-vars")
    assert _share(after, "missing-session-token") < _share(before, "missing-session-token")
    assert after["keys-swapped"] >= before["keys-swapped"]
    change = next(c for c in report.changes if c.cause == "stale-env-vars")
    assert (change.fixed, change.answers) == (18, 31)


def test_more_feedback_moves_the_priors_further(kb, seeded):
    weak = {c.cause: c.new for c in build(kb, seeded.feedback_rows(), strength=200).changes}
    strong = {c.cause: c.new for c in build(kb, seeded.feedback_rows(), strength=5).changes}
    written = kb.errors[ERROR].estimates or kb.errors[ERROR].priors
    assert strong["stale-env-vars"] > weak.get("stale-env-vars", written["stale-env-vars"])


def test_the_patch_applies_to_a_kb_copy_and_passes_kb_check(seeded, kb_dir, tmp_path):
    report, patch, copy = _patched_copy(kb_dir, tmp_path, seeded.feedback_rows())
    assert "+++ b/kb/errors/InvalidClientTokenId.yaml" in patch.read_text()
    if shutil.which("patch"):
        dry = subprocess.run(["patch", "-p1", "--dry-run", "-i", str(patch)], cwd=tmp_path, capture_output=True, text=True)
        assert dry.returncode == 0, dry.stdout + dry.stderr
    assert subprocess.run(["git", "apply", "--check", str(patch)], cwd=tmp_path, capture_output=True).returncode == 0
    subprocess.run(["git", "apply", str(patch)], cwd=tmp_path, check=True)
    patched = knowledge.load(copy).errors[ERROR]
    written = patched.estimates or patched.priors
    assert {c.cause: c.new for c in report.changes if c.error == ERROR}.items() <= dict(written).items()
    assert "of 31 answers (18 fixed, 0 named, 1 not-this)" in (copy / "errors" / f"{ERROR}.yaml").read_text()
    check = subprocess.run([sys.executable, "-m", "authdoctor", "--kb", str(copy), "kb", "check"], capture_output=True, text=True,
                           timeout=300)
    # the whole check runs; whatever it finds elsewhere in the checkout's KB, nothing is in a file the patch touched
    touched = [f"errors/{e}.yaml" for e in {c.error for c in report.changes}]
    assert not [line for line in check.stdout.splitlines() if any(t in line for t in touched)], check.stdout
    assert check.returncode == 0 or "problem(s)" in check.stderr


def test_a_second_report_replaces_its_own_note_instead_of_adding_one(seeded, kb_dir, tmp_path):
    copy = tmp_path / "kb"
    shutil.copytree(kb_dir, copy)
    for _ in range(2):
        kb = knowledge.load(copy)
        patch = tmp_path / "p.patch"
        patch.write_text(prior_patch(kb, build(kb, seeded.feedback_rows()).changes, today=TODAY))
        if patch.read_text():
            subprocess.run(["git", "apply", str(patch)], cwd=tmp_path, check=True)
    line = next(x for x in (copy / "errors" / f"{ERROR}.yaml").read_text().splitlines() if x.startswith("  stale-env-vars:"))
    assert line.count("feedback 2026-12-02") == 1


def test_the_text_names_the_counts_the_calibration_and_the_sent_texts(kb, seeded):
    text = render(build(kb, seeded.feedback_rows(), seeded.top_submissions()))
    assert "InvalidClientTokenId stale-env-vars" in text and "Brier score" in text
    assert "   3 x  error: a brand new message" in text


def test_no_feedback_is_a_report_that_says_so(kb, store):
    text = render(build(kb, store.feedback_rows(), store.top_submissions()))
    assert "(no feedback yet)" in text and "(none sent yet)" in text
    assert prior_patch(kb, build(kb, []).changes) == ""
