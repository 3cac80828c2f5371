"""The JSON API of API.md: POST /api/v1/diagnose, its OpenAPI document, /healthz."""
from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import fields, is_dataclass
from typing import Any

from flask import Blueprint, current_app, jsonify, request
from flask.json.provider import DefaultJSONProvider
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


# The JSON text of what an answer shares with others (a cause's fix steps and docs, made once per
# Doctor: diagnose.Doctor._cause), by the object's identity and with or without the HTML. Each
# entry holds its object, so that no other object can take its id while the entry stands; what
# it holds is frozen all the way down (tuples of str and of frozen FixSteps), so its text cannot
# go stale. Nine tenths of an answer's bytes are these. Four entries a cause (steps and docs, with and
# without the HTML): 144, about 200 KB, with the bundled KB; more only when Doctors come and go (tests),
# so cleared whole past _SHARED_MAX entries, room for a KB of a thousand causes.
_SHARED: dict[tuple[int, bool], tuple[object, str]] = {}
_SHARED_MAX = 4096


def _shared_text(obj: tuple, html: bool, dumps: Callable[[Any], str]) -> str:
    key = (id(obj), html)
    hit = _SHARED.get(key)
    if hit is not None and hit[0] is obj:
        return hit[1]
    text = dumps(answer_json(obj, html))
    if len(_SHARED) >= _SHARED_MAX:
        _SHARED.clear()
    _SHARED[key] = (obj, text)
    return text


# per (class, with the HTML, the spliced keys): the object's JSON in key order, as a sort_keys dumps
# writes it: each spliced key as (key, its `"key":`, ()), each run of keys between them as ("", "", its
# (attribute, key) pairs)
_Step = tuple[str, str, tuple[tuple[str, str], ...]]
_PLANS: dict[tuple[type, bool, frozenset[str]], tuple[_Step, ...]] = {}


def _plan(obj: Any, html: bool, spliced: frozenset[str], dumps: Callable[[Any], str]) -> tuple[_Step, ...]:
    plan = _PLANS.get((type(obj), html, spliced))
    if plan is None:
        answer_json(obj, html)  # lists the class's fields in _FIELDS
        steps: list[_Step] = []
        run: list[tuple[str, str]] = []
        for name, key in sorted(_FIELDS[(type(obj), html)], key=lambda nk: nk[1]):
            if key in spliced:
                if run:
                    steps.append(("", "", tuple(run)))
                    run = []
                steps.append((key, f"{dumps(key)}:", ()))
            else:
                run.append((name, key))
        if run:
            steps.append(("", "", tuple(run)))
        plan = _PLANS[(type(obj), html, spliced)] = tuple(steps)
    return plan


def _object_text(obj: Any, html: bool, dumps: Callable[[Any], str], spliced: Mapping[str, str], keys: frozenset[str]) -> str:
    """dumps(answer_json(obj, html)) for a dataclass, with the JSON texts in `spliced` (by JSON key,
    `keys` its keys) put in place of those fields' values: each run of keys between spliced ones is
    one dumps of a dict, its braces taken off."""
    parts: list[str] = []
    for spliced_key, head, names in _plan(obj, html, keys, dumps):
        if spliced_key:
            parts.append(head + spliced[spliced_key])
        else:
            run = {}
            for name, key in names:
                value = getattr(obj, name)
                run[key] = value if type(value) in _SCALARS else answer_json(value, html)
            parts.append(dumps(run)[1:-1])
    return "{" + ",".join(parts) + "}"


_CAUSE_SPLICED = frozenset({"fix", "docs"})
_ANSWER_SPLICED = frozenset({"causes"})


def answer_text(answer: Diagnosis, html: bool, dumps: Callable[[Any], str]) -> str:
    """dumps(answer_json(answer, html)), for a `dumps` that sorts keys and writes no spaces (Flask's
    compact JSON): each cause's fix steps and docs are the text kept for them (_SHARED), so a
    request converts and encodes only what varies (probabilities, reasons, the question, the
    hints) instead of every cause's ~3 KB of KB text again. tests/web/test_api.py holds it to
    jsonify's own output on every case."""
    causes = ",".join(
        _object_text(c, html, dumps, {"fix": _shared_text(c.fix, html, dumps), "docs": _shared_text(c.docs, html, dumps)},
                     _CAUSE_SPLICED)
        for c in answer.causes)
    return _object_text(answer, html, dumps, {"causes": f"[{causes}]"}, _ANSWER_SPLICED)


@bp.post("/api/v1/diagnose")
def diagnose():
    """Diagnose a pasted Terraform/AWS credential error. `?detail=compact` leaves out the
    HTML renderings of the summaries and fixes (the text of each is in the answer)."""
    detail = request.args.get("detail", "full")
    if detail not in ("full", "compact"):
        raise ApiError(400, "invalid_field", "'detail' is 'full' (the default) or 'compact'", "detail")
    answer = run_diagnosis(parse_json_body())
    html = detail == "full"
    provider = current_app.json
    # jsonify's body byte for byte when it writes compact, key-sorted JSON (not in debug mode, where it indents)
    if (isinstance(provider, DefaultJSONProvider) and type(provider).dumps is DefaultJSONProvider.dumps and provider.sort_keys
            and (provider.compact or (provider.compact is None and not current_app.debug))):
        # the encoder provider.dumps(obj, separators=(",", ":")) would make for each of the answer's pieces, made once
        encoder = json.JSONEncoder(default=provider.default, ensure_ascii=provider.ensure_ascii,
                                   sort_keys=True, separators=(",", ":"))
        text = answer_text(answer, html, encoder.encode)
        return current_app.response_class(f"{text}\n", mimetype=provider.mimetype)
    return jsonify(answer_json(answer, html))


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
