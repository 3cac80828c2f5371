"""Score the KB on labelled cases: `python -m authdoctor eval [FILE|DIR]`.

A case file holds `cases: [{id, error, hints?, expected: <cause id> | null, also_ok?}]`
(the same shape as the team's shared evaluation set). expected null means the
text is not a credential error: the right answer is recognized == false.
"""
from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

from ..diagnose import Doctor
from ..hints import HintError

# relative to the folder it runs in: a checkout's corpus, unless told otherwise
DEFAULT_CASES = Path("tests") / "cases"
BASELINE_NAME = "baseline.json"
OTHER = "other"  # a thread fixed by something no cause id names (its true cause in words)
NOT_LISTED = 99  # the baseline rank of a case whose expected cause is not listed


@dataclass
class Outcome:
    id: str
    expected: str | None
    rank: int | None  # 1-based rank of the expected cause; None: missing (or claimed, for negatives)
    top: list
    probability: float
    recognized: bool

    @property
    def ok(self) -> bool:
        return (not self.recognized) if self.expected is None else self.rank == 1


def baseline_path(cases: str | Path | None = None) -> Path:
    """Where a corpus keeps its regression baseline: beside its cases."""
    path = Path(cases) if cases else DEFAULT_CASES
    return (path if path.is_dir() else path.parent) / BASELINE_NAME


def load_cases(path: str | Path | None = None) -> list[dict]:
    path = Path(path) if path else DEFAULT_CASES
    files = sorted(path.glob("*.yaml")) if path.is_dir() else [path]
    cases = []
    for f in files:
        data = yaml.safe_load(f.read_text()) or {}
        for c in data.get("cases") or []:
            c = dict(c)
            c.setdefault("file", f.name)
            cases.append(c)
    return cases


def run_case(doctor: Doctor, case: dict, use_hints: bool = True) -> Outcome:
    hints = case.get("hints") if use_hints else None
    answer = doctor.diagnose(case["error"], hints=hints)
    ids = [c.id for c in answer.causes]
    good = {case.get("expected"), case.get("also_ok")} - {None}
    rank = next((i + 1 for i, x in enumerate(ids) if x in good), None)
    p = answer.top.probability if answer.top else 0.0
    return Outcome(str(case.get("id")), case.get("expected"), rank, ids[:3], p, answer.recognized)


def score(outcomes: list[Outcome]) -> dict:
    pos = [o for o in outcomes if o.expected]
    neg = [o for o in outcomes if not o.expected]
    n = len(pos) or 1
    calib = [(o.probability, o.rank == 1) for o in pos if o.top]
    brier = sum((p - ok) ** 2 for p, ok in calib) / (len(calib) or 1)
    bins: dict = {}
    for p, ok in calib:
        bins.setdefault(min(int(p * 5), 4), []).append((p, ok))
    ece = sum(len(b) / len(calib) * abs(sum(p for p, _ in b) / len(b) - sum(ok for _, ok in b) / len(b)) for b in bins.values()) if calib else 0.0
    return {
        "top1": sum(o.rank == 1 for o in pos) / n,
        "top3": sum(bool(o.rank and o.rank <= 3) for o in pos) / n,
        "mrr": sum(1 / o.rank for o in pos if o.rank) / n,
        "abstain": sum(not o.recognized for o in neg) / (len(neg) or 1) if neg else 1.0,
        "brier": brier, "ece": ece, "n": len(pos), "neg": len(neg),
    }


def summary_line(s: dict) -> str:
    return ("top1={top1:.2f} top3={top3:.2f} mrr={mrr:.2f} abstain={abstain:.2f} "
            "brier={brier:.3f} ece={ece:.3f} n={n} neg={neg}").format(**s)


HOLDOUT = "holdout"
# threads sampled per error (not per cause), in search order, labelled and never counted nor fitted:
# docs/data/threads-per-error-*.yaml, one thread a row with its paste, its cause and what it says of
# the runner, the auth method and the session token
SAMPLED = Path("docs") / "data"
SAMPLED_GLOB = "threads-per-error-*.yaml"


def sampled_cases(kb, folder: str | Path | None = None) -> list[dict]:
    """The threads sampled per error as cases: the paste, the confirmed cause ('other': none the KB
    names, a miss), and as hints what the thread says of the hint vocabulary's keys ('unknown' left out).
    A thread the KB cites anywhere (as a source of a wording, say) is not held out, so it is left out."""
    cited = "\n".join(f.read_text(errors="replace") for f in Path(kb.path).rglob("*.yaml")) if kb.path else ""
    cases = []
    for f in sorted(Path(folder or SAMPLED).glob(SAMPLED_GLOB)):
        for row in yaml.safe_load(f.read_text()) or []:
            if not isinstance(row, dict) or not isinstance(row.get("paste"), str) or not row["paste"].strip():
                continue
            url = str(row.get("url") or "")
            short = re.sub(r"^https://github\.com/([^/]+/[^/]+)/(?:issues|pull)/(\d+).*$", r"\1#\2", url)
            if url and (url in cited or re.search(re.escape(short) + r"(?!\d)", cited)):
                continue
            hints = {k: (v == "true" if v in ("true", "false") else v) for k, v in row.items()
                     if k in kb.hints and v not in (None, "unknown")}
            cases.append({"id": row.get("url"), "error": row["paste"], "hints": hints, "expected": row.get("cause"),
                          "file": f.name})
    return cases


def named(cases: list[dict]) -> list[dict]:
    """The cases whose cause the KB names: how well it ranks what it knows, where the threads fixed
    by something no cause id names (`other`, a miss in every figure) are left aside."""
    return [c for c in cases if c.get("expected") != OTHER]


def overview(kb) -> list[str]:
    """Every figure that measures the product, held-back first: the holdout and the threads sampled
    per error (never fitted), the report threads with priors counted without their own fold, then
    the fitted corpus."""
    doctor = Doctor(kb)
    lines = ["set                                               hints  figures"]

    def row(name: str, outcomes: list[Outcome], hints: bool) -> None:
        pos = [o for o in outcomes if o.expected]
        missed = sum(not o.recognized for o in pos)
        lines.append(f"{name:<50}{'with ' if hints else 'text '}  {summary_line(score(outcomes))} not_recognised={missed}")
    holdout = DEFAULT_CASES / HOLDOUT
    if holdout.is_dir():
        cases = load_cases(holdout)
        for hints in (True, False):
            row(f"holdout ({holdout}, never fitted)", [run_case(doctor, c, hints) for c in cases], hints)
    sampled = sampled_cases(kb)
    if sampled:
        for hints in (True, False):
            row("threads sampled per error (never fitted)", [run_case(doctor, c, hints) for c in sampled], hints)
        for hints in (True, False):
            row("  the same, a cause the KB names", [run_case(doctor, c, hints) for c in named(sampled)], hints)
    for hints in (True, False):
        fit, held = cross_validate(kb, use_hints=hints)
        row(f"report threads, priors counted without ({FOLDS}-fold)", held, hints)
        row("report threads, priors counted with them (fit)", fit, hints)
    cases = load_cases(DEFAULT_CASES)
    for hints in (True, False):
        row(f"corpus ({DEFAULT_CASES}, fitted)", [run_case(doctor, c, hints) for c in cases], hints)
    return lines


def main(args) -> int:
    from .. import knowledge
    if not args.cases and (DEFAULT_CASES / HOLDOUT).is_dir():
        for line in overview(knowledge.load(getattr(args, "kb", None))):
            print(line)
        return 0
    where = Path(args.cases) if args.cases else DEFAULT_CASES
    if not where.exists():
        print(f"error: no case file or folder at {where}; run from a checkout's root or name one: "
              "authdoctor eval PATH", file=sys.stderr)
        return 2
    doctor = Doctor(knowledge.load(getattr(args, "kb", None)))
    cases = load_cases(where)
    outcomes = []
    for c in cases:
        try:
            o = run_case(doctor, c, not args.no_hints)
        except HintError as exc:
            print(f"{c.get('id')}: bad hints in the case file: {exc}", file=sys.stderr)
            return 2
        outcomes.append(o)
        if args.verbose:
            if o.expected is None:
                print(f"{o.id}: negative {'ok' if not o.recognized else 'CLAIMED ' + ','.join(o.top)}")
            else:
                print(f"{o.id}: expected {o.expected} rank={o.rank} got {','.join(o.top) or '-'} p={o.probability:.2f}")
    misses: dict = {}
    for o in outcomes:
        if o.expected and o.rank != 1:
            misses[o.expected] = misses.get(o.expected, 0) + 1
    if misses:
        print("not first, by expected cause: " + ", ".join(f"{k}={v}" for k, v in sorted(misses.items(), key=lambda kv: -kv[1])))
    print(summary_line(score(outcomes)))
    if getattr(args, "write_baseline", False):
        ranks = {o.id: (o.rank or NOT_LISTED) for o in outcomes if o.expected}
        target = Path(args.baseline) if getattr(args, "baseline", None) else baseline_path(args.cases)
        target.write_text(json.dumps(ranks, indent=1, sort_keys=True) + "\n")
        print(f"baseline written: {target}")
    return 0


# --- the counted priors, cross-validated -----------------------------------------------------

FOLDS = 5


def fold_of(url: str, k: int = FOLDS) -> int:
    """A thread's fold: fixed by its url, so every run splits the same way."""
    import hashlib
    return int(hashlib.sha256(url.encode()).hexdigest(), 16) % k


def thread_cases(kb) -> list[tuple[str, dict]]:
    """The report threads that quote their error, as cases: (url, case)."""
    from .counts import UNKNOWN, load_reports
    reports, _ = load_reports(kb)
    out = []
    for cid, rs in sorted(reports.items()):
        for x in rs:
            if x.error == UNKNOWN or not x.text.strip():
                continue
            hints = {k: (v == "true" if v in ("true", "false") else v) for k, v in x.facts.items() if v != UNKNOWN}
            out.append((x.url, {"id": x.url, "error": x.text, "hints": hints, "expected": cid}))
    return out


def with_priors(kb, counted: dict):
    """The KB with each counted error's priors replaced (the rest as loaded)."""
    from dataclasses import replace
    from types import MappingProxyType
    errors = dict(kb.errors)
    for eid, c in counted.items():
        errors[eid] = replace(errors[eid], priors=MappingProxyType(dict(c.priors)))
    return replace(kb, errors=MappingProxyType(errors))


def cross_validate(kb, *, use_hints: bool = True, k: int = FOLDS) -> tuple[list[Outcome], list[Outcome]]:
    """The report threads scored twice: with priors counted from every thread (the fit), and with
    priors counted without the thread's own fold (k-fold: what a thread nobody counted gets)."""
    from .counts import count_priors, load_reports
    reports, _ = load_reports(kb)
    cases = thread_cases(kb)
    fitted = Doctor(with_priors(kb, count_priors(kb, reports)))
    fit = [run_case(fitted, c, use_hints) for _, c in cases]
    held = []
    for f in range(k):
        out = frozenset(u for u, _ in cases if fold_of(u, k) == f)
        doctor = Doctor(with_priors(kb, count_priors(kb, reports, leave_out=out)))
        held += [run_case(doctor, c, use_hints) for u, c in cases if u in out]
    return fit, held
