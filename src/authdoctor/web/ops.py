"""What operators and their tools poll: /readyz (can this instance serve?) and /metrics (Prometheus).

/healthz (api.py) says the process is alive and names its KB; /readyz also
asks each store the configuration names: Redis (limits and Slack pastes) and
the feedback database. A store that does not answer makes /readyz 503 and
names it, so a rollout stops on a Redis URL with a typo. Neither route is
rate limited, and both are served whatever AUTHDOCTOR_DOORS says.
"""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from . import metrics

bp = Blueprint("ops", __name__)
# a store that answers slower than this is not ready for Slack's 3 s either
CHECK_TIMEOUT = 1.0


def _redis(url: str) -> str:
    try:
        import redis
    except ImportError:
        return "the redis package is not installed (pip install 'authdoctor[redis]')"
    try:
        redis.Redis.from_url(url, socket_timeout=CHECK_TIMEOUT, socket_connect_timeout=CHECK_TIMEOUT).ping()
    except (redis.RedisError, OSError) as exc:
        return f"not reachable ({type(exc).__name__})"
    return "ok"


def _database(url: str) -> str:
    try:
        import psycopg
    except ImportError:
        return "the psycopg package is not installed (pip install 'authdoctor[postgres]')"
    try:
        with psycopg.connect(url, connect_timeout=max(1, int(CHECK_TIMEOUT))) as conn:
            conn.execute("SELECT 1")
    except (psycopg.Error, OSError) as exc:
        return f"not reachable ({type(exc).__name__})"
    return "ok"


def _feedback(store) -> str:
    """The feedback store's own check, through the driver it writes with."""
    try:
        store.ping()
    except Exception as exc:  # its StoreError, or the driver's own: either way not ready, and named
        return f"not reachable ({type(exc).__name__})"
    return "ok"


@bp.get("/readyz")
def readyz():
    """200 when the KB is loaded and every configured store answers; 503 naming what does not."""
    cfg = current_app.config
    checks = {"kb": "ok" if "authdoctor" in current_app.extensions else "not loaded"}
    if cfg.get("REDIS_URL"):
        checks["redis"] = _redis(cfg["REDIS_URL"])
    if cfg.get("DATABASE_URL"):
        feedback = current_app.extensions.get("authdoctor.feedback")
        checks["database"] = _feedback(feedback) if feedback is not None else _database(cfg["DATABASE_URL"])
    ready = all(v == "ok" for v in checks.values())
    return jsonify({"ready": ready, "checks": checks}), 200 if ready else 503


@bp.get("/metrics", endpoint="metrics")
def metrics_view():
    return metrics.exposition()
