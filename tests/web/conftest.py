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
    """The JSON lines the `authdoctor.access` logger writes, parsed."""
    records = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(json.loads(record.getMessage()))

    logger = logging.getLogger("authdoctor.access")
    handler = Keep(level=logging.INFO)
    logger.addHandler(handler)
    yield records
    logger.removeHandler(handler)


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
