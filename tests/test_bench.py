"""`python -m bench --smoke` runs and prints every row of issue 22's table (no timing is checked)."""
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow  # starts gunicorn and a few fresh interpreters: about half a minute

ROWS = ["in-process `diagnose`, first answer, p50 / p99", "unrecognised paste, p50", "a conversation's next step", "(synthetic, 2x)", "(synthetic, 3x)",
        "near-duplicate shapes", "64 KiB CI log", "1 MiB log", "`import app` + first answer", "HTTP `/api/v1/diagnose` vs `/healthz`"]


def test_the_smoke_run_prints_every_row_of_the_table_and_writes_nothing():
    doc = ROOT / "docs" / "performance.md"
    before = doc.read_text()
    run = subprocess.run([sys.executable, "-m", "bench", "--smoke"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    table = run.stdout[run.stdout.index("| figure | goal | measured | met |"):]
    for row in ROWS:
        assert row in table, f"no row for {row!r} in:\n{table}"
    assert "FAILED" not in table
    assert doc.read_text() == before
