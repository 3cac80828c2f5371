#!/usr/bin/env python3
"""How fast one diagnosis is, in-process: KB load, index build, and per paste.

Prints figures; the tests check behaviour, not time.
Usage: .venv/bin/python bench/diagnose_speed.py [--n 300]
"""
import argparse
import os
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "src"))

from authdoctor import knowledge as kbmod  # noqa: E402
from authdoctor.authoring.evaluate import load_cases  # noqa: E402
from authdoctor.diagnose import Doctor  # noqa: E402


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p * len(xs)))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=300)
    args = ap.parse_args()
    t0 = time.perf_counter()
    kb = kbmod.load()
    t1 = time.perf_counter()
    doctor = Doctor(kb)
    t2 = time.perf_counter()
    print(f"KB load+check: {1000 * (t1 - t0):.0f} ms; matcher index: {1000 * (t2 - t1):.1f} ms "
          f"({len(kb.errors)} errors, {len(kb.variants)} variants, {len(kb.causes)} causes)")
    cases = load_cases(os.path.join(ROOT, "tests", "cases"))
    texts = [c["error"] for c in cases]
    noise = "\n".join(f"2024-03-01T10:00:{i % 60:02d}.0Z module.x.aws_subnet.s[{i}]: Refreshing state... [id=subnet-{i:08d}]" for i in range(600))
    for label, pastes in (("corpus pastes", texts), ("40 KB CI logs", [noise[:20000] + "\n" + t + "\n" + noise[:20000] for t in texts[:20]])):
        times = []
        for i in range(args.n):
            text = pastes[i % len(pastes)]
            s = time.perf_counter()
            doctor.diagnose(text)
            times.append((time.perf_counter() - s) * 1000)
        print(f"{label}: n={args.n} p50={statistics.median(times):.2f} ms p95={pct(times, 0.95):.2f} ms max={max(times):.2f} ms")


if __name__ == "__main__":
    main()
