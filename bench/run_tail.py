#!/usr/bin/env python3
"""How long a big log takes through `authdoctor run` and `... | authdoctor diagnose --doctor` (issue 20).

A fake `terraform` prints a log of --mb megabytes, then a real credential error,
and exits 1. Printed: the whole command's wall time next to `cat` of the same
log (what passing it through costs), the process's start (Python, the KB) on its
own, and, in-process, what the tail costs: keeping the last 64 KiB of the log, and
picking out and diagnosing its error part with the machine's hints.
The tests check behaviour, not time.
The first `run` builds the KB and parses the .tf files (the caches are empty); the
others find both in the cache folder, as every run after the first on a machine does
(the GitHub Action warms the KB while it installs).
Usage: .venv/bin/python bench/run_tail.py [--mb 6] [--repeat 3]
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from authdoctor.cli.doctor import checked_hints  # noqa: E402
from authdoctor.cli.run import CHUNK, Tail, error_part, run_command  # noqa: E402
from authdoctor.diagnose import Doctor  # noqa: E402
from authdoctor.inspect import inspect_machine  # noqa: E402

ERROR = ("╷\n│ Error: configuring Terraform AWS Provider: validating provider credentials: retrieving caller identity from STS: "
         "operation error STS: GetCallerIdentity, https response error StatusCode: 403, RequestID: "
         "1d6bfb5c-3c2a-4b1e-9a0b-4f1c1c1c1c1c, api error InvalidClientTokenId: The security token included in the request is invalid.\n"
         '│\n│   with provider["registry.terraform.io/hashicorp/aws"],\n╵\n')
FAKE = """#!/bin/sh
if [ "$1" = "version" ]; then echo '{"terraform_version": "1.9.5"}'; exit 0; fi
cat "$FAKE_LOG"
cat "$FAKE_ERR" >&2
exit 1
"""


def timed(argv, env, cwd, stdin=None):
    t0 = time.perf_counter()
    r = subprocess.run(argv, env=env, cwd=cwd, stdin=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.perf_counter() - t0, r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=float, default=6)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "bin").mkdir()
        (tmp / "bin" / "terraform").write_text(FAKE)
        (tmp / "bin" / "terraform").chmod(0o755)
        (tmp / "home").mkdir()
        (tmp / "tf").mkdir()
        (tmp / "tf" / "main.tf").write_text('provider "aws" {\n  region = "eu-west-1"\n  profile = "prod"\n}\n')
        log = tmp / "big.log"
        with log.open("wb") as f:
            i = 0
            while f.tell() < args.mb * 1024 * 1024:
                f.write(b"aws_instance.web[%d]: Still creating... [10s elapsed] ............................................\n" % i)
                i += 1
        (tmp / "err.txt").write_text(ERROR)
        # an installed authdoctor has its bytecode compiled (pip does it), whatever this shell's PYTHONDONTWRITEBYTECODE says
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k != "PYTHONDONTWRITEBYTECODE"}
        env.update(PATH=f"{tmp / 'bin'}{os.pathsep}{env.get('PATH', '')}", HOME=str(tmp / "home"), PYTHONPATH=str(ROOT / "src"),
                   FAKE_LOG=str(log), FAKE_ERR=str(tmp / "err.txt"), AUTHDOCTOR_CACHE_DIR=str(tmp / "cache"))
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "src")], check=True, stdout=subprocess.DEVNULL)
        py = [sys.executable, "-m", "authdoctor"]
        size = log.stat().st_size / 1024 / 1024
        rows = []
        # the first run on a machine: the KB is built from its YAML and the .tf files are parsed; both are kept for the next
        t, r = timed(py + ["run", "--", "terraform", "plan"], env, tmp / "tf")
        rows.append((f"authdoctor run, first on this machine (KB built, .tf parsed) ({size:.1f} MB)", t))
        for label, argv, feed in (
                ("cat of the log (the floor)", ["cat", str(log)], None),
                ("authdoctor --version (start-up alone)", py + ["--version"], None),
                (f"authdoctor run -- terraform plan ({size:.1f} MB)", py + ["run", "--", "terraform", "plan"], None),
                (f"authdoctor diagnose --doctor < log ({size:.1f} MB)", py + ["diagnose", "--doctor"], log)):
            times = []
            for _ in range(args.repeat):
                with (feed.open("rb") if feed else open(os.devnull, "rb")) as stdin:
                    t, r = timed(argv, env, tmp / "tf", stdin)
                if label.startswith("authdoctor run") and b"InvalidClientTokenId" not in r.stderr:
                    raise SystemExit("run printed no diagnosis: " + r.stderr.decode()[-500:])
                times.append(t)
            rows.append((label, statistics.median(times)))
        # in-process: what passing the log through costs, and the tail work, once the process is up
        pumps = []
        with open(os.devnull, "wb") as null:
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                run_command(["cat", str(log)], Tail(), stdout=null, stderr=null)
                pumps.append(time.perf_counter() - t0)
        doctor = Doctor()
        data = log.read_bytes() + ERROR.encode()
        t0 = time.perf_counter()
        tail = Tail()
        for k in range(0, len(data), CHUNK):
            tail.feed(data[k:k + CHUNK])
        t1 = time.perf_counter()
        part = error_part(tail.text())
        t2 = time.perf_counter()
        inspection = inspect_machine(tmp / "tf", env=env)
        hints, _ = checked_hints(doctor.kb, inspection)
        t3 = time.perf_counter()
        answer = doctor.diagnose(part, hints=hints)
        t4 = time.perf_counter()
        assert answer.error_code == "InvalidClientTokenId"
    print(f"{'what':58} {'median of ' + str(args.repeat):>14}")
    for label, t in rows:
        print(f"{label:58} {1000 * t:11.0f} ms")
    print(f"in-process, {size:.1f} MB: `cat` of the log through run_command (passed on, tail kept) {1000 * statistics.median(pumps):.0f} ms")
    print(f"in-process, {size:.1f} MB: keep the 64 KiB tail {1000 * (t1 - t0):.1f} ms; pick its error part ({len(part)} chars) "
          f"{1000 * (t2 - t1):.1f} ms; inspect the machine (terraform version included) {1000 * (t3 - t2):.0f} ms; "
          f"diagnose {1000 * (t4 - t3):.0f} ms")


if __name__ == "__main__":
    main()
