"""The JSON API of API.md: POST /api/v1/diagnose, its OpenAPI document, /healthz."""
from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import fields, is_dataclass
from typing import Any

from flask import Blueprint, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from ..diagnosis import Diagnosis, json_name
from ..hints import SPACE, HintError, quote_name
from . import MAX_BODY, doctor, read_body
from .errors import ApiError
from .openapi import HTML_FIELDS, openapi_document
from .security import note_answer

bp = Blueprint("api", __name__)

# No field nests deeper than `hints` -> a list -> its items; 32 is generous and
# keeps every later walk (checks, repr, the error message) far from the recursion limit.
MAX_DEPTH = 32
# Python refuses to turn integers over 4,300 digits into text, mid-parse or when a
# message quotes them; no hint takes more than a few digits.
MAX_DIGITS = 100


def _int(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_DIGITS:
        raise ApiError(400, "bad_json", f"a number in the body is {len(digits.lstrip('-')):,} digits long; "
                                        f"no field takes more than {MAX_DIGITS}")
    return int(digits)


def _check_shape(body: dict) -> None:
    """No nesting deeper than MAX_DEPTH, and no string that is not text (a lone UTF-16
    surrogate, which a JSON \\u escape can spell but UTF-8 cannot carry): 400 naming the field."""
    parts: list[tuple[str | None, object, object]] = []
    for key, value in body.items():
        if key == "hints" and isinstance(value, dict):
            parts += [(f"hints.{k}" if quote_name(k) == f"'{k}'" else "hints", k, v) for k, v in value.items()]
        else:
            parts.append((key if key in ("error", "hints", "unknown") else None, key, value))
    for field, key, value in parts:
        problem = _problem(key) or _problem(value)
        if problem == "depth":
            raise ApiError(400, "bad_json", f"the body nests more than {MAX_DEPTH} levels deep", field)
        if problem == "surrogate":
            raise ApiError(400, "invalid_field", "a string in the body holds a lone UTF-16 surrogate (like \\ud800), "
                                                 "which is not a character: send the text as UTF-8", field)


def _problem(node: object) -> str | None:
    """"depth" or "surrogate" for the first problem in a parsed JSON value, else None."""
    stack = [(node, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            return "depth"
        if isinstance(node, str):
            try:
                node.encode("utf-8")
            except UnicodeEncodeError:
                return "surrogate"
        elif isinstance(node, dict):
            stack += [(k, depth) for k in node] + [(v, depth + 1) for v in node.values()]
        elif isinstance(node, list):
            stack += [(v, depth + 1) for v in node]
    return None


def parse_json_body() -> dict:
    if request.mimetype != "application/json":
        raise ApiError(415, "unsupported_media_type", "send the request as Content-Type: application/json")
    try:
        raw = read_body(MAX_BODY)  # a chunked body too: over 64 KiB is 413, never cut
    except RequestEntityTooLarge:
        raise ApiError(413, "too_large", "the request body is larger than 64 KiB; paste only the error block") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(400, "bad_encoding", "the request body is not valid UTF-8") from None
    try:
        body = json.loads(text, parse_int=_int)
    except json.JSONDecodeError as exc:
        raise ApiError(400, "bad_json", f"the body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise ApiError(400, "bad_json", f"the body nests more than {MAX_DEPTH} levels deep") from None
    if not isinstance(body, dict):
        raise ApiError(400, "bad_json", "the body must be a JSON object like {\"error\": \"...\"}")
    _check_shape(body)
    return body


def run_diagnosis(body: dict) -> Diagnosis:
    error = body.get("error")
    if error is None:
        raise ApiError(400, "missing_field", "'error' is required: the pasted error text", "error")
    if not isinstance(error, str):
        raise ApiError(400, "invalid_field", "'error' must be a string", "error")
    if not error.strip(SPACE):
        raise ApiError(400, "missing_field", "'error' is empty: paste the error text", "error")
    if len(error.encode("utf-8")) > MAX_BODY:
        raise ApiError(413, "too_large", "'error' is larger than 64 KiB; paste only the error block", "error")
    if "\x00" in error:
        raise ApiError(400, "invalid_field", "'error' contains NUL bytes: that is binary data, not an error message", "error")
    kb = doctor().kb
    unknown = body.get("unknown", [])
    if not isinstance(unknown, list) or not all(isinstance(k, str) for k in unknown):
        raise ApiError(400, "invalid_field", "'unknown' must be a list of hint names you cannot answer", "unknown")
    for name in unknown:
        if name not in kb.hints:
            # checked here, not by the engine, whose message would quote the name as sent
            what = quote_name(name)
            said = f"names {what}, which is not a hint" if what.startswith("'") else "holds a name that is not a hint"
            raise ApiError(400, "unknown_hint", f"'unknown' {said}; known hints: {', '.join(kb.hints)}", "unknown")
    try:
        answer = doctor().diagnose(error, hints=body.get("hints"), unknown=unknown)
    except HintError as exc:
        # the message quotes values masked and cut (hints.quote_value); the field names a hint, or just "hints"
        if exc.field == "hints" or exc.field in kb.hints:
            raise ApiError(400, "invalid_hint", str(exc), "hints" if exc.field == "hints" else f"hints.{exc.field}") from None
        named = quote_name(exc.field) == f"'{exc.field}'"
        raise ApiError(400, "unknown_hint", str(exc), f"hints.{exc.field}" if named else "hints") from None
    note_answer(answer)
    return answer


_SCALARS = frozenset({str, int, float, bool, type(None)})
# per (class, with the HTML): its (attribute, JSON key) pairs, read once from the dataclass fields
_FIELDS: dict[tuple[type, bool], tuple[tuple[str, str], ...]] = {}


def answer_json(obj: Any, html: bool = True) -> Any:
    """The answer as Diagnosis.to_json() gives it (diagnosis.plain: the same fields, JSON names and
    metadata), with or without the HTML renderings. Each class's JSON fields are listed once instead
    of being looked up on every object: a median answer in 0.17 ms of CPU instead of 0.43, a tenth of
    a request's own work. tests/web/test_api.py holds it to to_json() on every case."""
    kind = type(obj)
    if kind in _SCALARS:
        return obj
    if kind is tuple or kind is list:
        return [answer_json(x, html) for x in obj]
    names = _FIELDS.get((kind, html))
    if names is None:
        if is_dataclass(obj) and not isinstance(obj, type):
            names = _FIELDS[(kind, html)] = tuple(
                (f.name, key) for f in fields(obj)
                if (key := json_name(f)) is not None and (html or (kind, f.name) not in HTML_FIELDS))
        elif isinstance(obj, Mapping):
            return {str(k): answer_json(v, html) for k, v in obj.items()}
        elif isinstance(obj, (tuple, list)):
            return [answer_json(x, html) for x in obj]
        else:
            return obj
    return {key: answer_json(getattr(obj, name), html) for name, key in names}


@bp.post("/api/v1/diagnose")
def diagnose():
    """Diagnose a pasted Terraform/AWS credential error. `?detail=compact` leaves out the
    HTML renderings of the summaries and fixes (the text of each is in the answer)."""
    detail = request.args.get("detail", "full")
    if detail not in ("full", "compact"):
        raise ApiError(400, "invalid_field", "'detail' is 'full' (the default) or 'compact'", "detail")
    return jsonify(answer_json(run_diagnosis(parse_json_body()), html=detail == "full"))


@bp.get("/api/v1/openapi.json")
def openapi():
    """The OpenAPI document of this API."""
    return jsonify(openapi_document(doctor().kb))


@bp.get("/api/v1/hints")
def hints():
    """The hint vocabulary: keys, their values and the question each answers."""
    kb = doctor().kb
    return jsonify({k: {"type": h.type, "values": list(h.values), "question": h.question_text,
                        "options": list(h.options)} for k, h in kb.hints.items()})


@bp.get("/healthz")
def healthz():
    """Liveness, and which knowledge base answers."""
    kb = doctor().kb
    return jsonify({"status": "ok", "kb_version": kb.version, "causes": len(kb.causes),
                    "errors": len(kb.errors), "variants": len(kb.variants)})
