"""What a door hands the store, checked against the knowledge base: ids well-formed, the cause one of
the error's causes, hints in their domains; and the only text the store keeps, masked and normalised."""
from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from ..hints import SPACE, HintError, check_hints, quote_name
from ..knowledge import KB
from ..normalize import normalize_lines
from ..redact import redact
from .store import Feedback, Submission
from .vocab import OUTCOMES

# Diagnosis.answer_id: the first 16 hex digits of a SHA-256 (diagnose.Doctor._answer_id)
ANSWER_ID = re.compile(r"[0-9a-f]{16}")
# KB.version: the first 12 hex digits of the KB's digest (knowledge/loader.py)
KB_VERSION = re.compile(r"[0-9a-f]{12}")
FEEDBACK_FIELDS = ("answer_id", "error_code", "cause", "outcome", "true_cause", "variant", "first_cause",
                   "first_probability", "hints", "kb_version")
SUBMISSION_FIELDS = ("text", "consent", "error_code")
# what is kept of a sent paste, after masking and normalising: the error block, not a whole CI log
MAX_SUBMISSION = 16 * 1024


class FeedbackError(ValueError):
    """A field a client sent is not one the store takes; `field` names it, the message says what would be."""

    def __init__(self, field: str | None, message: str, code: str = "invalid_field"):
        super().__init__(message)
        self.field, self.code, self.message = field, code, message


def causes_of(kb: KB, error_code: str) -> tuple[str, ...]:
    """The causes an answer for this error can rank: the error's priors, then its variants' own."""
    error = kb.errors[error_code]
    out = list(error.priors)
    out += [c for v in error.variants for c in v.priors if c not in out]
    return tuple(dict.fromkeys(out))


def _text(body: Mapping[str, Any], name: str, *, required: bool) -> str | None:
    value = body.get(name)
    if value is None and name not in body and not required:
        return None
    if value is None:
        raise FeedbackError(name, f"'{name}' is required", "missing_field")
    if not isinstance(value, str):
        raise FeedbackError(name, f"'{name}' must be a string")
    return value


def _one_of(name: str, value: str, allowed: tuple[str, ...] | Mapping[str, Any], what: str) -> str:
    if value not in allowed:
        shown = repr(value) if re.fullmatch(r"[\w.-]{1,64}", value) else "the value sent"
        raise FeedbackError(name, f"'{name}': {shown} is not {what}")
    return value


def check_feedback(kb: KB, body: Mapping[str, Any], *, door: str) -> Feedback:
    """A Feedback from a request's fields, or FeedbackError naming the first field that is wrong."""
    extra = [k for k in body if k not in FEEDBACK_FIELDS]
    if extra:
        name = extra[0] if isinstance(extra[0], str) and re.fullmatch(r"\w{1,40}", extra[0]) else None
        raise FeedbackError(name, f"unknown field {repr(name) if name else '(a name that is not a field)'}; "
                                  f"the fields are {', '.join(FEEDBACK_FIELDS)}", "unknown_field")
    answer_id = _text(body, "answer_id", required=True) or ""
    if not ANSWER_ID.fullmatch(answer_id):
        raise FeedbackError("answer_id", "'answer_id' must be the 16 lower-case hex digits of an answer's answer_id")
    error_code = _one_of("error_code", _text(body, "error_code", required=True) or "", kb.errors, "an error the knowledge base knows")
    causes = causes_of(kb, error_code)
    cause = _one_of("cause", _text(body, "cause", required=True) or "", causes, f"one of {error_code}'s causes")
    outcome = _one_of("outcome", _text(body, "outcome", required=True) or "", OUTCOMES, f"one of {', '.join(OUTCOMES)}")
    true_cause = _text(body, "true_cause", required=False)
    if true_cause is not None:
        _one_of("true_cause", true_cause, kb.causes, "a cause the knowledge base knows")
        if outcome == "fixed":
            raise FeedbackError("true_cause", "'true_cause' goes with not-this or something-else: with fixed, the cause is the true one")
    variant = _text(body, "variant", required=False)
    if variant is not None:
        _one_of("variant", variant, tuple(v.id for v in kb.errors[error_code].variants), f"one of {error_code}'s variants")
    first_cause = _text(body, "first_cause", required=False)
    if first_cause is not None:
        _one_of("first_cause", first_cause, causes, f"one of {error_code}'s causes")
    first_probability = body.get("first_probability")
    if "first_probability" in body:
        if isinstance(first_probability, bool) or not isinstance(first_probability, (int, float)) or not 0 <= first_probability <= 1:
            raise FeedbackError("first_probability", "'first_probability' must be a number from 0 to 1")
        first_probability = float(first_probability)
    kb_version = _text(body, "kb_version", required=False)
    if kb_version is not None and not KB_VERSION.fullmatch(kb_version):
        raise FeedbackError("kb_version", "'kb_version' must be the 12 hex digits of an answer's kb_version")
    if "hints" in body and not isinstance(body["hints"], dict):
        raise FeedbackError("hints", "'hints' must be an object of hint names to values")
    try:
        hints = check_hints(kb, body.get("hints"))
    except HintError as exc:
        # named, never quoted: feedback has no reason to echo a value, and a value may be a secret redact cannot tell from noise
        what = f"hint {quote_name(exc.field)} has a value it does not take" if exc.field in kb.hints else \
            f"{quote_name(exc.field)} is not a hint" if exc.field != "hints" else "'hints' must be an object of hint names to values"
        raise FeedbackError("hints", f"{what}; GET /api/v1/hints lists every hint and its values", "invalid_hint") from None
    return Feedback(answer_id=answer_id, error_code=error_code, cause=cause, outcome=outcome, true_cause=true_cause,
                    variant=variant, first_cause=first_cause, first_probability=first_probability,
                    hints=_stored_hints(hints), kb_version=kb_version or kb.version, door=door)


def _stored_hints(hints: Mapping[str, Any]) -> dict[str, Any]:
    """The checked hints as JSON values, each string masked again: a hint is never a place for a secret to hide."""
    plain = json.loads(json.dumps(hints, default=list))
    return {k: _masked(v) for k, v in plain.items()}


def _masked(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value).text
    if isinstance(value, list):
        return [_masked(v) for v in value]
    return value


def submission_text(text: str) -> str:
    """What the store keeps of a paste: secrets masked (authdoctor.redact) before anything else,
    then normalised (request ids, ARNs, account ids, times folded), one line each, cut to MAX_SUBMISSION."""
    masked = redact(text).text
    # normalising may fold a short paste away entirely (a lone request id); the masked text is kept then
    kept = "\n".join(normalize_lines(masked)) or masked.strip()
    return kept[:MAX_SUBMISSION]


def check_submission(kb: KB, body: Mapping[str, Any], *, door: str) -> Submission:
    """A Submission (masked, normalised) from a request's fields, or FeedbackError. Consent must be given in so many words."""
    extra = [k for k in body if k not in SUBMISSION_FIELDS]
    if extra:
        name = extra[0] if isinstance(extra[0], str) and re.fullmatch(r"\w{1,40}", extra[0]) else None
        raise FeedbackError(name, f"unknown field {repr(name) if name else '(a name that is not a field)'}; "
                                  f"the fields are {', '.join(SUBMISSION_FIELDS)}", "unknown_field")
    if body.get("consent") is not True:
        raise FeedbackError("consent", "'consent' must be true: the masked text is kept only when you say it may be", "missing_consent")
    text = _text(body, "text", required=True) or ""
    if not text.strip(SPACE):
        raise FeedbackError("text", "'text' is empty: paste the error text", "missing_field")
    if "\x00" in text:
        raise FeedbackError("text", "'text' contains NUL bytes: that is binary data, not an error message")
    kept = submission_text(text)
    error_code = _text(body, "error_code", required=False)
    if error_code is not None:
        _one_of("error_code", error_code, kb.errors, "an error the knowledge base knows")
    return Submission(text=kept, error_code=error_code, kb_version=kb.version, door=door)


def request_schemas(kb: KB, hints_schema: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """JSON Schema (OpenAPI 3.0) of the two bodies, as exact as check_feedback/check_submission:
    every request the schema allows is stored, every one it refuses is a 400."""
    per_error = [{"properties": {"error_code": {"enum": [e]}, "cause": {"enum": list(causes_of(kb, e))},
                                 "first_cause": {"enum": list(causes_of(kb, e))},
                                 "variant": {"enum": [v.id for v in kb.errors[e].variants]}}} for e in kb.errors]
    every_cause = sorted({c for e in kb.errors for c in causes_of(kb, e)})
    feedback_request = {
        "type": "object", "additionalProperties": False, "required": ["answer_id", "error_code", "cause", "outcome"],
        "properties": {
            "answer_id": {"type": "string", "pattern": "^[0-9a-f]{16}$", "minLength": 16, "maxLength": 16,
                          "description": "the answer's answer_id"},
            "error_code": {"type": "string", "enum": list(kb.errors), "description": "the answer's error_code"},
            "cause": {"type": "string", "enum": every_cause, "description": "the cause this is about: one of the error's causes"},
            "outcome": {"type": "string", "enum": list(OUTCOMES),
                        "description": "fixed: this cause's fix worked; not-this: it was not this cause; something-else: another (true_cause, if known)"},
            "true_cause": {"type": "string", "enum": list(kb.causes), "description": "what it was, with not-this or something-else"},
            "variant": {"type": "string", "description": "the answer's variant.id"},
            "first_cause": {"type": "string", "description": "the answer's first cause"},
            "first_probability": {"type": "number", "minimum": 0, "maximum": 1, "description": "the probability the first cause was shown with"},
            "hints": {**hints_schema, "nullable": False},
            "kb_version": {"type": "string", "pattern": "^[0-9a-f]{12}$", "minLength": 12, "maxLength": 12},
        },
        "allOf": [{"anyOf": per_error},
                  {"anyOf": [{"properties": {"outcome": {"enum": ["not-this", "something-else"]}}}, {"not": {"required": ["true_cause"]}}]}],
    }
    submission_request = {
        "type": "object", "additionalProperties": False, "required": ["text", "consent"],
        "properties": {
            "text": {"type": "string", "minLength": 1, "maxLength": 65536,
                     "allOf": [{"pattern": "^[^\\u0000]*$"}, {"pattern": "[^\\u0000 \\t\\r\\n\\f\\v]"}],
                     "description": "the unrecognised paste; masked and normalised before it is kept, never as sent"},
            "consent": {"type": "boolean", "enum": [True], "description": "true: the masked, normalised text may be kept"},
            "error_code": {"type": "string", "enum": list(kb.errors), "description": "the error it was nearest to, if any"},
        },
    }
    return {"FeedbackRequest": feedback_request, "SubmissionRequest": submission_request}
