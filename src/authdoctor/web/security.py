"""Headers every response carries, and one log line per request (never the pasted text; logs.py writes it as JSON)."""
from __future__ import annotations

import logging
import time

from flask import Flask, g, request

from ..diagnosis import Diagnosis

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")

HEADERS = (("Content-Security-Policy", CSP), ("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "no-referrer"),
           ("X-Frame-Options", "DENY"), ("Cache-Control", "no-store"))

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
        present = {k.lower() for k, _ in resp.headers}
        for name, value in HEADERS:
            if name.lower() not in present:
                resp.headers.add(name, value)
        if getattr(g, "request_id", None):
            resp.headers["X-Request-Id"] = g.request_id
        entry = {
            "request_id": getattr(g, "request_id", None),
            "method": request.method if request.method in METHODS else "(other)",
            "route": request.url_rule.rule if request.url_rule else NO_ROUTE,
            "status": resp.status_code,
            "error_code": getattr(g, "error_code", None),
            "recognized_code": getattr(g, "recognized_code", None),
            "top_cause": getattr(g, "top_cause", None),
            "redacted": getattr(g, "redacted", None) or None,
            "latency_ms": round((time.perf_counter() - g.get("started", time.perf_counter())) * 1000, 2),
        }
        # the fields ride on the record: the JSON formatter writes them beside time, level and message
        access_log.info("request", extra=entry)
        return resp
