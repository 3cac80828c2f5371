"""Feedback's doors: POST /api/v1/feedback and /api/v1/submissions (JSON), and the page's form (/feedback).

All of them check what they are sent with authdoctor.feedback's rules and write to
its Store; none of them is on the answer path (the diagnose routes never touch
the store, so a database that is down costs feedback, never an answer). The
routes are rate-limited like every page and API route (ratelimit.py: the
default limit per client address and route), and the store keeps one report
per answer, cause and client.
"""
from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import sqlite3
import threading
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Flask, current_app, jsonify, render_template_string, request

from ..feedback.location import store_url
from ..settings import Settings
from . import doctor
from .errors import ApiError
from .present import plain_text

if TYPE_CHECKING:
    from ..feedback import Store

log = logging.getLogger("authdoctor.feedback")

api_bp = Blueprint("feedback_api", __name__)
page_bp = Blueprint("feedback_page", __name__)

# feedback/schema.py's VERSION_TABLE, read here without SQLAlchemy (tests/web/test_factory.py holds the two together)
VERSION_TABLE = "authdoctor_alembic_version"


class LazyStore:
    """The feedback Store, made on first use. The database layer (SQLAlchemy, Alembic) is half a
    second to import, and the doors that answer never touch the store: a start, and a worker that
    only diagnoses, do not pay for it. Everything else is the Store's own (attributes pass through)."""

    def __init__(self, url: str):
        self.url = url
        self._store: Store | None = None
        self._lock = threading.Lock()

    def get(self) -> Store:
        if self._store is None:
            with self._lock:
                if self._store is None:
                    from ..feedback import Store
                    self._store = Store(self.url)
        return self._store

    def __getattr__(self, name: str) -> Any:
        return getattr(self.get(), name)


def head_revision() -> str | None:
    """The newest migration's revision id, read from the scripts' own `revision = ...` lines (None
    when they do not name exactly one head): what a migrated store's version table holds."""
    revisions, parents = set(), set()
    for script in (files("authdoctor.feedback") / "migrations" / "versions").iterdir():
        if not script.name.endswith(".py"):
            continue
        text = script.read_text(encoding="utf-8")
        revisions.update(re.findall(r"^revision\s*=\s*['\"]([^'\"]+)['\"]", text, re.M))
        for down in re.findall(r"^down_revision\s*=\s*(.+)$", text, re.M):
            parents.update(re.findall(r"['\"]([^'\"]+)['\"]", down))
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def sqlite_migrated(url: str) -> bool:
    """Whether `url` is a SQLite file already at the newest revision, read with the standard library.
    False whenever that is not certain (another URL form, no file, an unreadable one): then the Store
    itself migrates, and names what is wrong."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or "?" in url:
        return False
    path = url[len(prefix):]
    if not path or path == ":memory:" or not os.path.isfile(path):
        return False
    head = head_revision()
    if head is None:
        return False
    try:
        with contextlib.closing(sqlite3.connect(Path(path).resolve().as_uri() + "?mode=ro", uri=True, timeout=1)) as conn:
            rows = conn.execute("SELECT version_num FROM " + VERSION_TABLE).fetchall()
    except sqlite3.Error:
        return False
    return rows == [(head,)]


def init_app(app: Flask, env: Settings) -> None:
    """The store and the two blueprints. A SQLite store is created and migrated now (its data folder too):
    a local file, quick, and a broken one stops the start with its reason; one already at the newest
    revision is only read (without the database layer). PostgreSQL is migrated on the first feedback
    instead, under its lock: a database that is down must not stop the doors that answer."""
    url = store_url(app.config.get("DATABASE_URL") or env.database_url, app.config.get("DATA_DIR") or env.data_dir)
    store = LazyStore(url)
    if url.startswith("sqlite:") and not sqlite_migrated(url):
        store.ready()
        store.close()  # no connection crosses gunicorn's fork; each worker opens its own
    app.extensions["authdoctor.feedback"] = store
    app.register_blueprint(api_bp)
    app.register_blueprint(page_bp)


def store() -> Store:
    return current_app.extensions["authdoctor.feedback"].get()


def client_id(door: str) -> str:
    """Who is speaking, for deduplication: the client's address (through ProxyFix when configured)."""
    return f"{door}:{request.remote_addr or '-'}"


def _stored(write: Any) -> bool:
    from ..feedback import StoreError
    try:
        return bool(write())
    except StoreError as exc:
        log.warning("%s", exc)
        raise ApiError(503, "store_unavailable", "feedback cannot be stored right now; the diagnosis is not affected, try again later") from None


@api_bp.post("/api/v1/feedback")
def post_feedback():
    """Whether a cause of an answer was the right one."""
    from ..feedback import FeedbackError, check_feedback
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
    from ..feedback import FeedbackError, check_submission
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


THANKS = """{% extends "base.html" %}
{% block title %}Thank you · AuthDoctor{% endblock %}
{% block main %}
<section class="notice" id="feedback-thanks">
<h1>Thank you</h1>
<p>{{ message }}</p>
<p><a href="{{ back }}" id="back">Back to the answer</a></p>
</section>
{% endblock %}"""


def _back(raw: str | None) -> str:
    """Where the thank-you page links back to: a path on this site only (never another host)."""
    if not raw or not raw.startswith("/") or raw.startswith("//") or "\\" in raw:
        return "/"
    return raw


def _form_body() -> dict[str, Any]:
    """The page form's fields as the API's JSON body would carry them."""
    form = request.form
    body: dict[str, Any] = {k: form[k] for k in ("answer_id", "error_code", "cause", "outcome", "variant", "first_cause", "kb_version")
                            if form.get(k)}
    if form.get("true_cause"):
        body["true_cause"] = form["true_cause"]
    if form.get("first_probability"):
        try:
            body["first_probability"] = float(form["first_probability"])
        except ValueError:
            raise ApiError(400, "invalid_field", "'first_probability' must be a number from 0 to 1", "first_probability") from None
    if form.get("hints"):
        try:
            body["hints"] = json.loads(form["hints"])
        except ValueError:
            raise ApiError(400, "invalid_field", "'hints' must be a JSON object of hint names to values", "hints") from None
    return body


@page_bp.post("/feedback")
def feedback():
    """The page's "this fixed it" / "not this" / "it was something else": stored, then a thank-you with the way back."""
    from ..feedback import FeedbackError, check_feedback
    try:
        item = check_feedback(doctor().kb, _form_body(), door="page")
    except FeedbackError as exc:
        raise ApiError(400, exc.code, exc.message, exc.field) from None
    new = _stored(lambda: store().add_feedback(item, client=client_id("page")))
    title = doctor().kb.causes[item.true_cause or item.cause].title
    said = {"fixed": f"“{title}” fixed it", "not-this": f"it was not “{title}”"}.get(
        item.outcome, f"it was “{title}”" if item.true_cause else "it was something else")
    message = f"Noted: {said}." if new else "You had already told us about this cause of this answer; it is counted once."
    back = _back(request.form.get("back"))
    return render_template_string(THANKS, kb=doctor().kb, message=plain_text(message),
                                  back=f"{back}#cause-{item.cause}" if back != "/" else back), (201 if new else 200)


def slack_feedback(value: Any, team: str, user: str) -> str:
    """A Slack "this fixed it" / "not this" click (its button value as blocks.feedback_buttons wrote it),
    stored once per answer, cause and Slack user; what to tell the clicker, privately."""
    from ..feedback import FeedbackError, StoreError, check_feedback
    if not isinstance(value, dict):
        return "That button is from an answer this server cannot read; run the command again."
    body = {"answer_id": value.get("a"), "error_code": value.get("e"), "cause": value.get("c"), "outcome": value.get("o"),
            "first_cause": value.get("f"), "first_probability": value.get("fp"), "kb_version": value.get("kv"),
            "variant": value.get("v"), "hints": value.get("h")}
    try:
        item = check_feedback(doctor().kb, {k: v for k, v in body.items() if v is not None}, door="slack")
    except FeedbackError as exc:
        return f"That click could not be recorded: {exc.message}"
    try:
        new = store().add_feedback(item, client=f"slack:{team}:{user}")
    except StoreError as exc:
        log.warning("%s", exc)
        return "Thanks; your answer could not be stored right now, the feedback store is not answering."
    title = plain_text(doctor().kb.causes[item.cause].title)
    if not new:
        return f"You already told us about “{title}” for this answer; it is counted once."
    return f"Thanks: noted that “{title}” {'fixed it' if item.outcome == 'fixed' else 'was not it'}."


@page_bp.post("/feedback/submission")
def submission():
    """The page's opt-in "send this so it gets recognised": masked and normalised, kept only with the box ticked."""
    form = request.form
    from ..feedback import FeedbackError, check_submission
    body: dict[str, Any] = {"text": form.get("text", ""), "consent": form.get("consent") == "yes"}
    if form.get("error_code"):
        body["error_code"] = form["error_code"]
    try:
        item = check_submission(doctor().kb, body, door="page")
    except FeedbackError as exc:
        raise ApiError(400, exc.code, exc.message, exc.field) from None
    new = bool(item.text) and _stored(lambda: store().add_submission(item, client=client_id("page")))
    message = ("Thank you: this is what was kept, secrets masked and ids folded: " + item.text[:500] if new
               else "You had already sent this text; it is counted once." if item.text else "Nothing was left to keep after masking.")
    return render_template_string(THANKS, kb=doctor().kb, message=message, back="/"), (201 if new else 200)
