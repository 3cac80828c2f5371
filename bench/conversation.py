#!/usr/bin/env python3
"""Report how well the questions work (issue: the conversation).

1. The simulation: for every cause of every error, answers drawn from the cause's
   own likelihoods, questions until a cause leads at 0.8.
2. The walk over real cases: start from the text alone, answer each question
   from the case's own hints ("I don't know" otherwise), expected cause's rank
   after every answer. Over tests/cases/ and, when it is there, the team's
   ../shared/eval/dev_cases.yaml.

Usage: .venv/bin/python bench/conversation.py [--trials N]
"""
import argparse
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "src"))

from authdoctor.authoring.evaluate import load_cases  # noqa: E402
from authdoctor.authoring.simulate import report_answer_effects, report_simulation, report_walk, simulate, walk_all  # noqa: E402
from authdoctor.diagnose import Doctor  # noqa: E402


def walk_report(doctor, path, label):
    figs = walk_all(doctor, load_cases(path))
    if figs.cases:
        print(report_walk(figs, label))
        # which questions real reports answer against the KB: where its likelihoods need a source
        print(report_answer_effects(figs))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=40)
    ap.add_argument("--hardest", type=int, default=10, help="list the N causes the questions reach least often")
    args = ap.parse_args()
    doctor = Doctor()
    t0 = time.perf_counter()
    figs = simulate(doctor, trials=args.trials)
    print(report_simulation(figs))
    print(f"({args.trials} trials per cause, {time.perf_counter() - t0:.1f} s)")
    if args.hardest:
        # where a KB author's next question or sharper evidence would help most
        rows = sorted(((right, q, f.error, cid) for f in figs for cid, (q, right) in f.per_cause.items()))
        print(f"hardest {args.hardest} error-cause pairs (right leads, mean questions, prior share):")
        for right, q, error, cid in rows[: args.hardest]:
            priors = doctor.kb.errors[error].priors
            print(f"  {right:4.0%}  {q:4.1f}  {priors[cid] / sum(priors.values()):5.1%}  {error} / {cid}")
    walk_report(doctor, os.path.join(ROOT, "tests", "cases"), "tests/cases")
    shared = os.path.join(os.path.dirname(ROOT), "shared", "eval", "dev_cases.yaml")
    if os.path.exists(shared):
        walk_report(doctor, shared, "../shared/eval/dev_cases.yaml")


if __name__ == "__main__":
    main()
