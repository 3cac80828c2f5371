"""Log lines as JSON, one per line: the app's, gunicorn's and the libraries', each with time, level and request id.

Every record goes out through one formatter (python-json-logger) on stderr:
`time`, `level`, `logger`, `pid`, `message`, `request_id` (null outside a
request) and whatever fields the record carries (the access line's route,
status, latency ...). A traceback is one escaped field, not forty lines. The
pasted text is never logged: the access line names codes and ids only
(security.py), and an unexpected error is logged by its frames, its message
withheld (errors.py).

A request's id is the caller's X-Request-ID when it is a plain token (so a
proxy's or a client's id follows the request through), else a fresh one.
gunicorn's own logger is configured with the same formatter (gunicorn_conf.py's
logconfig_dict).
"""
from __future__ import annotations

import logging
import re
import sys

from flask import Flask, g, has_request_context, request
from pythonjsonlogger.json import JsonFormatter

from ..redact import redact

FORMAT = "%(asctime)s %(levelname)s %(name)s %(process)d %(message)s"
RENAME = {"asctime": "time", "levelname": "level", "name": "logger", "process": "pid"}
# a caller's id is kept only when it cannot carry anything but an id (no spaces, no markup, bounded)
REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}", re.ASCII)
_HANDLER_MARK = "_authdoctor_json"


class Formatter(JsonFormatter):
    """One JSON object a line: time (ISO 8601, UTC offset), level, logger, pid, message, request_id, the record's fields."""

    def __init__(self, **kwargs):
        kwargs.setdefault("rename_fields", RENAME)
        kwargs.setdefault("datefmt", "%Y-%m-%dT%H:%M:%S%z")
        super().__init__(FORMAT, **kwargs)


class RequestIdFilter(logging.Filter):
    """Puts the current request's id on every record (None outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = g.get("request_id") if has_request_context() else None
        return True


def handler() -> logging.Handler:
    out = logging.StreamHandler(sys.stderr)
    out.setFormatter(Formatter())
    out.addFilter(RequestIdFilter())
    setattr(out, _HANDLER_MARK, True)
    return out


def setup(level: str = "info") -> None:
    """JSON on stderr for the app's loggers and every library's that reach the root; idempotent."""
    root = logging.getLogger()
    if not any(getattr(h, _HANDLER_MARK, False) for h in root.handlers):
        # whatever else wrote to the root's stderr (a basicConfig) would print plain lines beside ours
        for h in list(root.handlers):
            if isinstance(h, logging.StreamHandler) and getattr(h, "stream", None) in (sys.stderr, sys.stdout):
                root.removeHandler(h)
        root.addHandler(handler())
    root.setLevel(level.upper())
    for name in ("authdoctor", "authdoctor.access"):
        logger = logging.getLogger(name)
        logger.setLevel(logging.INFO if name == "authdoctor.access" else level.upper())
        logger.propagate = True
    # warnings.warn() would print multi-line text on stderr; as records they are JSON too
    logging.captureWarnings(True)


def init_app(app: Flask, level: str = "info") -> None:
    setup(level)

    # after errors.init_app's own id: a caller's plain-token X-Request-ID replaces it
    @app.before_request
    def _caller_request_id():
        rid = request.headers.get("X-Request-ID", "")
        # and never one shaped like a key or a secret: it would be written to every log line
        if REQUEST_ID.fullmatch(rid) and redact(rid).text == rid:
            g.request_id = rid
