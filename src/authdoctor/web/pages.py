"""The web page: paste, pick what you know, read the ranked causes; answer questions in a thread.

Server-rendered and JavaScript-free: every step is a plain form submission whose
URL carries the hints (never the pasted text, which stays in the form body).
"""
from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from flask import Blueprint, g, render_template, request

from ..hints import HintError, hint_text, kind
from ..redact import redact
from . import MAX_BODY, doctor
from .security import note_answer

bp = Blueprint("pages", __name__)

# Short pasted texts (already redacted) may ride in a shareable link; long ones never do.
LINK_TEXT_LIMIT = 1500


class FormError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def _form() -> dict:
    if request.method != "POST":
        return {}
    if (request.content_length or 0) > MAX_BODY:
        raise FormError(413, "The pasted text is larger than 64 KiB. Paste only the error block, not the whole log.")
    raw = request.get_data(cache=True)
    if request.mimetype == "application/x-www-form-urlencoded":
        try:
            pairs = parse_qsl(raw.decode("ascii"), keep_blank_values=True, encoding="utf-8", errors="strict")
        except UnicodeDecodeError:
            raise FormError(400, "The submitted text is not valid UTF-8; paste it as plain text.") from None
        return dict(pairs)
    return request.form.to_dict()


def _split(value: str | None) -> list[str]:
    return [v for v in (value or "").split(",") if v]


def _state(kb, form: dict):
    """Hints, answered steps and "don't know"s from the query, then the form."""
    args = request.args.to_dict()
    hints, steps, unknown = {}, _split(args.get("steps")), _split(args.get("unknown"))
    for source in (args, form):
        for key, value in source.items():
            if key in kb.hints and value not in ("", None):
                hints[key] = value
    for key, value in hints.items():  # list-valued hints travel comma-joined
        if kind(kb.hints[key]).many and isinstance(value, str):
            hints[key] = _split(value.replace(" ", ","))
    steps = [s for s in steps if s in hints or s in unknown]
    return hints, steps, unknown


def _query(hints: dict, steps: list, unknown: list) -> str:
    q = {k: hint_text(v) for k, v in hints.items()}
    if steps:
        q["steps"] = ",".join(steps)
    if unknown:
        q["unknown"] = ",".join(unknown)
    return urlencode(q)


@bp.route("/", methods=["GET", "POST"])
def index():
    """The page: a paste box, the hint selects, and the answer as a thread."""
    d = doctor()
    kb = d.kb
    try:
        form = _form()
    except FormError as exc:
        g.error_code = "too_large" if exc.status == 413 else "bad_encoding"
        return render_template("index.html", kb=kb, text="", hints={}, form_error=exc.message, thread=[], answer=None), exc.status
    text = form.get("error", request.args.get("error", ""))
    hints, steps, unknown = _state(kb, form)
    if not text.strip():
        return render_template("index.html", kb=kb, text="", hints=hints, form_error=None if request.method == "GET" else "Paste an error first.",
                               thread=[], answer=None), (200 if request.method == "GET" else 400)
    if len(text.encode("utf-8")) > MAX_BODY:
        g.error_code = "too_large"
        return render_template("index.html", kb=kb, text="", hints=hints, thread=[], answer=None,
                               form_error="The pasted text is larger than 64 KiB. Paste only the error block."), 413
    # the thread: the answer before any question was answered, then after each answer in turn
    base = {k: v for k, v in hints.items() if k not in steps}
    thread = []
    try:
        answer = d.diagnose(text, hints=base, unknown=[u for u in unknown if u not in steps])
        given: dict = {}
        for i, key in enumerate(steps):
            asked = answer.question
            value = _step_value(kb, asked, key, hints.get(key))
            if value is not None:
                given[key] = value
            skipped = [u for u in unknown if u in steps[: i + 1]]
            thread.append({"answer": answer, "asked_hint": key, "question": asked,
                           "given_label": _answer_label(asked, value)})
            # the paste as masked the first time: one redaction a request, however long the thread
            answer = d.diagnose(answer.paste, hints={**base, **given},
                                unknown=skipped + [u for u in unknown if u not in steps])
    except HintError as exc:
        g.error_code = "invalid_hint"
        # the masked text: the raw paste would put its secrets back on the page
        return render_template("index.html", kb=kb, text=redact(text).text, hints={}, thread=[], answer=None,
                               form_error=f"{exc}"), 400
    note_answer(answer)
    shown_text = answer.masked_text
    q = answer.question
    options = []
    if q:
        for opt, label in zip(q.options, q.labels):
            options.append({"label": label, "url": "/?" + _query({**hints, q.hint: opt}, steps + [q.hint], unknown)})
        dont_know = "/?" + _query(hints, steps + [q.hint], unknown + [q.hint])
    else:
        dont_know = None
    link = "/?" + _query(hints, steps, unknown)
    if len(shown_text) <= LINK_TEXT_LIMIT:
        link += "&" + urlencode({"error": shown_text})
    return render_template("index.html", kb=kb, text=shown_text, hints=hints, form_error=None, thread=thread,
                           answer=answer, options=options, dont_know=dont_know, link=link)


def _step_value(kb, question, key, final):
    """The answer given at this step. A question that is asked again and again (the
    differential one) grows its list each time: the step's answer is the option
    offered then that the final list begins with."""
    if not kind(kb.hints[key]).repeats or not question or question.hint != key or not isinstance(final, list):
        return final
    for opt in question.options:
        if final[: len(opt)] == list(opt):
            return list(opt)
    return final


def _answer_label(question, value) -> str:
    """What the person answered, in the words of the option they pressed."""
    if value is None:
        return "I don't know"
    if question:
        for opt, label in zip(question.options, question.labels):
            if hint_text(opt) == hint_text(value):
                return label
    return hint_text(value)

