"""The production server itself: gunicorn with gunicorn.conf.py, on loopback, against slow clients.

Each server runs on 127.0.0.1 and a free port, is started and stopped by a
fixture (stopped even when a test fails), and every loop here is bounded in
count and time. Skipped only when gunicorn cannot be found; a server that
fails to start fails the tests with its log.
"""
from __future__ import annotations

import hashlib
import hmac
import http.client
import importlib.util
import json
import os
import socket
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SLOW_SOCKETS = 64
SECRET = "0cc175b9c0f1b6a831c399e269772661"
DIAGNOSE_BODY = json.dumps({"error": "api error InvalidClientTokenId: The security token included in the request is invalid."})

pytestmark = pytest.mark.skipif(importlib.util.find_spec("gunicorn") is None, reason="gunicorn is not installed")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _request(port: int, method: str, path: str, body: str | None = None, headers: dict | None = None,
             timeout: float = 2.0) -> tuple[int, bytes, float]:
    t0 = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.read(), time.monotonic() - t0
    finally:
        conn.close()


class Server:
    def __init__(self, tmp: Path, **env: str):
        self.port = _free_port()
        self.log = tmp / f"gunicorn-{self.port}.log"
        full_env = dict(os.environ, GUNICORN_BIND=f"127.0.0.1:{self.port}", RATELIMIT_ENABLED="0", **env)
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "app:app"],
                                         cwd=ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT)

    def wait_ready(self, workers: int, seconds: float = 30.0) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"gunicorn exited with {self.proc.returncode} on start:\n{self.log_text()}")
            try:
                if _request(self.port, "GET", "/healthz", timeout=1.0)[0] == 200 and self.log_text().count("Booting worker") >= workers:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        pytest.fail(f"gunicorn did not answer /healthz within {seconds:.0f} s:\n{self.log_text()}")

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=25)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """gunicorn.conf.py as it is: default workers, worker class and deadlines."""
    srv = Server(tmp_path_factory.mktemp("server"))
    try:
        srv.wait_ready(workers=2)
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def one_worker(tmp_path_factory):
    """One worker (so every request meets the same one), short read deadlines, Slack on."""
    srv = Server(tmp_path_factory.mktemp("one"), GUNICORN_WORKERS="1", GUNICORN_HEADER_TIMEOUT="1",
                 GUNICORN_BODY_TIMEOUT="2", SLACK_SIGNING_SECRET=SECRET)
    try:
        srv.wait_ready(workers=1)
        yield srv
    finally:
        srv.stop()


def _slow_request(kind: int) -> bytes:
    if kind == 0:   # never finishes its request line
        return b"GET /healthz?q=" + b"a" * 2000 + b" HTTP/1.1\r\n"
    if kind == 1:   # never finishes its headers
        return b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 2000
    return b"a" * 2000  # the body, after headers sent at once


_BODY_HEAD = (b"POST /api/v1/diagnose HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
              b"Content-Length: 60000\r\n\r\n")


def _open_slow(port: int, kind: int) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=2)
    if kind == 2:
        s.sendall(_BODY_HEAD + b'{"error": "')
    s.setblocking(False)
    return s


def _trickle(socks: list[tuple[socket.socket, int]], sent: int) -> None:
    """One more byte on every slow socket; ones the server has closed are left alone."""
    for s, kind in socks:
        data = _slow_request(kind)
        try:
            s.send(data[sent:sent + 1])
        except OSError:
            pass


def test_slow_sockets_do_not_stop_normal_requests(server):
    socks: list[tuple[socket.socket, int]] = []
    try:
        for i in range(SLOW_SOCKETS):
            socks.append((_open_slow(server.port, i % 3), i % 3))
        # under the header deadline (5 s): every slow socket is still open and dribbling
        for sent in range(3):
            _trickle(socks, sent)
            status, body, secs = _request(server.port, "GET", "/healthz", timeout=2.0)
            assert status == 200 and secs < 2.0
            status, body, secs = _request(server.port, "POST", "/api/v1/diagnose", DIAGNOSE_BODY,
                                          {"Content-Type": "application/json"}, timeout=2.0)
            assert status == 200 and secs < 2.0
            assert json.loads(body)["error_code"] == "InvalidClientTokenId"
            time.sleep(0.5)
    finally:
        for s, _ in socks:
            s.close()


def _closed_within(sock: socket.socket, seconds: float) -> tuple[bytes, float]:
    """What the server sent before closing, and when it closed; fails if it kept the socket open."""
    sock.setblocking(True)
    sock.settimeout(0.25)
    t0 = time.monotonic()
    got = b""
    while time.monotonic() - t0 < seconds:
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            try:
                sock.send(b"a")  # still dribbling
            except OSError:
                return got, time.monotonic() - t0
            continue
        except OSError:
            return got, time.monotonic() - t0
        if not chunk:
            return got, time.monotonic() - t0
        got += chunk
    pytest.fail(f"the server kept a slow socket open for {seconds} s")


def test_a_slow_request_line_or_header_is_closed_at_the_header_deadline(one_worker):
    for kind in (0, 1):
        s = _open_slow(one_worker.port, kind)
        try:
            s.send(_slow_request(kind)[:10])
            _, secs = _closed_within(s, 6.0)
            assert secs < 4.0  # the deadline is 1 s here
        finally:
            s.close()


def test_a_slow_body_gets_a_408_at_the_body_deadline(one_worker):
    s = _open_slow(one_worker.port, 2)
    try:
        got, secs = _closed_within(s, 8.0)
        assert got.startswith(b"HTTP/1.1 408"), got[:200]
        assert secs < 5.0  # the deadline is 2 s here
    finally:
        s.close()
    assert _request(one_worker.port, "GET", "/healthz")[0] == 200


def _signed(body: str) -> dict:
    ts = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}",
            "Content-Type": "application/x-www-form-urlencoded"}


def test_the_page_the_api_and_slack_are_served(one_worker):
    port = one_worker.port
    status, body, _ = _request(port, "GET", "/")
    assert status == 200 and b"<form" in body
    status, body, _ = _request(port, "POST", "/api/v1/diagnose", DIAGNOSE_BODY, {"Content-Type": "application/json"})
    assert status == 200 and json.loads(body)["error_code"] == "InvalidClientTokenId"
    form = urllib.parse.urlencode({"command": "/authdoctor", "text": "help", "user_id": "U1", "team_id": "T1"})
    status, body, _ = _request(port, "POST", "/slack/commands", form, _signed(form))
    assert status == 200 and json.loads(body)
    # a button click posts its answer to response_url from the Slack door's pool: the post fails here (no
    # network to Slack), but the worker, which made that pool before gevent's patching matters, must not hang
    payload = {"type": "block_actions", "response_url": "https://hooks.slack.com/actions/T1/1/x",
               "user": {"id": "U1"}, "actions": [{"action_id": "fixes:1", "value": "not json"}]}
    form = urllib.parse.urlencode({"payload": json.dumps(payload)})
    for _ in range(3):
        status, _, _ = _request(port, "POST", "/slack/interactions", form, _signed(form))
        assert status == 200
    deadline = time.monotonic() + 8
    while time.monotonic() < deadline:  # the posts finish or fail while the worker keeps answering
        status, _, secs = _request(port, "GET", "/healthz")
        assert status == 200 and secs < 2.0
        time.sleep(0.5)
    assert "Traceback" not in one_worker.log_text()
