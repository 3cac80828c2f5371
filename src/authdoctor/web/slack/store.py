"""Where a long paste's redacted text waits for its answer's buttons: this worker's memory, or Redis.

A button's value holds the whole state when the redacted text fits in it; a
long paste (a CI log) does not fit, so its text is kept here for as long as
Slack keeps the response_url usable (30 minutes), under a key the button
carries. In memory, only the worker that answered can find it; with
AUTHDOCTOR_REDIS_URL every worker and instance shares one expiring key per
paste. Only the redacted text is ever stored.

When Redis cannot be reached the store keeps answering from this worker's
memory (and says so in the log, at most once a minute): a click may then
expire early, but no diagnosis fails because Redis is down.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict

log = logging.getLogger("authdoctor.slack")

# response_url stays usable for 30 minutes (Slack docs: "Handling user interaction").
STORE_TTL = 30 * 60
STORE_SIZE = 256  # at most 256 x 64 KiB of redacted text per worker
KEY_PREFIX = "authdoctor:paste:"
# a store that does not answer within this is treated as down for the request
REDIS_TIMEOUT = 0.5
WARN_EVERY = 60.0


class PasteStore:
    """Redacted texts of long pastes in this worker's memory, by paste key, least recently used out first."""

    kind = "memory"

    def __init__(self, size: int = STORE_SIZE, ttl: float = STORE_TTL):
        self.size, self.ttl = size, ttl
        self._items: OrderedDict[str, tuple[float, str]] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, key: str, text: str) -> None:
        with self._lock:
            self._items[key] = (time.monotonic(), text)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def get(self, key) -> str | None:
        with self._lock:
            item = self._items.get(key) if isinstance(key, str) else None
            if item is None:
                return None
            if time.monotonic() - item[0] > self.ttl:
                del self._items[key]
                return None
            self._items.move_to_end(key)
            return item[1]

    def ping(self) -> bool:
        return True


class RedisPasteStore:
    """Redacted texts of long pastes as Redis keys that expire with the response_url; memory while Redis is down."""

    kind = "redis"

    def __init__(self, url: str, ttl: float = STORE_TTL):
        import redis  # the `redis` extra: only a server configured with AUTHDOCTOR_REDIS_URL needs it

        self.ttl = int(ttl)
        self.redis = redis.Redis.from_url(url, socket_timeout=REDIS_TIMEOUT, socket_connect_timeout=REDIS_TIMEOUT)
        self.errors: tuple[type[BaseException], ...] = (redis.RedisError, OSError)
        self.fallback = PasteStore(ttl=ttl)
        self._warned = 0.0

    def _down(self, exc: BaseException) -> None:
        now = time.monotonic()
        if now - self._warned > WARN_EVERY:
            self._warned = now
            log.warning("the Slack paste store (Redis) cannot be reached (%s): keeping long pastes in this worker's memory",
                        type(exc).__name__)

    def put(self, key: str, text: str) -> None:
        try:
            self.redis.set(KEY_PREFIX + key, text.encode("utf-8"), ex=self.ttl)
        except self.errors as exc:
            self._down(exc)
            self.fallback.put(key, text)

    def get(self, key) -> str | None:
        if not isinstance(key, str):
            return None
        try:
            raw = self.redis.get(KEY_PREFIX + key)
        except self.errors as exc:
            self._down(exc)
            return self.fallback.get(key)
        if raw is None:
            return self.fallback.get(key)  # put while Redis was down
        return raw.decode("utf-8") if isinstance(raw, bytes) else str(raw)

    def ping(self) -> bool:
        try:
            return bool(self.redis.ping())
        except self.errors:
            return False


def make_store(redis_url: str | None) -> PasteStore | RedisPasteStore:
    return RedisPasteStore(redis_url) if redis_url else PasteStore()
