"""What closest()'s shortlist costs and how often it names what the full scan names.

For a paste nothing recognises, the answer names the three errors whose shapes come
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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=5, help="timed runs per size (the median is printed)")
    ap.add_argument("--sizes", type=int, nargs="+", default=[16, 32, 64, SHORTLIST, 256])
    args = ap.parse_args(argv)
    doctor = Doctor()
    m = doctor.matcher
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
