"""Slow clients against the production server: do normal requests still get through?

    .venv/bin/python bench/slow_clients.py                      # 64 slow sockets, 20 s
    GUNICORN_WORKER_CLASS=gthread .venv/bin/python bench/slow_clients.py --slow 16   # the old worker class

Starts `.venv/bin/gunicorn -c gunicorn.conf.py app:app` on 127.0.0.1 and a free
port (rate limiting off; arguments after `--` go to gunicorn), opens --slow
sockets that send a request one byte every --every seconds (a third stop in the
request line, a third in the headers, a third trickle a Content-Length body),
re-opening any the server closes, and meanwhile times a `GET /healthz` and a
`POST /api/v1/diagnose` every half second. Prints how many normal requests
answered 200, their latency p50/max, and how long the server kept slow sockets.
Loopback only; every loop is bounded by --duration.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BODY = json.dumps({"error": "api error InvalidClientTokenId: The security token included in the request is invalid."}).encode()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(port: int, extra: list[str], log_path: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ, GUNICORN_BIND=f"127.0.0.1:{port}", RATELIMIT_ENABLED="0")
    log = open(log_path, "wb")
    return subprocess.Popen([str(ROOT / ".venv/bin/gunicorn"), "-c", "gunicorn.conf.py", *extra, "app:app"],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def request(port: int, method: str, path: str, timeout: float) -> tuple[int, float]:
    """(status, seconds); status 0 when it timed out or failed."""
    t0 = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        if method == "POST":
            conn.request("POST", path, body=BODY, headers={"Content-Type": "application/json"})
        else:
            conn.request("GET", path)
        resp = conn.getresponse()
        resp.read()
        return resp.status, time.monotonic() - t0
    except OSError:
        return 0, time.monotonic() - t0
    finally:
        conn.close()


def wait_ready(proc: subprocess.Popen[bytes], port: int, deadline: float) -> bool:
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        if request(port, "GET", "/healthz", 1.0)[0] == 200:
            return True
        time.sleep(0.1)
    return False


def slow_request(kind: int, port: int) -> bytes:
    """What a slow socket sends, in full; it sends it a byte at a time and never finishes."""
    if kind == 0:    # stalls in the request line
        return b"GET /healthz?" + b"a" * 4000 + b" HTTP/1.1\r\n"
    if kind == 1:    # stalls in the headers
        return b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 4000 + b"\r\n"
    return (b"POST /api/v1/diagnose HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Content-Length: 60000\r\n\r\n" + b'{"error": "' + b"a" * 59000)


class Slow:
    def __init__(self, kind: int, port: int):
        self.kind, self.port = kind, port
        self.data = slow_request(kind, port)
        self.sock: socket.socket | None = None
        self.sent = 0
        self.opened = 0.0

    def open(self) -> None:
        self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=2)
        self.sock.setblocking(False)
        self.sent, self.opened = 0, time.monotonic()
        if self.kind == 2:  # the headers at once, then the body a byte at a time
            head = self.data.index(b"\r\n\r\n") + 4
            self.sock.setblocking(True)
            self.sock.sendall(self.data[:head])
            self.sock.setblocking(False)
            self.sent = head

    def tick(self) -> float | None:
        """Send one byte; the seconds the server held it if it has closed it."""
        assert self.sock is not None
        try:
            # a closed connection reads as EOF (or a 408/400 answer, then EOF)
            if self.sock.recv(65536) == b"":
                raise ConnectionResetError
        except BlockingIOError:
            pass
        except OSError:
            return self._reopen()
        try:
            if self.sent < len(self.data):
                self.sock.send(self.data[self.sent:self.sent + 1])
                self.sent += 1
        except BlockingIOError:
            pass
        except OSError:
            return self._reopen()
        return None

    def _reopen(self) -> float:
        """The server closed this socket: how long it held it, and a new one in its place."""
        assert self.sock is not None
        held = time.monotonic() - self.opened
        self.sock.close()
        self.open()
        return held

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()


def run(n_slow: int, every: float, duration: float, extra: list[str], log_path: Path) -> dict[str, object]:
    port = free_port()
    proc = start_server(port, extra, log_path)
    slow: list[Slow] = []
    try:
        if not wait_ready(proc, port, time.monotonic() + 30):
            raise SystemExit(f"gunicorn did not start; see {log_path}")
        time.sleep(1.0)  # every worker up
        slow = [Slow(i % 3, port) for i in range(n_slow)]
        for s in slow:
            s.open()
        held: list[float] = []
        results: list[tuple[str, int, float]] = []
        end = time.monotonic() + duration
        next_tick = time.monotonic()
        while time.monotonic() < end:
            if time.monotonic() >= next_tick:
                for s in slow:
                    h = s.tick()
                    if h is not None:
                        held.append(h)
                next_tick += every
            for method, path in (("GET", "/healthz"), ("POST", "/api/v1/diagnose")):
                status, secs = request(port, method, path, timeout=5.0)
                results.append((path, status, secs))
            time.sleep(0.5)
        return {"results": results, "held": held}
    finally:
        for s in slow:
            s.close()
        proc.terminate()
        try:
            proc.wait(timeout=25)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    extra: list[str] = []
    if "--" in argv:
        extra = argv[argv.index("--") + 1:]
        argv = argv[:argv.index("--")]
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--slow", type=int, default=64, help="slow sockets (default 64)")
    ap.add_argument("--every", type=float, default=2.0, help="seconds between a slow socket's bytes (default 2)")
    ap.add_argument("--duration", type=float, default=20.0, help="seconds to run (default 20)")
    ap.add_argument("--log", default="/tmp/authdoctor-slow-clients.log", help="where gunicorn's output goes")
    args = ap.parse_args(argv)
    out = run(args.slow, args.every, args.duration, extra, Path(args.log))
    results = out["results"]
    held = out["held"]
    assert isinstance(results, list) and isinstance(held, list)
    print(f"{args.slow} slow sockets, a byte every {args.every} s, {args.duration:.0f} s; gunicorn args: {' '.join(extra) or '(none)'}")
    for path in ("/healthz", "/api/v1/diagnose"):
        rows = [r for r in results if r[0] == path]
        ok = [secs for _, status, secs in rows if status == 200]
        line = f"  {path}: {len(ok)}/{len(rows)} answered 200"
        if ok:
            line += f", p50 {statistics.median(ok) * 1000:.0f} ms, max {max(ok) * 1000:.0f} ms"
        print(line)
    if held:
        print(f"  the server closed {len(held)} slow sockets, after {min(held):.1f}-{max(held):.1f} s (median {statistics.median(held):.1f} s)")
    else:
        print("  the server closed no slow socket")
    return 0


if __name__ == "__main__":
    sys.exit(main())
