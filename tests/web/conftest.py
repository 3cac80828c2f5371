"""What the web tests share: fresh apps, the request log, and Slack's request signing."""
import hashlib
import hmac
import json
import logging
import time

import pytest

from authdoctor.web import create_app


@pytest.fixture()
def make_app(kb, kb_dir, monkeypatch):
    """A fresh app per test (its own limiter counts), on the session's already-loaded KB."""
    from authdoctor import knowledge as kbmod
    monkeypatch.setattr(kbmod, "load", lambda *a, **k: kb)

    def make(**config):
        return create_app(str(kb_dir), test_config={"TESTING": True, "RATELIMIT_ENABLED": False, **config})
    return make


@pytest.fixture()
def access_log():
    """The JSON lines the `authdoctor.access` logger writes (through the app's formatter), parsed."""
    records = []

    from authdoctor.web.logs import Formatter, RequestIdFilter

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(json.loads(self.format(record)))

    keep = Keep(level=logging.INFO)
    keep.setFormatter(Formatter())
    keep.addFilter(RequestIdFilter())

    logger = logging.getLogger("authdoctor.access")
    logger.addHandler(keep)
    yield records
    logger.removeHandler(keep)


# --- Slack's signature ------------------------------------------------------------

@pytest.fixture(scope="session")
def slack_secret():
    """The signing secret the tests' apps share with "Slack"."""
    return "8f14e45fceea167a5a36dedd4bea2543"


@pytest.fixture(scope="session")
def slack_signature(slack_secret):
    """signature(body, ts=None, secret=slack_secret) -> the headers Slack would send with `body`.

    Signed here by hand, exactly as Slack signs (HMAC-SHA256 over `v0:{timestamp}:{body}`),
    never with the library the server verifies with.
    """
    def signature(body: str, ts: int | None = None, secret: str = slack_secret) -> dict:
        ts = int(time.time()) if ts is None else ts
        digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
        return {"X-Slack-Request-Timestamp": str(ts), "X-Slack-Signature": f"v0={digest}"}
    return signature


# --- generated secrets ------------------------------------------------------------

_KEY_ID_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_SECRET_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def new_key_pair(rng) -> tuple[str, str]:
    """An access key id and a secret access key of AWS's shapes, new each call."""
    key_id = "AKIA" + "".join(rng.choice(_KEY_ID_CHARS) for _ in range(16))
    # random base64 of 40 characters, with the upper case, lower case and digit every real one has
    body = [rng.choice(_SECRET_CHARS) for _ in range(37)] + [rng.choice("abcdefgh"), rng.choice("QRSTUV"), rng.choice("0123456789")]
    rng.shuffle(body)
    return key_id, "".join(body)


@pytest.fixture()
def key_pairs():
    """key_pairs(n) -> n fresh (access key id, secret access key) pairs; the seed is in the test's id on failure."""
    import random
    import secrets as _secrets
    seed = _secrets.randbits(32)
    rng = random.Random(seed)

    def pairs(n: int = 3) -> list[tuple[str, str]]:
        return [new_key_pair(rng) for _ in range(n)]
    pairs.seed = seed
    return pairs


def _leaked(text: str, *secrets: str, window: int = 12) -> list[str]:
    """Every secret of which any `window` characters in a row appear in `text`."""
    return [s for s in secrets if any(s[i:i + window] in text for i in range(len(s) - window + 1))]


@pytest.fixture(scope="session")
def leaks():
    """leaks(text, *secrets) -> the secrets of which 12 characters in a row appear in text."""
    return _leaked


# --- a real Redis -----------------------------------------------------------------

class RedisServer:
    """Debian's redis-server on 127.0.0.1 and a free port, no persistence; stop() and start() again mid-test."""

    def __init__(self, binary: str, tmp):
        import socket
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = int(s.getsockname()[1])
        self.binary, self.dir, self.proc = binary, tmp, None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        import subprocess

        import redis
        self.proc = subprocess.Popen([self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                                      "--dir", str(self.dir)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if client.ping():
                    return
            except redis.RedisError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not answer on port {self.port} within 10 s")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


@pytest.fixture()
def redis_server(tmp_path):
    """A running redis-server of its own; skipped, saying why, where Debian's package is not installed."""
    import shutil
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (Debian's redis-server package; scripts/test installs it when run as root)")
    pytest.importorskip("redis", reason="the redis package is not installed (pip install 'authdoctor[redis]')")
    server = RedisServer(binary, tmp_path)
    server.start()
    yield server
    server.stop()


# --- the production server ----------------------------------------------------------

class Gunicorn:
    """`gunicorn -c gunicorn.conf.py` on 127.0.0.1 and a free port, serving `app` (a module:attr), logging to a file."""

    def __init__(self, tmp, app: str = "app:app", workers: int = 3, pythonpath: str | None = None, **env: str):
        import os
        import socket
        import subprocess
        import sys
        from pathlib import Path
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = int(s.getsockname()[1])
        root = Path(__file__).resolve().parent.parent.parent
        self.log = Path(tmp) / f"gunicorn-{self.port}.log"
        self.workers = workers
        full_env = {k: v for k, v in os.environ.items() if not k.startswith(("AUTHDOCTOR_", "GUNICORN_", "RATELIMIT_", "SLACK_"))}
        full_env.update(AUTHDOCTOR_BIND=f"127.0.0.1:{self.port}", AUTHDOCTOR_WORKERS=str(workers), **env)
        args = [sys.executable, "-m", "gunicorn", "-c", str(root / "gunicorn.conf.py")]
        if pythonpath:
            args += ["--pythonpath", pythonpath]
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(args + [app], cwd=root, env=full_env, stdout=out, stderr=subprocess.STDOUT)

    def request(self, method: str, path: str, body: str | bytes | None = None, headers: dict | None = None,
                timeout: float = 5.0) -> tuple[int, bytes, dict]:
        import http.client
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            return resp.status, resp.read(), dict(resp.getheaders())
        finally:
            conn.close()

    def wait_ready(self, seconds: float = 45.0) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"gunicorn exited with {self.proc.returncode} on start:\n{self.log_text()}")
            try:
                if self.request("GET", "/healthz", timeout=1.0)[0] == 200 and self.log_text().count("Booting worker") >= self.workers:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        pytest.fail(f"gunicorn did not answer /healthz within {seconds:.0f} s:\n{self.log_text()}")

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        import subprocess
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=25)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)


@pytest.fixture()
def gunicorn(tmp_path):
    """gunicorn(**env) -> a started Gunicorn (3 workers unless workers= says), stopped after the test even when it fails."""
    started = []

    def start(**kwargs) -> Gunicorn:
        server = Gunicorn(tmp_path, **kwargs)
        started.append(server)
        server.wait_ready()
        return server
    yield start
    for server in started:
        server.stop()
