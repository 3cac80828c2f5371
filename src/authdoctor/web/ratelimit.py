"""Rate limits: per client on the page and the API, per Slack team on /slack.

Config (env vars of the same name, read in create_app or here):
  RATELIMIT_ENABLED      "0" turns limiting off (tests, load runs)
  RATELIMIT_DEFAULT      per client address and route, default "600 per minute"
  RATELIMIT_SLACK        per Slack team across /slack/*, default "60 per minute"
  RATELIMIT_STORAGE_URI  "memory://" (default) or "redis://host:6379/0"

Memory storage counts per gunicorn worker, so with N workers a client gets up
to N times the limit; point RATELIMIT_STORAGE_URI at Redis for one shared count.
Behind a reverse proxy every client has the proxy's address: put werkzeug's
ProxyFix in front (with the proxy count you trust) before relying on the
per-client limit.

Why 600 a minute: ten a second is far above what a person pasting errors does,
and leaves room for a CI job or an evaluation script scoring a few hundred
reports, while a runaway loop is still stopped within the minute.
"""
from __future__ import annotations

import json
import os

from flask import Flask, current_app, g, request
from flask_limiter import ExemptionScope, Limiter
from flask_limiter.util import get_remote_address

SLACK_DEFAULT = "60 per minute"
# Slack posts are bigger than the API's 64 KiB (url-encoded CI logs); slack.py
# raises its own limit to this in its before_request, which runs after ours.
try:
    from .slack import MAX_SLACK_BODY
except ImportError:  # pragma: no cover - the Slack door is optional
    MAX_SLACK_BODY = 256 * 1024

# Statuses that mean the request never got past Slack's signature check (or
# was refused before it). Kept as a second lock: what decides is whether the
# signature was verified (`g.slack_verified`, set by the Slack door), so that
# no refusal of any status -- a 400, or a 500 from a bug -- spends the team's
# quota unless Slack signed the request; else anyone who knows a team id could
# lock that team out with unsigned posts.
_UNVERIFIED = {401, 413, 429, 503}


def slack_team() -> str:
    """The Slack team a /slack request speaks for: form team_id, or payload team.id."""
    team = None
    size = request.content_length
    if size is None or size <= MAX_SLACK_BODY:
        # one byte past the limit, as web.read_body reads: a chunked body over
        # it stays too big for the door to refuse, instead of cached cut
        request.max_content_length = MAX_SLACK_BODY + 1
        request.max_form_memory_size = MAX_SLACK_BODY
        # cache the raw bytes first: the signature is checked over exactly them,
        # and parsing the form would otherwise consume the stream
        if len(request.get_data(cache=True)) > MAX_SLACK_BODY:
            return "ip:" + (get_remote_address() or "-")
        team = request.form.get("team_id")
        if not team and request.form.get("payload"):
            try:
                payload = json.loads(request.form["payload"])
            except (ValueError, RecursionError):  # not JSON, nested too deep, a 4,301-digit number
                payload = None
            if isinstance(payload, dict) and isinstance(payload.get("team"), dict):
                team = payload["team"].get("id")
    if isinstance(team, str) and team:
        return "team:" + team[:64]
    return "ip:" + (get_remote_address() or "-")


def _verified(response) -> bool:
    return g.get("slack_verified", False) is True and response.status_code not in _UNVERIFIED


def init_app(app: Flask) -> Limiter:
    cfg = app.config
    cfg.setdefault("RATELIMIT_SLACK", os.environ.get("RATELIMIT_SLACK", SLACK_DEFAULT))
    cfg.setdefault("RATELIMIT_DEFAULT", "600 per minute")
    cfg.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    # Retry-After on a 429, so well-behaved clients know when to come back
    cfg.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    # a Redis outage must not take diagnosis down: count in memory meanwhile
    cfg.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    cfg.setdefault("RATELIMIT_SWALLOW_ERRORS", True)

    limiter = Limiter(key_func=get_remote_address)
    # after the request id is set (errors.init_app), so a 429 carries one too
    limiter.init_app(app)
    app.extensions["authdoctor.limiter"] = limiter

    from . import api
    limiter.exempt(api.healthz)  # load balancers and monitors poll it
    try:
        from .slack import bp as slack_bp
    except ImportError:  # pragma: no cover
        return limiter
    # Slack posts all come from Slack's own addresses: a per-address limit would
    # be one limit for every team at once, so Slack is limited per team instead
    limiter.exempt(slack_bp, flags=ExemptionScope.DEFAULT | ExemptionScope.APPLICATION)
    limiter.limit(lambda: current_app.config["RATELIMIT_SLACK"], key_func=slack_team,
                  deduct_when=_verified)(slack_bp)
    return limiter
