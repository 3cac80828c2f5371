"""One JSON error envelope for /api/* and /slack/*, a plain page elsewhere; never a 500 trace."""
from __future__ import annotations

import logging
import uuid

from flask import Flask, g, jsonify, make_response, render_template, request
from werkzeug.exceptions import HTTPException

log = logging.getLogger("authdoctor")

_CODES = {400: "bad_request", 401: "unauthorized", 404: "not_found", 405: "method_not_allowed",
          413: "too_large", 415: "unsupported_media_type", 429: "rate_limited", 503: "unavailable"}


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, field: str | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field


def wants_json() -> bool:
    return request.path.startswith(("/api/", "/slack/", "/healthz"))


def error_response(status: int, code: str, message: str, field: str | None = None):
    body = {"error": {"code": code, "message": message}}
    if field:
        body["error"]["field"] = field
    rid = getattr(g, "request_id", None)
    if rid:
        body["error"]["request_id"] = rid
    if wants_json():
        return jsonify(body), status
    return render_template("error.html", status=status, message=message, request_id=rid), status


class Withheld(Exception):
    """Stands in for an unexpected exception in the log: its frames, not its message."""


def _withheld(exc: BaseException) -> tuple:
    """The exception for the log, its message dropped: a message may quote the request
    (a value, a header, a piece of the paste), and no log line may carry a secret."""
    tb = exc.__traceback__
    where = ""
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is not None:
        where = f" at {tb.tb_frame.f_code.co_filename.rsplit('/', 1)[-1]}:{tb.tb_lineno}"
    stand_in = Withheld(f"{type(exc).__name__}{where} (message not logged: it may quote the request)")
    return (Withheld, stand_in, exc.__traceback__)


def init_app(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError):
        g.error_code = exc.code
        return error_response(exc.status, exc.code, exc.message, exc.field)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        status = exc.code or 500
        code = _CODES.get(status, "http_error")
        g.error_code = code
        message = {
            413: "the request body is larger than 64 KiB; paste only the error block",
            405: f"{request.method} is not allowed here",
            404: "no such page",
            429: f"too many requests (limit: {exc.description}); wait a little and send it again",
        }.get(status, exc.description or exc.name)
        resp = make_response(error_response(status, code, message))
        allowed = getattr(exc, "valid_methods", None)
        if status == 405 and allowed:
            resp.headers["Allow"] = ", ".join(allowed)
        return resp

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        # never a stack trace to the client; the request id ties the log line to the answer
        g.error_code = "internal"
        log.error("unexpected error: %s", type(exc).__name__, exc_info=_withheld(exc),
                  extra={"request_id": getattr(g, "request_id", None)})
        return error_response(500, "internal", "something went wrong on our side; quote the request id when you report it")

    @app.before_request
    def _request_id():
        g.request_id = uuid.uuid4().hex[:16]
