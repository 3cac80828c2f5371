"""Prometheus metrics at /metrics: requests by door and status, diagnoses by error code and first cause,
request latency, and how fast Slack gets its acknowledgement.

Under gunicorn every worker is a process of its own, so the counts live in
prometheus-client's multiprocess files (PROMETHEUS_MULTIPROC_DIR, which
gunicorn_conf.py sets to AUTHDOCTOR_METRICS_DIR or a fresh temporary folder
before the app is imported) and /metrics adds up every worker's, whichever
worker answers. Without it (tests, the development server) the one process's
own registry is served. Labels take only values the app chose (door names,
KB codes and ids, statuses), never anything a client sent.
"""
from __future__ import annotations

import os
import time
from typing import Any, cast

from flask import Flask, Response, g, request
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest

REQUESTS = Counter("authdoctor_requests", "HTTP requests answered, by door and status", ["door", "status"])
DIAGNOSES = Counter("authdoctor_diagnoses", "Diagnoses made, by error code and the cause ranked first", ["error_code", "first_cause"])
LATENCY = Histogram("authdoctor_request_duration_seconds", "Time from a request's start to its answer, by door", ["door"],
                    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5))
# Slack gives up after 3 s: the acknowledgement (the HTTP answer) is what must beat it
SLACK_ACK = Histogram("authdoctor_slack_ack_seconds", "Time until Slack's request is acknowledged",
                      buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0))

DOORS = {"pages": "page", "feedback_page": "page", "api": "api", "feedback_api": "api", "slack": "slack", "ops": "ops"}
OPS_ENDPOINTS = frozenset({"api.healthz", "ops.readyz", "ops.metrics"})
# The metrics' children by their labels, where labels() would check and look them up on every request:
# per (door, status) the request counter's and the latency histogram's, per (error code, first cause)
# the diagnoses counter's. Labels are the app's own values (a few doors and statuses, the KB's codes
# and cause ids), so this stays as small as the metrics themselves.
_by_door: dict[tuple[str, int], tuple[Any, Any]] = {}
_by_answer: dict[tuple[str, str], Any] = {}


def door() -> str:
    """The door a request came in by: page, api, slack, ops (health, readiness, metrics) or none (no route)."""
    return _door(cast(Any, request)._get_current_object())


def _door(req: Any) -> str:
    endpoint = req.endpoint
    if endpoint in OPS_ENDPOINTS:
        return "ops"
    if endpoint == "static":
        return "page"
    return DOORS.get(req.blueprint or "", "none")


def registry() -> CollectorRegistry:
    """Every worker's counts when running multiprocess, else this process's."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    from prometheus_client import multiprocess

    merged = CollectorRegistry()
    multiprocess.MultiProcessCollector(merged)
    return merged


def exposition() -> Response:
    return Response(generate_latest(registry()), mimetype=CONTENT_TYPE_LATEST.split(";")[0],
                    headers={"Content-Type": CONTENT_TYPE_LATEST})


def init_app(app: Flask) -> None:
    @app.before_request
    def _clock():
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _count(resp):
        ctx: Any = cast(Any, g)._get_current_object()  # once, not through the proxy per read
        started = getattr(ctx, "metrics_started", None)
        elapsed = time.perf_counter() - (time.perf_counter() if started is None else started)
        which = _door(cast(Any, request)._get_current_object())
        status = resp.status_code
        counted = _by_door.get((which, status))
        if counted is None:
            counted = _by_door[(which, status)] = (REQUESTS.labels(which, str(status)), LATENCY.labels(which))
        counted[0].inc()
        counted[1].observe(elapsed)
        if which == "slack":
            SLACK_ACK.observe(elapsed)
        if hasattr(ctx, "recognized_code"):  # security.note_answer: a diagnosis was made
            labels = (ctx.recognized_code or "unrecognized", getattr(ctx, "top_cause", None) or "none")
            diagnosed = _by_answer.get(labels)
            if diagnosed is None:
                diagnosed = _by_answer[labels] = DIAGNOSES.labels(*labels)
            diagnosed.inc()
        return resp
