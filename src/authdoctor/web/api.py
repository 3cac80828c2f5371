"""The JSON API of API.md: POST /api/v1/diagnose, its OpenAPI document, /healthz."""
from __future__ import annotations

import json

from flask import Blueprint, jsonify, request

from ..diagnosis import Diagnosis
from ..hints import SPACE, HintError
from . import MAX_BODY, doctor
from .errors import ApiError
from .openapi import openapi_document
from .security import note_answer

bp = Blueprint("api", __name__)


def parse_json_body() -> dict:
    if request.mimetype != "application/json":
        raise ApiError(415, "unsupported_media_type", "send the request as Content-Type: application/json")
    if (request.content_length or 0) > MAX_BODY:
        raise ApiError(413, "too_large", "the request body is larger than 64 KiB; paste only the error block")
    raw = request.get_data(cache=False)  # bounded by MAX_CONTENT_LENGTH
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(400, "bad_encoding", "the request body is not valid UTF-8") from None
    try:
        body = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ApiError(400, "bad_json", f"the body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    if not isinstance(body, dict):
        raise ApiError(400, "bad_json", "the body must be a JSON object like {\"error\": \"...\"}")
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
    unknown = body.get("unknown", [])
    if not isinstance(unknown, list) or not all(isinstance(k, str) for k in unknown):
        raise ApiError(400, "invalid_field", "'unknown' must be a list of hint names you cannot answer", "unknown")
    try:
        answer = doctor().diagnose(error, hints=body.get("hints"), unknown=unknown)
    except HintError as exc:
        code = "unknown_hint" if str(exc).startswith("unknown hint") else "invalid_hint"
        raise ApiError(400, code, str(exc), f"hints.{exc.field}" if exc.field != "hints" else "hints") from None
    note_answer(answer)
    return answer


@bp.post("/api/v1/diagnose")
def diagnose():
    """Diagnose a pasted Terraform/AWS credential error."""
    return jsonify(run_diagnosis(parse_json_body()).to_json())


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
