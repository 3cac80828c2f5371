"""Time from a signed /slack/commands request to its reply: in-process and through gunicorn.

Slack gives a slash command 3 seconds before the user sees "failed with the
error operation_timeout", so p95 and max matter more than the mean.

    .venv/bin/python bench/slack_latency.py            # 200 requests per case
    .venv/bin/python bench/slack_latency.py -n 500 --no-server

Loopback only: the server binds 127.0.0.1 on a free port and is stopped at the end.
"""
from __future__ import annotations

import argparse
import hashlib
import hmac
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

SECRET = "bench-signing-secret-not-for-production"
MAX_REQUESTS = 5000
ERROR = ("Error: error configuring Terraform AWS Provider: error validating provider credentials: "
         "error calling sts:GetCallerIdentity: InvalidClientTokenId: The security token included in the request is invalid.\n"
         "\tstatus code: 403, request id: 7e6d5c4b-3a29-1807-f6e5-d4c3b2a19080")


def ci_log(size: int) -> str:
    line = "2024-05-01T10:00:{:02d}.1234567Z   Downloading registry.terraform.io/hashicorp/aws 5.49.0 ........\n"
    noise = "".join(line.format(i % 60) for i in range(size // 2 // len(line)))
    return noise + "##[error]" + ERROR + "\n" + noise


CASES = {
    "short error (hints + fence)": f"runner=github-actions key_prefix=ASIA ```{ERROR}```",
    "40 KB CI log": ci_log(40 * 1024),
}


def form(text: str) -> bytes:
    return urllib.parse.urlencode({"command": "/authdoctor", "text": text, "team_id": "T0", "user_id": "U0",
                                   "response_url": "https://hooks.slack.com/commands/T0/1/x"}).encode()


def headers(body: bytes) -> dict:
    ts = str(int(time.time()))
    sig = hmac.new(SECRET.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": "v0=" + sig,
            "Content-Type": "application/x-www-form-urlencoded"}


def report(label: str, times: list[float]) -> None:
    ms = sorted(t * 1000 for t in times)
    p95 = ms[min(len(ms) - 1, int(round(0.95 * len(ms))) - 1)]
    print(f"  {label:<30} n={len(ms):<5} p50={statistics.median(ms):7.2f} ms  p95={p95:7.2f} ms  max={ms[-1]:7.2f} ms")


def in_process(n: int) -> None:
    import logging

    from authdoctor.web import create_app
    logging.getLogger("authdoctor.access").disabled = True  # one log line per request would dominate
    client = create_app(test_config={"SLACK_SIGNING_SECRET": SECRET, "RATELIMIT_ENABLED": False}).test_client()
    print("in-process (Flask test client):")
    for label, text in CASES.items():
        body = form(text)
        for _ in range(5):  # warm-up
            client.post("/slack/commands", data=body, headers=headers(body))
        times = []
        for _ in range(n):
            h = headers(body)
            t0 = time.perf_counter()
            resp = client.post("/slack/commands", data=body, headers=h)
            times.append(time.perf_counter() - t0)
            assert resp.status_code == 200, resp.status_code
        report(label, times)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def through_gunicorn(n: int, workers: int) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "SLACK_SIGNING_SECRET": SECRET, "RATELIMIT_ENABLED": "0"}
    cmd = [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{port}", "app:app"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"gunicorn exited with {proc.returncode} before it answered /healthz")
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=2) as r:
                    if r.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                raise SystemExit("gunicorn did not answer /healthz within 60 s")
            time.sleep(0.2)
        print(f"gunicorn -w {workers} on 127.0.0.1:{port} (urllib, one request at a time):")
        for label, text in CASES.items():
            body = form(text)
            for _ in range(2 * workers + 2):  # warm every worker
                urllib.request.urlopen(urllib.request.Request(base + "/slack/commands", body, headers(body)), timeout=10).read()
            times = []
            for _ in range(n):
                req = urllib.request.Request(base + "/slack/commands", body, headers(body))
                t0 = time.perf_counter()
                with urllib.request.urlopen(req, timeout=10) as r:
                    r.read()
                    status = r.status
                times.append(time.perf_counter() - t0)
                assert status == 200, status
            report(label, times)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=200, help=f"requests per case (at most {MAX_REQUESTS})")
    ap.add_argument("-w", "--workers", type=int, default=2)
    ap.add_argument("--no-server", action="store_true", help="skip the gunicorn run")
    args = ap.parse_args()
    n = max(1, min(args.n, MAX_REQUESTS))
    print(f"python {sys.version.split()[0]}, {n} requests per case, {os.cpu_count()} CPUs")
    in_process(n)
    if not args.no_server:
        through_gunicorn(n, max(1, min(args.workers, 8)))


if __name__ == "__main__":
    main()
