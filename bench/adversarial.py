#!/usr/bin/env python3
"""Adversarial inputs: the slowest pastes the diagnosis and the API can be fed, by CPU time.

    .venv/bin/python bench/adversarial.py                  # every shape at 64 KiB, 3 runs each
    .venv/bin/python bench/adversarial.py --size 16384 --runs 1 --top 5

Feeds `Doctor.diagnose` (in-process) and `POST /api/v1/diagnose` (Flask test
client, rate limiting off) with pathological shapes of up to --size bytes:
long runs that tempt a regex to backtrack (`a_a_a_`, `x-x-x`, `a.a.a`,
`TF_TOKEN_` repeated, `token = "..."` lines), one 64 KiB line, 64 KiB of
newlines, base64 blobs, ANSI escape soup, deep unicode, many error-like lines,
and the real pastes of tests/cases between 64 KiB of noise. Prints the slowest
inputs with their CPU time (time.process_time, the best of --runs), then
p50/p99/max per door. API bodies are JSON, so the pasted text is cut to fit
the 64 KiB body limit. Prints figures; the tests check behaviour, not time.
"""
from __future__ import annotations

import argparse
import base64
import json
import logging
import os
import random
import statistics
import sys
import time
from collections.abc import Callable

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "src"))

from authdoctor import knowledge as kbmod  # noqa: E402
from authdoctor.authoring.evaluate import load_cases  # noqa: E402
from authdoctor.diagnose import Doctor  # noqa: E402
from authdoctor.web import create_app  # noqa: E402

ICTI = "api error InvalidClientTokenId: The security token included in the request is invalid."


def fill(unit: str, size: int) -> str:
    return (unit * (size // max(1, len(unit)) + 1))[:size]


def shapes(size: int) -> dict[str, str]:
    rnd = random.Random(17)
    b64 = base64.b64encode(rnd.randbytes(size)).decode()[:size]
    ansi = "".join(rnd.choice(["\x1b[0m", "\x1b[31;1m", "\x1b[2K", "\x1b]0;t\x07", "\x1b[", "[0m", "\r", "│ ", "╷"]) for _ in range(size // 3))[:size]
    marks = ["e\u0301\u0302\u0303", "\u202e", "\u200b", "𝐀𝐖𝐒", "ﬀ", "Ａｋｉａ", "\ufeff", "ⓐⓚⓘⓐ", "\u0410KIA"]
    deep = "".join(rnd.choice(marks) for _ in range(size // 4))[:size]
    errorish = fill("Error: error configuring Terraform AWS Provider: AccessDenied: 403 ExpiredToken InvalidClientTokenId\n", size)
    out = {
        "a_a_a_": fill("a_", size),
        "x-x-x": fill("x-", size),
        "a.a.a": fill("a.", size),
        "TF_TOKEN_ repeated": fill("TF_TOKEN_", size),
        "TF_TOKEN_app_terraform_io= repeated": fill("TF_TOKEN_app_terraform_io=", size),
        "token = \"...\" lines": fill('token = "' + "x" * 40 + '"\n', size),
        "aws_secret_access_key = lines": fill("aws_secret_access_key = " + "A" * 40 + "\n", size),
        "AKIA runs": fill("AKIA", size),
        "one 64 KiB line": fill("word ", size),
        "64 KiB of a": "a" * size,
        "64 KiB of newlines": "\n" * size,
        "64 KiB of spaces then ICTI": " " * (size - len(ICTI)) + ICTI,
        "base64 blob": b64,
        "base64 lines": "\n".join(b64[i:i + 76] for i in range(0, len(b64), 77))[:size],
        "ANSI soup": ansi,
        "deep unicode": deep,
        "error-like lines": errorish,
        "key=value soup": fill("a=b&c=d;e:f ", size),
        "quotes and backslashes": fill('"\\"\\\\\'', size),
        "JSON nesting": fill('{"a":[', size),
        "https://x/ repeated": fill("https://x.amazonaws.com/", size),
        "arn:aws: repeated": fill("arn:aws:iam::123456789012:role/", size),
    }
    return {k: v[:size] for k, v in out.items()}


def corpus(size: int) -> dict[str, str]:
    cases = load_cases(os.path.join(ROOT, "tests", "cases"))
    noise = "\n".join(f"2024-03-01T10:00:{i % 60:02d}.0Z module.x.aws_subnet.s[{i}]: Refreshing state... [id=subnet-{i:08d}]"
                      for i in range(2000))
    out = {}
    for c in cases:
        text = str(c["error"])
        pad = max(0, (size - len(text)) // 2)
        out[f"case {c['id']} in noise"] = (noise[:pad] + "\n" + text + "\n" + noise[:pad])[:size]
    return out


def cpu(fn: Callable[[], object], runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        t0 = time.process_time()
        fn()
        best = min(best, time.process_time() - t0)
    return best


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p * len(xs)))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=64 * 1024, help="bytes per input (default 65536)")
    ap.add_argument("--runs", type=int, default=3, help="runs per input; the best CPU time counts (default 3)")
    ap.add_argument("--top", type=int, default=10, help="slowest inputs to list (default 10)")
    args = ap.parse_args()
    doctor = Doctor(kbmod.load())
    client = create_app(test_config={"TESTING": True, "RATELIMIT_ENABLED": False}).test_client()
    logging.getLogger("authdoctor").disabled = True  # one access line per request would drown the figures
    logging.getLogger("authdoctor.access").disabled = True
    inputs = {**shapes(args.size), **corpus(args.size)}
    inputs = {k: v.encode("utf-8")[:args.size].decode("utf-8", "ignore") for k, v in inputs.items()}
    rows: dict[str, list[tuple[float, str, int]]] = {"Doctor.diagnose": [], "POST /api/v1/diagnose": []}
    for name, text in inputs.items():
        rows["Doctor.diagnose"].append((cpu(lambda t=text: doctor.diagnose(t), args.runs), name, len(text.encode())))
        # the API body is JSON: escapes grow the text, so its head is cut until the body fits in 64 KiB
        # (the tail kept: an error comes at the end of a log)
        body_text = text
        while len(json.dumps({"error": body_text}).encode()) > 64 * 1024:
            body_text = body_text[len(body_text) // 10:]
        body = json.dumps({"error": body_text})
        status = client.post("/api/v1/diagnose", data=body, content_type="application/json").status_code
        if status != 200:
            print(f"  note: {name}: the API answered {status}", file=sys.stderr)
        secs = cpu(lambda b=body: client.post("/api/v1/diagnose", data=b, content_type="application/json"), args.runs)
        rows["POST /api/v1/diagnose"].append((secs, name, len(body_text.encode())))
    print(f"{len(inputs)} inputs of up to {args.size:,} bytes, best CPU time (time.process_time) of {args.runs} run(s)")
    for door, rs in rows.items():
        times = [r[0] for r in rs]
        print(f"\n{door}: p50 {statistics.median(times) * 1000:.1f} ms, p99 {pct(times, 0.99) * 1000:.1f} ms, "
              f"max {max(times) * 1000:.1f} ms")
        for secs, name, n in sorted(rs, reverse=True)[:args.top]:
            print(f"  {secs * 1000:8.1f} ms  {name} ({n:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
