"""`python -m bench`: issue 22's performance table (see bench/perf.py)."""
import sys

from bench.perf import main

sys.exit(main())
