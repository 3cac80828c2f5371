"""The Slack door: a signed /authdoctor slash command and its buttons.

POST /slack/commands      Slack's slash-command form post -> an ephemeral answer
POST /slack/interactions  block_actions from the answer's buttons -> posted to response_url

Every request is verified with slack_sdk's SignatureVerifier before its body
is parsed; with no signing secret configured both routes answer 503, never
open. The pasted text is redacted the moment it is unescaped, and only the
redacted copy is kept, echoed or sent back to Slack.

Button state, and why: Slack's block_actions payload carries only the value
of the button clicked, not the text the answer came from. Each button's value
holds the state as compact JSON (hints, unknowns, redaction facts) plus the
redacted text when it fits in Slack's 2000-character limit, so for the usual
short paste a click needs nothing from the server: any worker, any restart.
A long paste (a CI log) cannot fit, and cutting it would silently change the
diagnosis, so its redacted text waits in the paste store (store.py: Redis when
AUTHDOCTOR_REDIS_URL is set, else this worker's memory) for as long as Slack
keeps the response_url usable (30 minutes). A click that finds neither gets
"this answer has expired, run the command again" -- what a second worker or a
restart costs without Redis, and never a different answer.

Socket Mode (socket.py) brings Slack's requests over a websocket instead of a
public URL and runs them through these same views, marked in the WSGI environ
as already authenticated by the connection.
"""
from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from concurrent.futures import ThreadPoolExecutor

from flask import Blueprint, current_app, g, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from ...diagnosis import Diagnosis
from ...hints import HintError, quote_name
from ...redact import Redaction
from .. import doctor, read_body
from ..errors import ApiError
from ..ratelimit import slack_ids, slack_slow_down
from ..security import note_answer
from . import blocks as sb
from .store import STORE_SIZE, STORE_TTL, PasteStore, RedisPasteStore, make_store

log = logging.getLogger("authdoctor.slack")
# slack_sdk logs the url and body of every post at DEBUG; the url is a
# capability to post into the channel, so its logger never goes below INFO
_webhook_log = logging.getLogger("authdoctor.slack.webhook")
_webhook_log.setLevel(logging.INFO)

bp = Blueprint("slack", __name__, url_prefix="/slack")

# A 40 KB CI log, url-encoded, doubles or triples in size; 256 KiB leaves room.
MAX_SLACK_BODY = 256 * 1024
# Slack's documented replay window, which SignatureVerifier also enforces.
REPLAY_WINDOW = 5 * 60
POST_TIMEOUT = 5
# The payload is signed, so its response_url is Slack's; the prefix check is a
# second lock on the door should the signing secret ever leak.
RESPONSE_URL_PREFIXES = ("https://hooks.slack.com/", "https://hooks.slack-gov.com/")
HELP_WORDS = ("", "help", "-h", "--help", "usage", "?")
# v0= and a hex SHA-256, as Slack signs (https://api.slack.com/authentication/verifying-requests-from-slack)
SIGNATURE = re.compile(r"v0=[0-9a-f]{64}", re.ASCII)
# the masked paste behind a button is kept STORE_TTL seconds, in Redis or in the worker that answered
EXPIRED = f"This answer has expired (its paste is kept for {STORE_TTL // 60} minutes). Run the command again."
# the message shortcut's callback id, as slack/manifest.yaml declares it
SHORTCUT = "diagnose_message"
NOTHING_TO_READ = ("That message has no text I can read. Copy the error and run /authdoctor with it, "
                   "ideally as a code block (three backticks).")


# set by socket.py on the requests it brings over Socket Mode's authenticated websocket;
# a WSGI environ key no HTTP client can set (headers arrive as HTTP_*)
SOCKET_MODE = "authdoctor.slack_socket_mode"
__all__ = ["STORE_SIZE", "STORE_TTL", "PasteStore", "RedisPasteStore", "SOCKET_MODE", "bp"]


class SlackDoor:
    def __init__(self, redis_url: str | None = None):
        self.store = make_store(redis_url)
        # posts to response_url leave the request thread, so Slack gets its 200 at once
        self.poster = ThreadPoolExecutor(max_workers=4, thread_name_prefix="slack-post")


@bp.record_once
def _setup(state) -> None:
    state.app.extensions["authdoctor.slack"] = SlackDoor(state.app.config.get("REDIS_URL"))


def _door() -> SlackDoor:
    return current_app.extensions["authdoctor.slack"]


# --- the lock on the door -----------------------------------------------------

@bp.before_request
def _verify():
    # before anything reads the body: the per-request limits replace the app's 64 KiB
    request.max_content_length = MAX_SLACK_BODY
    request.max_form_memory_size = MAX_SLACK_BODY
    if request.environ.get(SOCKET_MODE) is True:
        g.slack_verified = True
        return _slow_down()
    secret = current_app.config.get("SLACK_SIGNING_SECRET")
    if not isinstance(secret, str) or not secret.strip():
        raise ApiError(503, "slack_not_configured",
                       "Slack is not set up on this server: set AUTHDOCTOR_SLACK_SIGNING_SECRET to the app's signing secret "
                       "(Slack app settings, Basic Information) and restart")
    try:
        # the raw bytes first, exactly as signed; request.form later parses this cached copy.
        # A chunked post over the limit is refused, not cut (read_body).
        body = read_body(MAX_SLACK_BODY)
    except RequestEntityTooLarge:
        raise ApiError(413, "too_large", "the Slack post is larger than 256 KiB; paste only the error block") from None
    timestamp = request.headers.get("X-Slack-Request-Timestamp")
    signature = request.headers.get("X-Slack-Signature")
    if not timestamp or not signature:
        raise ApiError(401, "missing_signature", "the request carries no Slack signature")
    if not re.fullmatch(r"\d{1,12}", timestamp, re.ASCII) or abs(time.time() - int(timestamp)) > REPLAY_WINDOW:
        raise ApiError(401, "stale_signature",
                       "the Slack timestamp is more than 5 minutes off: a replayed request, or a wrong server clock")
    # Slack's shape, checked before any comparison: hmac.compare_digest refuses
    # non-ASCII text with a TypeError, which would be a 500 for a forged header
    ok = bool(SIGNATURE.fullmatch(signature))
    if ok:
        # slack_sdk on the first Slack request, not at every start (blocks._kit)
        from slack_sdk.signature import SignatureVerifier
        try:
            ok = SignatureVerifier(secret).is_valid(body, timestamp, signature)
        except (UnicodeDecodeError, ValueError, TypeError):
            ok = False
    if not ok:
        raise ApiError(401, "bad_signature", "the Slack signature does not match this body and the signing secret")
    # from here on the request is Slack's: only such requests spend the team's and the user's rate limit
    g.slack_verified = True
    return _slow_down()


def _slow_down():
    """Past the team's or the user's limit: an ephemeral "slow down" (a 429 would show as a failure)."""
    message = slack_slow_down()
    if message is None:
        return None
    g.error_code = "slow_down"
    if request.path.endswith("/interactions"):
        payload = _json(request.form.get("payload") or "")
        url = payload.get("response_url") if isinstance(payload, dict) else None
        if _response_url_ok(url):
            _door().poster.submit(_post, url, sb.notice_message(message, response_type="ephemeral", replace_original=False))
        return "", 200
    return jsonify(sb.notice_message(message, response_type="ephemeral"))


# --- diagnosis ----------------------------------------------------------------

def _paste_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _diagnose(paste: Redaction, hints: dict, unknown: list) -> Diagnosis:
    answer = doctor().diagnose(paste, hints=hints, unknown=unknown)
    note_answer(answer)
    return answer


def _facts(paste: Redaction) -> dict:
    """What the secrets told before masking, for a button to carry with the masked text."""
    out: dict = {}
    if paste.key_prefix:
        out["key_prefix"] = paste.key_prefix
    if paste.has_session_token:
        out["has_session_token"] = True
    return out


def _paste(text: str, facts: dict, kinds: list) -> Redaction:
    """A button's masked text with its facts, as the engine takes a masked paste."""
    prefix = facts.get("key_prefix")
    return Redaction(text=text, kinds=tuple(kinds), key_prefix=prefix if prefix in ("AKIA", "ASIA") else None,
                     has_session_token=facts.get("has_session_token") is True)


def _notes(state: dict) -> tuple:
    size = state.get("n")
    if not size:
        return ()
    return (f"_Your paste was {size / 1024:.0f} KB; I read the last 64 KiB of error-like lines._",)


def _state(paste: Redaction, hints: dict, unknown: list, truncated_from) -> dict:
    text = paste.text
    state = {"p": _paste_key(text), "h": hints, "u": unknown, "f": _facts(paste), "r": list(paste.kinds), "t": text}
    if truncated_from:
        state["n"] = truncated_from
    return state


@bp.post("/commands")
def commands():
    """The /authdoctor slash command: `[hint=value ...] <pasted error>`."""
    form = request.form
    if form.get("ssl_check") == "1":
        return "", 200
    command = form.get("command") or "/authdoctor"
    from . import parse as slack_input  # on the first Slack request, not at every start (its patterns)
    parsed = slack_input.parse(form.get("text", ""))
    g.redacted = list(parsed.paste.kinds)
    hints = doctor().kb.hints
    if not parsed.hints and parsed.error.strip().lower() in HELP_WORDS:
        return jsonify(sb.usage_message(command, hints))
    if not parsed.error.strip():
        return jsonify(sb.usage_message(command, hints, note="Hints read, but no error after them: paste the error too."))
    try:
        answer = _diagnose(parsed.paste, parsed.hints, [])
    except HintError as exc:
        # 200: Slack shows any 4xx as "failed with the error ..." and drops our explanation
        g.error_code = "invalid_hint"
        return jsonify(sb.hint_error_message(_field(exc.field), str(exc), command))
    state = _state(parsed.paste, parsed.hints, [], parsed.truncated_from)
    _door().store.put(state["p"], parsed.error)
    return jsonify(sb.answer_message(answer, state, notes=_notes(state)))


# --- buttons ------------------------------------------------------------------

def _response_url_ok(url) -> bool:
    prefixes = tuple(current_app.config.get("SLACK_RESPONSE_URL_PREFIXES") or RESPONSE_URL_PREFIXES)
    return isinstance(url, str) and url.startswith(prefixes)


def _post(url: str, body: dict) -> None:
    # never log the url (anyone holding it can post to the channel) nor the body
    from slack_sdk.webhook import WebhookClient
    try:
        resp = WebhookClient(url, timeout=POST_TIMEOUT, logger=_webhook_log).send_dict(body)
        if resp.status_code >= 300:
            log.warning("slack response_url answered %s", resp.status_code)
    except Exception as exc:  # a failed post must not take the worker down
        log.warning("posting to slack response_url failed: %s", type(exc).__name__)


def _field(name: str) -> str:
    """The hint a refusal names: as sent only when it looks like a hint name. The
    message itself quotes values masked and cut (hints.quote_value)."""
    return name if quote_name(name) == f"'{name}'" else "hints"


def _json(text: str):
    try:
        return json.loads(text)
    except (ValueError, RecursionError):  # not JSON, nested too deep, a 4,301-digit number
        return None


def _button_state(value: dict) -> dict | None:
    """A button's state with every field of the type the answer wrote it with, or None."""
    kinds = {"p": str, "t": str, "h": dict, "u": list, "f": dict, "r": list, "k": str, "v": str, "n": int, "s": int}
    for key, typ in kinds.items():
        item = value.get(key)
        if item is not None and (not isinstance(item, typ) or isinstance(item, bool)):
            return None
    if not all(isinstance(k, str) for k in value.get("h") or {}):
        return None
    try:  # a lone surrogate (a JSON "\\ud800") is no text: hashing or posting it would fail
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except (UnicodeEncodeError, ValueError, RecursionError):
        return None
    return value


def _expired(kind: str) -> dict:
    if kind == sb.MORE:
        # clicked on the message shared in the channel: answer the clicker alone, never replace it
        return sb.notice_message(EXPIRED, response_type="ephemeral", replace_original=False)
    return sb.notice_message(EXPIRED, replace_original=True)


def _reply_for(kind: str, value: dict, user_id: str) -> dict:
    kb = doctor().kb
    text = _door().store.get(value.get("p"))
    if text is None:
        text = value.get("t")
    if text is None:
        return _expired(kind)
    hints = dict(value.get("h") or {})
    # names that are not hints are dropped: the engine's refusal would quote them
    unknown = [u for u in (value.get("u") or []) if isinstance(u, str) and u in kb.hints]
    facts = dict(value.get("f") or {})
    kinds = [k for k in (value.get("r") or []) if isinstance(k, str)]
    key = value.get("k")
    if kind == sb.ANSWER and isinstance(key, str):
        hints[key] = value.get("o")
        unknown = [u for u in unknown if u != key]
    elif kind == sb.UNKNOWN and isinstance(key, str) and key in kb.hints and key not in unknown:
        unknown.append(key)
    view = sb.FIXES if value.get("v") == sb.FIXES else sb.SUMMARY
    try:
        answer = _diagnose(_paste(text, facts, kinds), hints, unknown)
    except HintError as exc:
        return {**sb.hint_error_message(_field(exc.field), str(exc), "/authdoctor"), "replace_original": True}
    state = {**_state(answer.paste, hints, unknown, value.get("n")), "p": value.get("p") or _paste_key(text)}
    # a shared answer's buttons never carry the paste: its owner shared the answer, not the text
    private = {k: v for k, v in state.items() if k != "t"} | {"s": 1}
    if kind == sb.SHARE:
        more = sb.pack(private, v=sb.FIXES) if value.get("p") else None
        return {**sb.share_message(answer, user_id or "someone", more), "replace_original": False}
    if kind == sb.MORE:
        reply = sb.answer_message(answer, private, view=sb.FIXES, notes=_notes(state))
        return {**reply, "response_type": "ephemeral", "replace_original": False}
    if value.get("s"):
        state = private
    return {**sb.answer_message(answer, state, view=view, notes=_notes(state)), "replace_original": True}


@bp.post("/interactions")
def interactions():
    """Button clicks on an answer: re-rank, show every fix, or share in the channel."""
    payload = _json(request.form.get("payload") or "")
    if payload is None:
        raise ApiError(400, "bad_payload", "the form field 'payload' is not JSON")
    if isinstance(payload, dict) and payload.get("type") == "message_action":
        return _message_shortcut(payload)
    if not isinstance(payload, dict) or payload.get("type") != "block_actions":
        return "", 200  # nothing else is wired up in the manifest; Slack needs only the 200
    acts = payload.get("actions")
    if acts is None or acts == []:
        return "", 200
    if not isinstance(acts, list) or not isinstance(acts[0], dict):
        raise ApiError(400, "bad_payload", "the payload's 'actions' must be a list of objects")
    act = acts[0]
    action_id, raw_value = act.get("action_id"), act.get("value")
    if not isinstance(action_id, str):
        raise ApiError(400, "bad_payload", "the payload's 'actions[0].action_id' must be a string")
    kind = action_id.split(":", 1)[0]
    if kind == sb.FEEDBACK:
        return _feedback_click(payload, raw_value)
    if kind not in (sb.ANSWER, sb.UNKNOWN, sb.FIXES, sb.SUMMARY, sb.SHARE, sb.MORE):
        return "", 200
    url = payload.get("response_url")
    if not _response_url_ok(url):
        raise ApiError(400, "bad_response_url", "the payload's response_url is not a Slack URL")
    if raw_value is not None and not isinstance(raw_value, str):
        raise ApiError(400, "bad_payload", "the payload's 'actions[0].value' must be a string")
    user = payload.get("user") if isinstance(payload.get("user"), dict) else {}
    user_id = user.get("id") if isinstance(user.get("id"), str) else ""
    value = _json(raw_value or "")
    state = _button_state(value) if isinstance(value, dict) else None
    if state is not None:
        reply = _reply_for(kind, state, user_id)
    else:
        # a value this server did not write (or from an older one): the same notice as an expired answer
        reply = _expired(kind)
    _door().poster.submit(_post, url, reply)
    return "", 200


def _feedback_click(payload: dict, raw_value) -> tuple[str, int]:
    """"This fixed it" / "Not this": stored by web/feedback.py, acknowledged to the clicker alone; the answer stays as it was."""
    from ..feedback import slack_feedback
    url = payload.get("response_url")
    if not isinstance(url, str) or not _response_url_ok(url):
        raise ApiError(400, "bad_response_url", "the payload's response_url is not a Slack URL")
    team, user = slack_ids()
    text = slack_feedback(_json(raw_value) if isinstance(raw_value, str) else None, team, user)
    _door().poster.submit(_post, url, sb.notice_message(text, response_type="ephemeral", replace_original=False))
    return "", 200


def _message_shortcut(payload: dict):
    """"Diagnose with AuthDoctor" on a message (a CI bot's failure post): the answer, to the clicker alone."""
    if payload.get("callback_id") != SHORTCUT:
        return "", 200
    url = payload.get("response_url")
    if not _response_url_ok(url):
        raise ApiError(400, "bad_response_url", "the payload's response_url is not a Slack URL")
    message = payload.get("message")
    if not isinstance(message, dict):
        raise ApiError(400, "bad_payload", "the payload's 'message' must be an object")
    from . import parse as slack_input
    parsed = slack_input.parse_message(message)
    g.redacted = list(parsed.paste.kinds)
    if not parsed.error.strip():
        reply = sb.notice_message(NOTHING_TO_READ, response_type="ephemeral", replace_original=False)
    else:
        answer = _diagnose(parsed.paste, {}, [])
        state = _state(parsed.paste, {}, [], parsed.truncated_from)
        _door().store.put(state["p"], parsed.error)
        reply = {**sb.answer_message(answer, state, notes=_notes(state)), "response_type": "ephemeral", "replace_original": False}
    _door().poster.submit(_post, str(url), reply)
    return "", 200
