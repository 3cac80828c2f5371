"""Feedback's doors: POST /api/v1/feedback and /api/v1/submissions (JSON), and the page's form (/feedback).

All of them check what they are sent with authdoctor.feedback's rules and write to
its Store; none of them is on the answer path (the diagnose routes never touch
the store, so a database that is down costs feedback, never an answer). The
routes are rate-limited like every page and API route (ratelimit.py: the
default limit per client address and route), and the store keeps one report
per answer, cause and client.
"""
from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Flask, current_app, jsonify, request

from ..feedback import FeedbackError, Store, StoreError, check_feedback, check_submission
from ..settings import Settings
from . import doctor
from .errors import ApiError

log = logging.getLogger("authdoctor.feedback")

api_bp = Blueprint("feedback_api", __name__)
page_bp = Blueprint("feedback_page", __name__)


def init_app(app: Flask, env: Settings) -> None:
    """The store (connected to nothing until the first feedback arrives) and the two blueprints."""
    app.extensions["authdoctor.feedback"] = Store(database_url=app.config.get("DATABASE_URL") or env.database_url,
                                                  data_dir=app.config.get("DATA_DIR") or env.data_dir)
    app.register_blueprint(api_bp)
    app.register_blueprint(page_bp)


def store() -> Store:
    return current_app.extensions["authdoctor.feedback"]


def client_id(door: str) -> str:
    """Who is speaking, for deduplication: the client's address (through ProxyFix when configured)."""
    return f"{door}:{request.remote_addr or '-'}"


def _stored(write: Any) -> bool:
    try:
        return bool(write())
    except StoreError as exc:
        log.warning("%s", exc)
        raise ApiError(503, "store_unavailable", "feedback cannot be stored right now; the diagnosis is not affected, try again later") from None


@api_bp.post("/api/v1/feedback")
def post_feedback():
    """Whether a cause of an answer was the right one."""
    from .api import parse_json_body
    try:
        item = check_feedback(doctor().kb, parse_json_body(), door="api")
    except FeedbackError as exc:
        raise ApiError(400, exc.code, exc.message, exc.field) from None
    new = _stored(lambda: store().add_feedback(item, client=client_id("api")))
    return jsonify({"status": "stored" if new else "already stored", "answer_id": item.answer_id, "cause": item.cause}), (201 if new else 200)


@api_bp.post("/api/v1/submissions")
def post_submission():
    """An unrecognised paste, sent with consent so it gets recognised: masked and normalised before it is kept."""
    from .api import parse_json_body
    try:
        item = check_submission(doctor().kb, parse_json_body(), door="api")
    except FeedbackError as exc:
        raise ApiError(400, exc.code, exc.message, exc.field) from None
    if not item.text:
        return jsonify({"status": "nothing to keep", "text": ""}), 200
    new = _stored(lambda: store().add_submission(item, client=client_id("api")))
    # the kept text is shown back, so the sender sees exactly what was stored
    return jsonify({"status": "stored" if new else "already stored", "text": item.text}), (201 if new else 200)
