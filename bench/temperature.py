"""How honest the stated probabilities are at other temperatures, on the sets that may be used
to choose it: the report threads (priors counted without each thread's fold, as
`authdoctor eval` prints them) and the corpus (tests/cases, fitted). Never the holdout or the
per-error sample: those only measure the temperature chosen.

Usage (from the project root):
    .venv/bin/python bench/temperature.py                  # 1.0 to 1.8
    .venv/bin/python bench/temperature.py 1.2 1.6
"""
from __future__ import annotations

import sys

from authdoctor import knowledge, rank
from authdoctor.authoring.evaluate import cross_validate, load_cases, run_case, score
from authdoctor.diagnose import Doctor


def main(argv: list[str]) -> int:
    temperatures = [float(t) for t in argv] or [1.0, 1.2, 1.4, 1.6, 1.8]
    kb = knowledge.load()
    corpus = load_cases("tests/cases")
    shipped = dict(rank.rank.__kwdefaults__)
    print("temperature  report threads 5-fold: ECE  Brier   corpus: ECE  Brier")
    try:
        for t in temperatures:
            rank.rank.__kwdefaults__["temperature"] = t  # every Doctor ranks with rank()'s default
            _, held = cross_validate(kb, use_hints=True)
            threads = score(held)
            doctor = Doctor(kb)
            fitted = score([run_case(doctor, case, True) for case in corpus])
            print(f"{t:11.2f}  {threads['ece']:26.3f}  {threads['brier']:5.3f}   {fitted['ece']:11.3f}  {fitted['brier']:5.3f}",
                  flush=True)
    finally:
        rank.rank.__kwdefaults__.update(shipped)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
