"""Headers every response carries, and one log line per request (never the pasted text; logs.py writes it as JSON)."""
from __future__ import annotations

import logging
import time
from typing import Any, cast

from flask import Flask, g, request

from ..diagnosis import Diagnosis

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")

HEADERS = (("Content-Security-Policy", CSP), ("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "no-referrer"),
           ("X-Frame-Options", "DENY"), ("Cache-Control", "no-store"))
_HEADERS = tuple((name, name.lower(), value) for name, value in HEADERS)

access_log = logging.getLogger("authdoctor.access")

# The log names a request by its route rule, never by its path or query (a
# secret pasted into a URL would be written out); a path no rule matched is one
# fixed marker. The method is the client's own word too, so only known ones.
NO_ROUTE = "(no route)"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT"})


def note_answer(answer: Diagnosis) -> None:
    """What the request's log line says of its answer: codes and ids, never the text."""
    g.recognized_code = answer.error_code
    g.top_cause = answer.top.id if answer.top else None
    g.redacted = list(answer.redacted)


def init_app(app: Flask) -> None:
    @app.before_request
    def _start():
        g.started = time.perf_counter()

    @app.after_request
    def _headers(resp):
        # each header unless the view set its own; one pass over the response's headers, where
        # werkzeug's setdefault looks each one up and raises and catches a KeyError per miss
        headers = resp.headers
        present = {k.lower() for k, _ in headers}
        for name, lower, value in _HEADERS:
            if lower not in present:
                headers.add(name, value)
        # the request's own g and request, looked up once instead of through the proxies per field
        ctx: Any = cast(Any, g)._get_current_object()
        req: Any = cast(Any, request)._get_current_object()
        rid = getattr(ctx, "request_id", None)
        if rid:
            headers["X-Request-Id"] = rid
        started = getattr(ctx, "started", None)
        entry = {
            "request_id": rid,
            "method": req.method if req.method in METHODS else "(other)",
            "route": req.url_rule.rule if req.url_rule else NO_ROUTE,
            "status": resp.status_code,
            "error_code": getattr(ctx, "error_code", None),
            "recognized_code": getattr(ctx, "recognized_code", None),
            "top_cause": getattr(ctx, "top_cause", None),
            "redacted": getattr(ctx, "redacted", None) or None,
            "latency_ms": round((time.perf_counter() - (time.perf_counter() if started is None else started)) * 1000, 2),
        }
        # the fields ride on the record: the JSON formatter writes them beside time, level and message
        access_log.info("request", extra=entry)
        return resp
