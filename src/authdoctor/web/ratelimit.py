"""Rate limits: per client on the page and the API; per Slack team and per Slack user on /slack.

Config (app.config, filled from the AUTHDOCTOR_* settings by create_app):
  RATELIMIT_ENABLED      False turns limiting off (tests, load runs)
  RATELIMIT_DEFAULT      per client address and route, default "600 per minute"
  RATELIMIT_SLACK        per Slack team across /slack/*, default "60 per minute"
  RATELIMIT_SLACK_USER   per Slack user across /slack/*, default "10 per minute"
  REDIS_URL              where the counts live; unset, in this worker's memory

Memory counts per gunicorn worker, so with N workers a client gets up to N
times the limit (gunicorn_conf.py warns at start); with Redis every worker and
instance shares one count. Behind a reverse proxy the client's address is read
through werkzeug's ProxyFix (AUTHDOCTOR_TRUSTED_PROXIES hops, in create_app).

When the count cannot be reached (Redis down) the limits fail open with a
logged warning: a diagnosis is worth more than the limit it would have spent.

Slack shows a bare 429 as "failed with the error ...", so a Slack user past a
limit gets an ephemeral "slow down" instead (views.py), and only requests Slack
signed spend the quota: anyone who knows a team id could otherwise lock that
team out with unsigned posts.

Why 600 a minute: ten a second is far above what a person pasting errors does,
and leaves room for a CI job or an evaluation script scoring a few hundred
reports, while a runaway loop is still stopped within the minute. Slack: one
person rarely runs the command more than a few times a minute, and a team of
hundreds rarely more than once a second.
"""
from __future__ import annotations

import json
import logging
import time
from typing import TYPE_CHECKING

from flask import Blueprint, Flask, current_app, request

if TYPE_CHECKING:
    from flask_limiter import Limiter

log = logging.getLogger("authdoctor.ratelimit")

SLACK_DEFAULT = "60 per minute"
SLACK_USER_DEFAULT = "10 per minute"
# a count that does not answer within this is treated as down for the request
STORAGE_TIMEOUT = 0.5
WARN_EVERY = 60.0
_warned = [0.0]


def slack_ids() -> tuple[str, str]:
    """(team, user) a verified /slack request speaks for: the command's form, or the button payload's team and user."""
    form = request.form
    team, user = form.get("team_id"), form.get("user_id")
    if not team and form.get("payload"):
        try:
            payload = json.loads(form["payload"])
        except (ValueError, RecursionError):  # not JSON, nested too deep, a 4,301-digit number
            payload = None
        if isinstance(payload, dict):
            t, u = payload.get("team"), payload.get("user")
            team = t.get("id") if isinstance(t, dict) else None
            user = u.get("id") if isinstance(u, dict) else None
    return (team[:64] if isinstance(team, str) else "", user[:64] if isinstance(user, str) else "")


def _storage_down(exc: BaseException) -> None:
    now = time.monotonic()
    if now - _warned[0] > WARN_EVERY:
        _warned[0] = now
        log.warning("rate-limit storage cannot be reached (%s): limits are open until it answers", type(exc).__name__)


def slack_slow_down() -> str | None:
    """None when this verified Slack request is within its team's and its user's limits (and spends
    one of each), else what to tell the user."""
    cfg = current_app.config
    if not cfg.get("RATELIMIT_ENABLED"):
        return None
    from limits import parse_many

    limiter: Limiter = current_app.extensions["authdoctor.limiter"]
    team, user = slack_ids()
    checks = (("team", team, cfg.get("RATELIMIT_SLACK") or SLACK_DEFAULT, "this workspace"),
              ("user", user, cfg.get("RATELIMIT_SLACK_USER") or SLACK_USER_DEFAULT, "you"))
    try:
        strategy = limiter.limiter
        counts = [(item, ("authdoctor", "slack", scope, who), whom)
                  for scope, who, spec, whom in checks if who for item in parse_many(spec)]
        # a request refused by one limit spends none of the others (test first); the decision is the
        # hit's own answer, atomic in the store, so concurrent workers never let more than the limit through
        refused = next((c for c in counts if not strategy.test(c[0], *c[1])), None)
        if refused is None:
            refused = next((c for c in counts if not strategy.hit(c[0], *c[1])), None)
        if refused is not None:
            item, ids, whom = refused
            wait = max(1, int(strategy.get_window_stats(item, *ids).reset_time - time.time()) + 1)
            return (f"Slow down: {whom} asked more than {item.amount} times in {item.get_expiry()} seconds. "
                    f"Try again in about {wait} seconds.")
    except Exception as exc:  # any storage failure: fail open, never a failed diagnosis
        _storage_down(exc)
    return None


def init_app(app: Flask) -> Limiter | None:
    """The limiter, its storage chosen (Redis when REDIS_URL is set) and its defaults in app.config;
    None when limiting is off: flask-limiter is not even imported then (it is a tenth of a second)."""
    cfg = app.config
    cfg.setdefault("RATELIMIT_SLACK", SLACK_DEFAULT)
    cfg.setdefault("RATELIMIT_SLACK_USER", SLACK_USER_DEFAULT)
    cfg.setdefault("RATELIMIT_DEFAULT", "600 per minute")
    redis_url = cfg.get("REDIS_URL")
    cfg.setdefault("RATELIMIT_STORAGE_URI", redis_url or "memory://")
    if redis_url:
        cfg.setdefault("RATELIMIT_STORAGE_OPTIONS", {"socket_timeout": STORAGE_TIMEOUT, "socket_connect_timeout": STORAGE_TIMEOUT})
    cfg.setdefault("RATELIMIT_KEY_PREFIX", "authdoctor")
    # Retry-After on a 429, so well-behaved clients know when to come back
    cfg.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    # a Redis outage must not take diagnosis down: the limit is skipped (flask-limiter logs it)
    cfg.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", False)
    cfg.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    if not cfg.get("RATELIMIT_ENABLED", True):
        return None

    from flask_limiter import Limiter
    from flask_limiter.util import get_remote_address

    limiter = Limiter(key_func=get_remote_address)
    # after the request id is set (errors.init_app), so a 429 carries one too
    limiter.init_app(app)
    app.extensions["authdoctor.limiter"] = limiter

    from . import api
    limiter.exempt(api.healthz)  # load balancers and monitors poll it
    return limiter


def exempt_slack(limiter: Limiter, slack_bp: Blueprint) -> None:
    """Slack posts all come from Slack's own addresses: a per-address limit would be one limit
    for every team at once; the Slack door limits per team and user itself (slack_slow_down)."""
    from flask_limiter import ExemptionScope

    limiter.exempt(slack_bp, flags=ExemptionScope.DEFAULT | ExemptionScope.APPLICATION)
