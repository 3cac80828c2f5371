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
        JSON_SORT_KEYS=False,
    )
    if test_config:
        app.config.update(test_config)
    app.extensions["authdoctor.settings"] = env
    for note in env.deprecated:
        log.warning(note)
    # A broken KB stops the start here, naming file, entry and field (KBError).
    doctor = Doctor(knowledge.load(kb_path or app.config.get("KB_PATH")))
    app.extensions["authdoctor"] = doctor

    from . import api, errors, pages, ratelimit, security, slack
    security.init_app(app)
    errors.init_app(app)
    ratelimit.init_app(app)
    app.register_blueprint(api.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(slack.bp)
    return app


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
