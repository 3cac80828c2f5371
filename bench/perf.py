"""Issue 22's table in one run: in-process latency over the real pastes, unrecognised
pastes, synthetic 10x and 40x knowledge bases, long CI logs, start-up, and the HTTP
answer against /healthz under the production server.

Usage (from the project root):
    .venv/bin/python -m bench                 # the full table; rewrites its section of docs/performance.md
    .venv/bin/python -m bench --no-write      # print only
    .venv/bin/python -m bench --smoke         # every row, tiny counts, never written (CI runs this)

Prints figures; the tests check that it runs, never how fast.
"""
from __future__ import annotations

import argparse
import dataclasses
import http.client
import json
import os
import platform
import random
import re
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

import yaml  # noqa: E402

from authdoctor import knowledge  # noqa: E402
from authdoctor.diagnose import Doctor  # noqa: E402
from authdoctor.knowledge import KB, ErrorCode, Variant  # noqa: E402

SHARED_DEV = ROOT.parent / "shared" / "eval" / "dev_cases.yaml"
DOC = ROOT / "docs" / "performance.md"
BEGIN, END = "<!-- bench:begin (python -m bench writes this section) -->", "<!-- bench:end -->"
# A CI log's noise: Terraform refreshing a few hundred resources, with timestamps.
LOG = Path("/tmp/authdoctor-bench-gunicorn.log")
NOISE_LINE = "2024-03-01T10:00:{s:02d}.{ms:03d}Z module.net.aws_subnet.private[{i}]: Refreshing state... [id=subnet-0{i:07x}a1b2c3]"


# --- inputs ---------------------------------------------------------------------------

def real_cases() -> list[dict[str, Any]]:
    """The corpus pastes (tests/cases/*.yaml) and the shared dev set when it is there."""
    files = sorted((ROOT / "tests" / "cases").glob("*.yaml"))
    if SHARED_DEV.is_file():
        files.append(SHARED_DEV)
    cases = []
    for f in files:
        cases += [c for c in (yaml.safe_load(f.read_text()) or {}).get("cases") or [] if isinstance(c.get("error"), str)]
    return cases


def noise(size: int) -> str:
    lines, total, i = [], 0, 0
    while total < size:
        line = NOISE_LINE.format(s=i % 60, ms=i % 1000, i=i)
        lines.append(line)
        total += len(line) + 1
        i += 1
    return "\n".join(lines)


def ci_log(paste: str, size: int) -> str:
    """`paste` in the middle of `size` bytes of refresh noise."""
    pad = noise(max(0, (size - len(paste)) // 2))
    return (pad + "\n" + paste + "\n" + pad)[:size]


_WORD = re.compile(r"[A-Za-z]{4,}")


def _pseudo(word: str, k: int, rng: random.Random) -> str:
    letters = "".join(rng.choice("bcdfghjklmnpqrstvwxz") + rng.choice("aeiou") for _ in range(max(2, len(word) // 2)))
    return (letters[: len(word)] + str(k)) if word[0].islower() else (letters[: len(word)].capitalize() + str(k))


def _mutate(text: str, k: int, seed: str) -> str:
    """A distinct error's text: every word of 4+ letters that hashes into a third is renamed, consistently
    for copy k (the long, telling words most often), so copies share the common words of real errors."""
    def repl(m: re.Match[str]) -> str:
        w = m.group(0)
        rng = random.Random(f"{seed}/{k}/{w.lower()}")
        return _pseudo(w, k, rng) if len(w) >= 9 or rng.random() < 0.34 else w
    return _WORD.sub(repl, text)


def synthetic_kb(kb: KB, factor: int, near_duplicates: int = 0) -> KB:
    """`factor` copies of every error (the real one and factor-1 renamed ones), optionally with one
    real error given `near_duplicates` more shapes that differ from its own by a word each."""
    errors: dict[str, ErrorCode] = dict(kb.errors)
    for k in range(1, factor):
        for eid, e in kb.errors.items():
            if e.fallback:
                continue
            nid = f"{eid}Syn{k}"
            anchors = tuple(tuple(_mutate(a, k, eid) if a == max(group, key=len) else a for a in group) for group in e.anchors)
            variants = tuple(dataclasses.replace(v, id=f"{v.id}-syn{k}", error_id=nid, text=_mutate(v.text, k, eid)) for v in e.variants)
            errors[nid] = dataclasses.replace(e, id=nid, anchors=anchors, variants=variants)
    if near_duplicates:
        eid = max((e for e in kb.errors.values() if not e.fallback), key=lambda e: len(e.variants)).id
        e = errors[eid]
        rng = random.Random(f"near/{eid}")
        extra: list[Variant] = []
        for n in range(near_duplicates):
            v = e.variants[n % len(e.variants)]
            words = v.text.split()
            i = rng.randrange(len(words))
            words[i] = rng.choice(["the", "a", "request", "role", "profile", "session", "bucket", f"x{n}", "error:"])
            extra.append(dataclasses.replace(v, id=f"{v.id}-near{n}", text=" ".join(words)))
        errors[eid] = dataclasses.replace(e, variants=e.variants + tuple(extra))
    return dataclasses.replace(kb, errors=MappingProxyType(errors), variants=tuple(v for e in errors.values() for v in e.variants))


# --- timing -----------------------------------------------------------------------------

def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p * len(xs)))]


def forget(doctor: Doctor) -> None:
    """Empty the Doctor's caches of pastes it has read, so that every call is a first answer."""
    doctor._read.cache_clear()
    getattr(doctor, "_masked", {}).clear()


def time_calls(fn: Callable[[Any], Any], items: Iterable[Any], runs: int, doctor: Doctor | None = None) -> list[float]:
    """Milliseconds of this process's CPU per call: other work on a shared machine does not count.
    With `doctor`, its caches are emptied before each call (untimed)."""
    items = list(items)
    out = []
    clock = time.process_time
    for _ in range(runs):
        for item in items:
            if doctor is not None:
                forget(doctor)
            t = clock()
            fn(item)
            out.append((clock() - t) * 1000)
    return out


def ms(x: float) -> str:
    return f"{x:.1f} ms" if x >= 10 else f"{x:.2f} ms"


@dataclasses.dataclass
class Row:
    figure: str
    goal: str
    measured: str
    met: bool | None = None  # None: no goal


def machine() -> str:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0, 0, 0)
    return (f"{os.cpu_count()} cores ({cpu or platform.processor() or 'unknown CPU'}), {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}; load average {load[0]:.1f} when it started")


# --- the rows ---------------------------------------------------------------------------

def row_real(doctor: Doctor, cases: list[dict[str, Any]], runs: int) -> tuple[Row, Row]:
    calls = [(c["error"], c.get("hints")) for c in cases] + [(c["error"], None) for c in cases]

    def one(call: tuple[str, Any]) -> None:
        try:
            doctor.diagnose(call[0], hints=call[1])
        except ValueError:
            pass  # a case's hint the KB no longer knows: the refusal is timed as well
    t = time_calls(one, calls, runs, doctor)
    p50, p99 = statistics.median(t), pct(t, 0.99)
    first = Row(f"in-process `diagnose`, first answer, p50 / p99 ({len(calls)} calls x {runs} runs)", "p99 at most 2 ms",
                f"{ms(p50)} / {ms(p99)}", p99 <= 2.0)
    unrec = [text for text, _ in calls[len(cases):] if not doctor.diagnose(text).recognized]
    t = time_calls(lambda s: doctor.diagnose(s), unrec or [""], runs, doctor)
    second = Row(f"unrecognised paste, p50 ({len(unrec)} pastes)", "", ms(statistics.median(t)))
    # a conversation's next step: the same paste again, with the question's first option as an answer
    steps = []
    for text, _ in calls[len(cases):]:
        a = doctor.diagnose(text)
        if a.question:
            steps.append((text, {a.question.hint: a.question.options[0]}))
    t = []
    for _ in range(runs):
        for text, answer in steps:
            forget(doctor)
            doctor.diagnose(text)  # the first answer, untimed
            c = time.process_time()
            doctor.diagnose(text, hints=answer)
            t.append((time.process_time() - c) * 1000)
    third = Row(f"a conversation's next step (the same paste re-posted with an answer), p50 / p99 ({len(steps)} steps)", "",
                f"{ms(statistics.median(t))} / {ms(pct(t, 0.99))}")
    return first, second, third


def row_synthetic(kb: KB, cases: list[dict[str, Any]], factor: int, runs: int, near: int = 0) -> Row:
    big = synthetic_kb(kb, factor, near)
    t0 = time.perf_counter()
    doctor = Doctor(big)
    build = (time.perf_counter() - t0) * 1000
    texts = [c["error"] for c in cases]
    t = time_calls(lambda s: doctor.diagnose(s), texts, runs, doctor)
    shape = f", one error with {near} near-duplicate shapes" if near else ""
    limit = 20.0 if factor * len(kb.variants) >= 8000 else None
    return Row(f"{len(big.variants):,} variants (synthetic, {factor}x{shape}), p50 / p99",
               "p99 at most 20 ms" if limit else "", f"{ms(statistics.median(t))} / {ms(pct(t, 0.99))} (index {build:.0f} ms)",
               pct(t, 0.99) <= limit if limit else None)


def row_logs(doctor: Doctor, cases: list[dict[str, Any]], n: int) -> tuple[Row, list[float]]:
    pastes = [c["error"] for c in cases if c.get("expected")][:n]
    logs = [ci_log(p, 64 * 1024) for p in pastes]
    t = time_calls(lambda s: doctor.diagnose(s), logs, 1, doctor)
    p50 = statistics.median(t)
    return Row(f"64 KiB CI log, p50 / p99 ({len(logs)} logs)", "p50 at most 10 ms", f"{ms(p50)} / {ms(pct(t, 0.99))}", p50 <= 10.0), t


def row_mib(doctor: Doctor, cases: list[dict[str, Any]]) -> Row:
    paste = next(c["error"] for c in cases if c.get("expected"))
    log = ci_log(paste, 1024 * 1024)
    inproc = min(time_calls(lambda s: doctor.diagnose(s), [log], 2, doctor))
    # through the CLI as `terraform plan 2>&1 | authdoctor diagnose` pipes it: the error at the end,
    # where Terraform prints it (the CLI reads a piped log's last 64 KiB)
    piped = (noise(1024 * 1024) + "\n")[: 1024 * 1024 - len(paste) - 1] + "\n" + paste
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "authdoctor", "diagnose", "-", "--json"], input=piped.encode(), cwd=ROOT,
                          capture_output=True, env=dict(os.environ, PYTHONPATH=str(ROOT / "src")))
    cli = (time.perf_counter() - t0) * 1000
    ok = proc.returncode == 0 and json.loads(proc.stdout).get("recognized")
    return Row("1 MiB log: in-process (error in the middle) / through the CLI (piped, error at the end; whole process)",
               "in-process at most 100 ms",
               f"{ms(inproc)} / {cli:.0f} ms{'' if ok else ' (CLI FAILED)'}", inproc <= 100.0 and bool(ok))


STARTUP = """
import json, sys, time
t0 = time.perf_counter()
import app
client = app.app.test_client()
r = client.post("/api/v1/diagnose", json={"error": sys.argv[1]})
assert r.status_code == 200, r.status_code
print(json.dumps({"ms": (time.perf_counter() - t0) * 1000, "cpu": time.process_time() * 1000}))
"""


def row_startup(cases: list[dict[str, Any]], runs: int) -> Row:
    paste = next(c["error"] for c in cases if c.get("expected"))
    # an installed app has its bytecode (pip and the image compile it), whatever this shell's PYTHONDONTWRITEBYTECODE says
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = f"{ROOT / 'src'}{os.pathsep}{ROOT}"
    times, cpus = [], []
    for _ in range(runs + 1):  # the first run fills the KB cache (knowledge/cache.py) and writes bytecode; it is not counted
        out = subprocess.run([sys.executable, "-c", STARTUP, paste], cwd=ROOT, capture_output=True, text=True, env=env, check=True)
        got = json.loads(out.stdout.strip().splitlines()[-1])
        times.append(got["ms"])
        cpus.append(got["cpu"])
    times, cpus = times[1:], cpus[1:]
    med, cpu = statistics.median(times), statistics.median(cpus)
    return Row(f"`import app` + first answer, fresh process, KB cache warm (median of {runs}: wall / CPU of the whole process)",
               "at most 0.5 s", f"{med / 1000:.2f} / {cpu / 1000:.2f} s", med <= 500.0)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def row_http(cases: list[dict[str, Any]], n: int, extra_env: dict[str, str] | None = None) -> Row:
    port = free_port()
    env = dict(os.environ, GUNICORN_BIND=f"127.0.0.1:{port}", RATELIMIT_ENABLED="0", PYTHONPATH=f"{ROOT / 'src'}{os.pathsep}{ROOT}",
               **(extra_env or {}))
    gunicorn = Path(sys.executable).with_name("gunicorn")
    log = open(LOG, "wb")
    proc = subprocess.Popen([str(gunicorn), "-c", "gunicorn.conf.py", "app:app"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                c.request("GET", "/healthz")
                if c.getresponse().status == 200:
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"gunicorn did not start; its output is in {LOG}")
            time.sleep(0.1)
        bodies = [json.dumps({"error": c["error"], **({"hints": c["hints"]} if c.get("hints") else {})}).encode() for c in cases]
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        sizes: list[int] = []

        def go(method: str, path: str, body: bytes | None) -> float:
            t = time.perf_counter()
            conn.request(method, path, body=body, headers={"Content-Type": "application/json"} if body else {})
            resp = conn.getresponse()
            data = resp.read()
            if resp.status not in (200, 400):
                raise SystemExit(f"{method} {path}: HTTP {resp.status}")
            if body:
                sizes.append(len(data))
            return time.perf_counter() - t

        for i in range(min(n, 20)):  # warm every worker
            go("GET", "/healthz", None)
            go("POST", "/api/v1/diagnose", bodies[i % len(bodies)])
        sizes.clear()
        # in rounds, each of /healthz then of diagnose, so that the machine's swings (other work on
        # its cores) fall on both alike
        rounds = max(1, min(10, n // 10))
        per = max(1, n // rounds)
        health = diag = 0.0
        for r in range(rounds):
            h = sum(go("GET", "/healthz", None) for _ in range(per))
            d = sum(go("POST", "/api/v1/diagnose", bodies[(r * per + i) % len(bodies)]) for i in range(per))
            health, diag = health + h, diag + d
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
    ratio = health / diag
    done = rounds * per
    return Row(f"HTTP `/api/v1/diagnose` vs `/healthz`, gunicorn, limiter off, one connection ({done} each, in {rounds} alternating rounds)",
               "diagnose at least 50% of /healthz",
               f"{ratio:.0%} ({done / diag:.0f} vs {done / health:.0f} requests/s; "
               f"answer {statistics.median(sizes) / 1024:.1f} KiB median)",
               ratio >= 0.5)


# --- the table ----------------------------------------------------------------------------

def table(rows: list[Row]) -> str:
    lines = ["| figure | goal | measured | met |", "|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r.figure} | {r.goal} | {r.measured} | {'' if r.met is None else 'yes' if r.met else 'NO'} |")
    return "\n".join(lines)


def write_doc(rows: list[Row], cmd: str, started: str, described: str) -> None:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--", "src"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    section = "\n".join([
        BEGIN, "",
        f"    {cmd}", "",
        f"{started}, commit {commit}{' (with uncommitted changes in src/)' if dirty else ''}; {described}.", "",
        table(rows), "", END])
    text = DOC.read_text() if DOC.is_file() else "# Performance\n"
    if BEGIN in text and END in text:
        text = text[: text.index(BEGIN)] + section + text[text.index(END) + len(END):]
    else:
        text = text.rstrip("\n") + "\n\n## Issue 22's table\n\n" + section + "\n"
    DOC.write_text(text)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    ap.add_argument("--smoke", action="store_true", help="every row with tiny counts and small KBs; nothing written")
    ap.add_argument("--runs", type=int, default=6, help="runs over the real pastes (default 6)")
    ap.add_argument("--no-write", action="store_true", help="print the table only")
    ap.add_argument("--skip", action="append", default=[], choices=["synthetic", "logs", "startup", "http"], help="leave a group of rows out")
    args = ap.parse_args(argv)
    smoke = args.smoke
    started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    described = machine()
    print(f"{started}; {described}", flush=True)
    cases = real_cases()
    if smoke:
        cases = cases[:: max(1, len(cases) // 12)]
    runs = 1 if smoke else args.runs
    t0 = time.perf_counter()
    kb = knowledge.load()
    doctor = Doctor(kb)
    print(f"KB: {len(kb.errors)} errors, {len(kb.variants)} variants, {len(kb.causes)} causes; "
          f"load + index {1000 * (time.perf_counter() - t0):.0f} ms; {len(cases)} real pastes", flush=True)
    rows: list[Row] = []

    def add(*new: Row) -> None:
        for r in new:
            rows.append(r)
            print(f"{r.figure}: {r.measured}" + ("" if r.met is None else "  [met]" if r.met else f"  [goal: {r.goal}]"), flush=True)

    add(*row_real(doctor, cases, runs))
    if "synthetic" not in args.skip:
        factors = (2, 3) if smoke else (10, 40)
        add(row_synthetic(kb, cases, factors[0], 1))
        add(row_synthetic(kb, cases, factors[1], 1))
        add(row_synthetic(kb, cases, factors[1], 1, near=20 if smoke else 500))
    if "logs" not in args.skip:
        add(row_logs(doctor, cases, 4 if smoke else 40)[0])
        add(row_mib(doctor, cases))
    if "startup" not in args.skip:
        add(row_startup(cases, 1 if smoke else 5))
    if "http" not in args.skip:
        add(row_http(cases, 10 if smoke else 300))
    print()
    print(table(rows))
    if not smoke and not args.no_write:
        cmd = ".venv/bin/python -m bench" + (f" --runs {args.runs}" if args.runs != 6 else "") + "".join(f" --skip {s}" for s in args.skip)
        write_doc(rows, cmd, started, described)
        print(f"\nwritten to {DOC.relative_to(ROOT)}")
    return 0
