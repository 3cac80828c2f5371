"""Where the in-process p99 goes, and what closest()'s shortlist costs and how often it
names what the full scan names.

First, the CPU of each first answer over the real pastes of `python -m bench` (each with
its hints and without, best of 5 per call), split by recognised and not: the slow tail is
the pastes nothing recognises, and for those it is split again into match() (showing that
no shape reaches the bar), closest() and the rest. Then, for a paste nothing recognises, the answer names the three errors whose shapes come
nearest (`Matcher.closest`). It scores only the `shortlist` shapes that share the most
four-character pieces with the paste; this prints, for several shortlist sizes, the CPU
time per paste and how many of the real unrecognised pastes get the full scan's first
code, and all three codes with their similarities, and what one exact score costs by
shape length: what a p99 of 2 ms would have to give up.

Usage (from the project root):
    .venv/bin/python bench/closest_shortlist.py            # 5 runs per size
    .venv/bin/python bench/closest_shortlist.py --runs 1 --sizes 16 128

The pastes: every case of tests/cases (its variants and holdout too: they are only timed
here, never fitted) and the shared dev set when it is there, masked, that nothing recognises.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402
from rapidfuzz import fuzz  # noqa: E402

from authdoctor.diagnose import Doctor  # noqa: E402
from authdoctor.match import _WINDOW_CHARS, SHORTLIST, Result  # noqa: E402
from authdoctor.redact import redact  # noqa: E402

SHARED_DEV = ROOT.parent / "shared" / "eval" / "dev_cases.yaml"


def unrecognised(doctor: Doctor) -> list[Result]:
    cases = ROOT / "tests" / "cases"
    files = [*sorted(cases.glob("*.yaml")), *sorted((cases / "variants").glob("*.yaml")), *sorted((cases / "holdout").glob("*.yaml"))]
    files += [SHARED_DEV] if SHARED_DEV.is_file() else []
    texts = [redact(c["error"]).text for f in files for c in (yaml.safe_load(f.read_text()) or {}).get("cases") or []
             if isinstance(c.get("error"), str)]
    return [doctor.matcher.match(t) for t in texts if not doctor.diagnose(t).recognized]


def best_of(fn, runs: int = 5) -> float:
    """The least CPU time of `runs` calls, in ms."""
    spans = []
    for _ in range(runs):
        t = time.process_time_ns()
        fn()
        spans.append(time.process_time_ns() - t)
    return min(spans) / 1e6


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p * len(xs)))] if xs else 0.0


def split(doctor: Doctor) -> None:
    """The first answers' CPU, recognised and not, and the unrecognised ones' steps."""
    from bench.perf import real_cases

    def first(text: str, hints: dict | None) -> None:
        doctor._read.cache_clear()
        doctor._masked.clear()
        doctor.diagnose(text, hints=hints)

    rows: dict[bool, list[float]] = {True: [], False: []}
    steps: dict[str, list[float]] = {"match()": [], "closest()": [], "the rest": []}
    m = doctor.matcher
    for case in real_cases():
        for hints in (case.get("hints"), None):
            spent = best_of(lambda text=case["error"], hints=hints: first(text, hints))
            answer = doctor.diagnose(case["error"], hints=hints)
            rows[answer.recognized].append(spent)
            if not answer.recognized:
                text = answer.paste.text
                cut = doctor._cut(text)
                focus = cut[0] if cut else text
                matched = m.match(focus)
                steps["match()"].append(best_of(lambda focus=focus: m.match(focus)))
                steps["closest()"].append(best_of(lambda matched=matched: m.closest(matched)))
                steps["the rest"].append(max(0.0, spent - steps["match()"][-1] - steps["closest()"][-1]))
    every = rows[True] + rows[False]
    print("| first answers | calls | p50 | p90 | p99 | over 2 ms |")
    print("|---|---|---|---|---|---|")
    for label, xs in (("all", every), ("recognised", rows[True]), ("not recognised", rows[False])):
        print(f"| {label} | {len(xs)} | {pct(xs, .5):.2f} ms | {pct(xs, .9):.2f} ms | {pct(xs, .99):.2f} ms | {sum(x > 2 for x in xs)} |")
    print("\n| a paste nothing recognises | p50 | p90 |")
    print("|---|---|---|")
    for label, xs in steps.items():
        print(f"| {label} | {pct(xs, .5):.2f} ms | {pct(xs, .9):.2f} ms |")
    print()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=5, help="timed runs per size (the median is printed)")
    ap.add_argument("--sizes", type=int, nargs="+", default=[16, 32, 64, SHORTLIST, 256])
    args = ap.parse_args(argv)
    doctor = Doctor()
    m = doctor.matcher
    split(doctor)
    pastes = unrecognised(doctor)
    full = [m.closest(r, exhaustive=True) for r in pastes]
    print(f"{len(pastes)} real unrecognised pastes; {sum(len(v) for v in m.by_error.values())} shapes in {len(m.by_error)} errors")
    print("| shortlist | CPU per paste, median of runs | first code as the full scan | all three codes and similarities |")
    print("|---|---|---|---|")
    for size in [*args.sizes, 0]:
        times = []
        for _ in range(max(1, args.runs)):
            t = time.process_time()
            got = [m.closest(r, shortlist=size) if size else m.closest(r, exhaustive=True) for r in pastes]
            times.append(time.process_time() - t)
        first = sum(g[:1] == f[:1] for g, f in zip(got, full))
        same = sum(g == f for g, f in zip(got, full))
        label = str(size) if size else "every shape (the full scan)"
        print(f"| {label} | {statistics.median(times) / max(1, len(pastes)) * 1000:.2f} ms | "
              f"{first} of {len(pastes)} | {same} of {len(pastes)} |")
    # one exact score, by the shape's length: what each shortlisted shape costs
    cost: dict[str, list[float]] = {}
    for r in pastes:
        hay = r.text[-_WINDOW_CHARS:]
        for _, (_, shape) in zip(range(SHORTLIST), m._shortlist.ranked(hay)):
            eid, i = m._shapes[shape]
            norm = m.norm[m.by_error[eid][i].id]
            t0 = time.perf_counter_ns()
            fuzz.partial_ratio(norm, hay, processor=None)
            span = "up to 64" if len(norm) <= 64 else "65-128" if len(norm) <= 128 else "over 128"
            cost.setdefault(span, []).append((time.perf_counter_ns() - t0) / 1000)
    print("\n| shape length | shortlisted shapes | partial_ratio, median |")
    print("|---|---|---|")
    for span in ("up to 64", "65-128", "over 128"):
        xs = cost.get(span, [])
        print(f"| {span} | {len(xs)} | {statistics.median(xs) if xs else 0:.1f} us |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
