"""The curator's report: what the feedback says of each error's causes, how well the first cause's
probability held up, what unrecognised texts people sent, and a proposed change to the priors as a
patch to kb/errors/*.yaml for a person to read, apply and commit. Nothing here writes the KB.

How feedback becomes counts. Reports are grouped per answer and client (one person's say on one
answer). A group that names the true cause (fixed on a cause, or a true_cause) is one observation of
that cause. A group that only rejects causes is one observation spread over the error's other causes
in proportion to their priors (the true cause is one of them, and which one the priors say as well
as anything). The proposed prior is then the posterior mean of a Dirichlet whose pseudo-counts are
the current priors times `strength` (default 20: twenty answers of feedback move a prior as much as
the KB's own estimate holds it):  p' = (strength * p + n) / (strength + N), rescaled to the error's
current total weight, so the ranking's other weights keep their scale.
"""
from __future__ import annotations

import difflib
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from ..knowledge import KB

STRENGTH = 20.0
BINS = 5
REJECTED = ("not-this", "something-else")


@dataclass(frozen=True)
class Tally:
    error: str
    cause: str
    shown_first: int = 0  # answers with feedback where this cause came first
    confirmed: int = 0  # reports that it fixed it, or named it as what it was
    rejected: int = 0  # reports that it was not this


@dataclass(frozen=True)
class Bin:
    low: float
    high: float
    n: int
    stated: float  # mean probability the first cause was shown with
    observed: float  # share of those answers where it was the cause


@dataclass(frozen=True)
class Calibration:
    bins: tuple[Bin, ...]
    n: int
    brier: float | None


@dataclass(frozen=True)
class PriorChange:
    error: str
    cause: str
    old: float | None  # None: the error does not name this cause in its priors yet
    new: float
    count: float  # observations of this cause (rejection-only answers count in fractions)
    answers: int  # answers of this error with feedback that says something of the true cause
    fixed: int
    named: int
    rejected: int
    # the block the number is in: `priors`, or `estimates` where the priors are counted from report
    # threads (authoring/counts.py): there feedback moves the written estimate, and the counted
    # prior, smoothed toward it, follows when the patch is made
    block: str = "priors"

    def note(self, today: date, strength: float) -> str:
        old = "absent" if self.old is None else f"{self.old:g}"
        return (f"feedback {today.isoformat()}: {self.count:.3g} of {self.answers} answers ({self.fixed} fixed, {self.named} named, "
                f"{self.rejected} not-this), strength {strength:g}: {old} -> {self.new:g}")


@dataclass(frozen=True)
class Report:
    tallies: tuple[Tally, ...]
    calibration: Calibration
    submissions: tuple[tuple[str, int, str | None], ...]
    changes: tuple[PriorChange, ...]
    strength: float
    reports: int
    answers: int
    skipped: Mapping[str, int] = field(default_factory=dict)  # reports not counted, and why
    # the same table on labelled pastes (the project's own cases), when asked for: (where, table)
    cases: tuple[str, Calibration] | None = None


def _groups(rows: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str], list[Mapping[str, Any]]]:
    out: dict[tuple[str, str], list[Mapping[str, Any]]] = defaultdict(list)
    for r in rows:
        out[(r["answer_id"], r["client"])].append(r)
    return out


def _truth(group: Sequence[Mapping[str, Any]]) -> tuple[str | None, set[str]]:
    """(the cause this person says it was, or None; the causes they say it was not)."""
    said = next((r["cause"] for r in group if r["outcome"] == "fixed"), None)
    said = said or next((r["true_cause"] for r in group if r.get("true_cause")), None)
    rejected = {r["cause"] for r in group if r["outcome"] in REJECTED} - ({said} if said else set())
    return said, rejected


def tallies(rows: Sequence[Mapping[str, Any]]) -> tuple[Tally, ...]:
    counts: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    firsts: dict[str, tuple[str, str]] = {}
    for r in rows:
        key = (r["error_code"], r["cause"])
        counts[key]["confirmed" if r["outcome"] == "fixed" else "rejected"] += 1
        if r.get("true_cause") and r["outcome"] in REJECTED and r["true_cause"] != r["cause"]:
            counts[(r["error_code"], r["true_cause"])]["confirmed"] += 1
        if r.get("first_cause"):
            firsts[r["answer_id"]] = (r["error_code"], r["first_cause"])
    for key in firsts.values():
        counts[key]["shown_first"] += 1
    return tuple(Tally(e, c, n["shown_first"], n["confirmed"], n["rejected"]) for (e, c), n in sorted(counts.items()))


def reliability(pairs: Sequence[tuple[float, int]], bins: int = BINS) -> Calibration:
    """A reliability table and Brier score of (stated probability, 1 if it was the cause else 0) pairs."""
    out = []
    for i in range(bins):
        low, high = i / bins, (i + 1) / bins
        inside = [(p, y) for p, y in pairs if low <= p < high or (i == bins - 1 and p == 1.0)]
        if inside:
            out.append(Bin(low, high, len(inside), sum(p for p, _ in inside) / len(inside), sum(y for _, y in inside) / len(inside)))
    brier = sum((p - y) ** 2 for p, y in pairs) / len(pairs) if pairs else None
    return Calibration(tuple(out), len(pairs), brier)


def calibration(rows: Sequence[Mapping[str, Any]], bins: int = BINS) -> Calibration:
    """The first cause's stated probability against whether it was the cause, on the answers where the feedback says."""
    pairs: list[tuple[float, int]] = []
    for group in _groups(rows).values():
        first = next((r for r in group if r.get("first_cause") and r.get("first_probability") is not None), None)
        if first is None:
            continue
        said, rejected = _truth(group)
        if said is not None:
            pairs.append((float(first["first_probability"]), int(said == first["first_cause"])))
        elif first["first_cause"] in rejected:
            pairs.append((float(first["first_probability"]), 0))
    return reliability(pairs, bins)


def _rounded(w: float) -> float:
    """Two decimals, as the KB writes its priors; a small prior keeps its first significant digit (kb check's floor is 0.0001)."""
    for places in (2, 3, 4):
        if round(w, places) >= 10 ** -places:
            return round(w, places)
    return 0.0001


def prior_changes(kb: KB, rows: Sequence[Mapping[str, Any]], *, strength: float = STRENGTH) -> tuple[PriorChange, ...]:
    """The proposed top-level prior of each cause of each error with feedback, where it moves by 0.01 or more."""
    per_error: dict[str, list[list[Mapping[str, Any]]]] = defaultdict(list)
    for group in _groups(rows).values():
        if group[0]["error_code"] in kb.errors:
            per_error[group[0]["error_code"]].append(group)
    out = []
    for code, groups in sorted(per_error.items()):
        error = kb.errors[code]
        block = "estimates" if error.estimates else "priors"
        weights = dict(error.estimates or error.priors)
        total = sum(weights.values())
        p = {c: w / total for c, w in weights.items()}
        n: dict[str, float] = defaultdict(float)
        fixed: Counter[str] = Counter()
        named: Counter[str] = Counter()
        rejected: Counter[str] = Counter()
        answers = 0
        for group in groups:
            for r in group:
                if r["outcome"] == "fixed":
                    fixed[r["cause"]] += 1
                else:
                    rejected[r["cause"]] += 1
                    if r.get("true_cause") and r["true_cause"] != r["cause"]:
                        named[r["true_cause"]] += 1
            said, refused = _truth(group)
            if said is not None and said in kb.causes:
                n[said] += 1
                answers += 1
                continue
            rest = {c: q for c, q in p.items() if c not in refused}
            if refused and sum(rest.values()) > 0:
                for c, q in rest.items():
                    n[c] += q / sum(rest.values())
                answers += 1
        if not answers:
            continue
        for cause in sorted(set(p) | set(n)):
            new = _rounded(total * (strength * p.get(cause, 0.0) + n[cause]) / (strength + answers))
            old = weights.get(cause)
            # a change under 0.005, or under a tenth of a small prior, is rounding, not news
            if old is None or abs(new - old) >= min(0.005, old / 10) and round(new, 2) != round(old, 2) or (old < 0.01 and abs(new - old) >= old / 2):
                out.append(PriorChange(code, cause, old, new, round(n[cause], 3), answers, fixed[cause], named[cause], rejected[cause],
                                       block))
    return tuple(out)


def build(kb: KB, rows: Sequence[Mapping[str, Any]], submissions: Sequence[tuple[str, int, str | None]] = (),
          *, strength: float = STRENGTH, cases: tuple[str, Calibration] | None = None) -> Report:
    known = [r for r in rows if r["error_code"] in kb.errors and r["cause"] in kb.causes]
    skipped = {"an error or cause this KB no longer has": len(rows) - len(known)} if len(known) < len(rows) else {}
    return Report(tallies=tallies(known), calibration=calibration(known), submissions=tuple(submissions),
                  changes=prior_changes(kb, known, strength=strength), strength=strength, reports=len(known),
                  answers=len({r["answer_id"] for r in known}), skipped=skipped, cases=cases)


# --- the patch ------------------------------------------------------------------------

_PRIOR_LINE = re.compile(r"^(?P<indent>[ ]+)(?P<cause>[a-z0-9-]+):(?P<gap>[ ]*)(?P<value>[0-9.]+)(?P<pad>[ ]*)(?:#[ ]?(?P<comment>.*))?$")
_OLD_NOTE = re.compile(r";?\s*feedback \d{4}-\d{2}-\d{2}: .*$")


def _patched(text: str, changes: Sequence[PriorChange], today: date, strength: float) -> str:
    lines = text.splitlines(keepends=True)
    block = changes[0].block
    start = next((i for i, line in enumerate(lines) if line.rstrip("\r\n") == f"{block}:"), None)
    if start is None:
        raise ValueError(f"no top-level '{block}:' mapping")
    by_cause = {c.cause: c for c in changes}
    end, indent = start + 1, "  "
    for i in range(start + 1, len(lines)):
        line = lines[i]
        if line.strip() and not line.startswith((" ", "#")):
            break
        m = _PRIOR_LINE.match(line.rstrip("\r\n"))
        if not m:
            continue
        end, indent = i + 1, m["indent"]
        change = by_cause.pop(m["cause"], None)
        if change is None:
            continue
        value = f"{change.new:g}" if change.new < 0.01 else f"{change.new:.2f}"
        width = len(m["value"]) + len(m["pad"])
        comment = _OLD_NOTE.sub("", (m["comment"] or "").rstrip())
        note = change.note(today, strength)
        eol = line[len(line.rstrip("\r\n")):]
        lines[i] = f"{m['indent']}{m['cause']}:{m['gap'] or ' '}{value.ljust(max(width, len(value) + 1))}# {comment + '; ' if comment else ''}{note}{eol}"
    added = [f"{indent}{c.cause}: {c.new:g}  # {c.note(today, strength)}\n" for c in by_cause.values()]
    lines[end:end] = added
    return "".join(lines)


def prior_patch(kb: KB, changes: Sequence[PriorChange], *, today: date | None = None, strength: float = STRENGTH) -> str:
    """The proposed priors as a unified diff against the KB's error files, paths relative to the KB folder's
    parent (a/kb/errors/X.yaml): `git apply` or `patch -p1` from there. Where an error's priors are counted
    from report threads, the patch changes its estimates and the counted priors as `kb counts --write`
    recomputes them from the threads and the new estimates, so the patched KB passes kb check."""
    import shutil
    import tempfile

    from .. import knowledge
    today = today or date.today()
    root = Path(kb.path)
    per_error: dict[str, list[PriorChange]] = defaultdict(list)
    for c in changes:
        per_error[c.error].append(c)
    if not per_error:
        return ""
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / root.name
        shutil.copytree(root, copy)
        for code, items in per_error.items():
            path = copy / "errors" / f"{code}.yaml"
            path.write_text(_patched(path.read_text(encoding="utf-8"), items, today, strength), encoding="utf-8")
        if any(c.block == "estimates" for c in changes):
            from ..authoring.counts import write_priors
            write_priors(knowledge.load(copy))
        for code in sorted(per_error):
            rel = f"{root.name}/errors/{code}.yaml"
            old = (root / "errors" / f"{code}.yaml").read_text(encoding="utf-8")
            new = (copy / "errors" / f"{code}.yaml").read_text(encoding="utf-8")
            for line in difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True), f"a/{rel}", f"b/{rel}"):
                out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


# --- the text ----------------------------------------------------------------------------

def _table(cal: Calibration, empty: str) -> list[str]:
    if not cal.bins:
        return [empty]
    out = ["  stated        answers  mean stated  observed"]
    out += [f"  {b.low:.1f}-{b.high:.1f}  {b.n:>12}  {b.stated:>11.2f}  {b.observed:>8.2f}" for b in cal.bins]
    out.append(f"  Brier score: {cal.brier:.3f} (0 is perfect; always saying 0.5 scores 0.25)")
    return out


def render(report: Report, *, top: int = 10) -> str:
    out = [f"Feedback: {report.reports} report(s) on {report.answers} answer(s)."]
    for why, n in report.skipped.items():
        out.append(f"  ({n} report(s) not counted: {why})")
    out += ["", "Per error and cause (shown first = answers it led; confirmed = fixed it or named as the cause; rejected = not this):"]
    if report.tallies:
        width = max(len(f"{t.error} {t.cause}") for t in report.tallies)
        out.append(f"  {'error cause':<{width}}  shown first  confirmed  rejected")
        for t in report.tallies:
            out.append(f"  {t.error + ' ' + t.cause:<{width}}  {t.shown_first:>11}  {t.confirmed:>9}  {t.rejected:>8}")
    else:
        out.append("  (no feedback yet)")
    out += ["", f"Calibration of the first cause's probability ({report.calibration.n} answer(s) where the feedback says whether it was the cause):"]
    out += _table(report.calibration, "  (no answer with feedback on its first cause yet)")
    if report.cases is not None:
        where, cal = report.cases
        out += ["", f"The same on the project's own labelled cases ({cal.n} in {where}; right = the labelled cause came first):"]
        out += _table(cal, "  (no labelled case)")
    out += ["", f"Unrecognised texts most often sent (top {top}):"]
    if report.submissions:
        for text, n, code in report.submissions[:top]:
            first = text.splitlines()[0] if text else ""
            out.append(f"  {n:>4} x  {first[:120]}{' ...' if len(text) > len(first) or len(first) > 120 else ''}"
                       f"{f'  (nearest: {code})' if code else ''}")
    else:
        out.append("  (none sent yet)")
    out += ["", f"Proposed priors (strength {report.strength:g}: p' = (strength * p + count) / (strength + answers), "
                "rescaled to the error's total; review, then apply the patch and run kb check):"]
    if report.changes:
        for c in report.changes:
            old = "absent" if c.old is None else f"{c.old:g}"
            what = " (its estimate; the counted prior follows)" if c.block == "estimates" else ""
            out.append(f"  {c.error} {c.cause}{what}: {old} -> {c.new:g}  ({c.count:.3g} of {c.answers} answers; "
                       f"{c.fixed} fixed, {c.named} named, {c.rejected} not-this)")
    else:
        out.append("  (no change: no error has feedback that moves a prior by 0.01)")
    return "\n".join(out) + "\n"
