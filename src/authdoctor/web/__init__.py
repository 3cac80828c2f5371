"""The Flask doors onto the engine: page, JSON API and Slack, built by an app factory."""
from __future__ import annotations

import logging

from flask import Flask, request
from werkzeug.exceptions import RequestEntityTooLarge

from .. import config, knowledge, settings
from ..diagnose import Doctor
from ..settings import Settings

log = logging.getLogger("authdoctor")

# Bodies larger than this are refused with 413 before they are read whole.
MAX_BODY = 64 * 1024


def create_app(kb_path: str | None = None, test_config: dict | None = None, env: Settings | None = None) -> Flask:
    """The app, configured from `env` (default: the AUTHDOCTOR_* variables, checked now: a bad one
    raises SettingsError naming it), then `test_config` over that."""
    env = env or settings.load()
    app = Flask(__name__, template_folder=config.data_path("templates"), static_folder=config.data_path("static"))
    app.config.update(
        MAX_CONTENT_LENGTH=MAX_BODY,
        MAX_FORM_MEMORY_SIZE=MAX_BODY,
        SLACK_SIGNING_SECRET=env.slack_signing_secret,
        REDIS_URL=env.redis_url,
        RATELIMIT_DEFAULT=env.ratelimit_default,
        RATELIMIT_SLACK=env.ratelimit_slack_team,
        RATELIMIT_SLACK_USER=env.ratelimit_slack_user,
        RATELIMIT_ENABLED=env.ratelimit_enabled,
        REPORT_URL=env.report_url,
        DATABASE_URL=env.database_url,
        JSON_SORT_KEYS=False,
    )
    if test_config:
        app.config.update(test_config)
    app.extensions["authdoctor.settings"] = env
    hops = int(app.config.get("TRUSTED_PROXIES", env.trusted_proxies))
    if hops:
        # the client's address, scheme and host as the nearest `hops` proxies saw them; never more
        # than that, or a client could name its own address in X-Forwarded-For and dodge its limit
        from werkzeug.middleware.proxy_fix import ProxyFix  # (only behind proxies)

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    # A broken KB stops the start here, naming file, entry and field (KBError).
    doctor = Doctor(knowledge.load(kb_path or app.config.get("KB_PATH")))
    app.extensions["authdoctor"] = doctor

    from . import api, errors, logs, metrics, ops, pages, ratelimit, security, slack
    security.init_app(app)
    errors.init_app(app)
    logs.init_app(app, env.log_level)
    doors = frozenset(app.config.get("DOORS") or env.doors)
    app.extensions["authdoctor.doors"] = doors
    _open_doors(app, doors)
    limiter = ratelimit.init_app(app)
    if limiter is not None:
        ratelimit.exempt_slack(limiter, slack.bp)
        limiter.exempt(ops.bp)  # monitors poll it
    metrics.init_app(app)
    for note in env.deprecated:
        log.warning(note)
    app.register_blueprint(api.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(slack.bp)
    app.register_blueprint(ops.bp)
    from . import feedback
    feedback.init_app(app, env)
    return app


# each door's blueprints; what no door owns (/healthz, /readyz, /metrics) is always served
DOOR_BLUEPRINTS = {"page": ("pages", "feedback_page"), "api": ("api", "feedback_api"), "slack": ("slack",)}
ALWAYS_OPEN = frozenset({"api.healthz"})


def _open_doors(app: Flask, doors: frozenset[str]) -> None:
    """Requests to a door not in AUTHDOCTOR_DOORS are 404, as if it did not exist (the page's static files are the page's)."""
    closed = {bp for door, bps in DOOR_BLUEPRINTS.items() if door not in doors for bp in bps}
    if not closed:
        return
    from werkzeug.exceptions import NotFound

    @app.before_request
    def _closed_door():
        if request.endpoint in ALWAYS_OPEN:
            return
        if request.blueprint in closed or ("page" not in doors and request.endpoint == "static"):
            raise NotFound()


# What a door imports on its first use rather than at start (each is a tenth of a second or more):
# Slack's SDK and the reading of its messages, the Markdown renderer, the feedback store's database layer.
FIRST_USE = {"slack": ("slack_sdk.signature", "slack_sdk.webhook", "slack_sdk.models.blocks", "authdoctor.web.slack.parse"),
             "page": ("markdown", "nh3"),
             "feedback": ("authdoctor.feedback.check", "authdoctor.feedback.store")}


# an answer made while warming: the engine builds what it keeps per KB (the question's tables, the
# marker patterns' screens) on its first answer
WARM_PASTE = ("Error: error configuring Terraform AWS Provider: error validating provider credentials: error calling "
              "sts:GetCallerIdentity: operation error STS: GetCallerIdentity, https response error StatusCode: 403, "
              "api error InvalidClientTokenId: The security token included in the request is invalid.")


def warm(app: Flask) -> None:
    """Import now what the open doors would import on first use, and make one answer. For a server
    that forks its workers from a loaded app (gunicorn's master, gunicorn_conf.py): done once there,
    the workers share it, instead of each paying on its first answer, Slack request, page or feedback."""
    import importlib

    app.extensions["authdoctor"].diagnose(WARM_PASTE)

    doors = app.extensions.get("authdoctor.doors", frozenset(DOOR_BLUEPRINTS))
    # every door takes feedback (the page's and the API's routes, Slack's buttons)
    groups = [g for g in ("slack", "page") if g in doors] + (["feedback"] if doors else [])
    for group in groups:
        for name in FIRST_USE[group]:
            importlib.import_module(name)


def doctor() -> Doctor:
    from flask import current_app
    return current_app.extensions["authdoctor"]


def read_body(limit: int = MAX_BODY) -> bytes:
    """The request body, cached, or RequestEntityTooLarge (413) when it is over `limit` bytes.

    A chunked body has no Content-Length to refuse up front, and werkzeug reads
    a stream only up to the request's max_content_length: read with that limit,
    a body over it would come back silently cut at exactly `limit` bytes. So it
    is read to one byte past the limit, and that byte means 413.
    """
    if (request.content_length or 0) > limit:
        raise RequestEntityTooLarge()
    request.max_content_length = limit + 1
    data = request.get_data(cache=True)
    if len(data) > limit:
        raise RequestEntityTooLarge()
    return data
