"""The paste store: a long paste's redacted text for its buttons, in memory or in Redis, and memory while Redis is down."""
import time

from authdoctor.web.slack.store import PasteStore, RedisPasteStore, make_store


def test_memory_keeps_the_latest_pastes_and_forgets_the_oldest():
    store = PasteStore(size=2)
    for key in ("a", "b", "c"):
        store.put(key, f"text {key}")
    assert [store.get(k) for k in ("a", "b", "c")] == [None, "text b", "text c"]


def test_memory_forgets_a_paste_after_its_time():
    store = PasteStore(ttl=0.05)
    store.put("a", "text")
    time.sleep(0.1)
    assert store.get("a") is None


def test_no_redis_url_means_memory():
    assert make_store(None).kind == "memory"


def test_redis_shares_a_paste_between_two_stores_as_two_workers_would(redis_server):
    one, other = RedisPasteStore(redis_server.url), RedisPasteStore(redis_server.url)
    one.put("k1", "Error: InvalidClientTokenId ... AKIA****************")
    assert other.get("k1") == "Error: InvalidClientTokenId ... AKIA****************"


def test_a_redis_paste_expires_with_slacks_response_url(redis_server):
    store = RedisPasteStore(redis_server.url)
    store.put("k1", "text")
    assert 30 * 60 - 5 <= store.redis.ttl("authdoctor:paste:k1") <= 30 * 60


def test_with_redis_down_pastes_wait_in_this_workers_memory(redis_server, caplog):
    store = RedisPasteStore(redis_server.url)
    redis_server.stop()
    store.put("k1", "text")
    assert store.get("k1") == "text" and store.ping() is False
    assert any("cannot be reached" in r.getMessage() for r in caplog.records)


def test_a_key_that_is_not_text_finds_nothing(redis_server):
    assert RedisPasteStore(redis_server.url).get({"not": "a key"}) is None
