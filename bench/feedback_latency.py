"""Feedback writes stay off the answer path (issue 21): diagnose latency alone, and with a feedback write
(SQLite, a fresh data folder) between answers, plus the write's own latency. In-process test client.

    .venv/bin/python bench/feedback_latency.py
"""
import logging
import os
import statistics
import tempfile
import time

from authdoctor.web import create_app

PASTE = ("Error: error configuring Terraform AWS Provider: error validating provider credentials: error calling sts:GetCallerIdentity: "
         "operation error STS: GetCallerIdentity, https response error StatusCode: 403, api error InvalidClientTokenId: "
         "The security token included in the request is invalid.")


def run(client, n: int, feedback: bool) -> tuple[list[float], list[float]]:
    answers, writes = [], []
    for _ in range(n):
        t = time.perf_counter()
        a = client.post("/api/v1/diagnose", json={"error": PASTE}).get_json()
        answers.append(time.perf_counter() - t)
        if feedback:
            t = time.perf_counter()
            r = client.post("/api/v1/feedback", json={"answer_id": os.urandom(8).hex(), "error_code": a["error_code"],
                                                      "cause": a["causes"][0]["id"], "outcome": "fixed"})
            assert r.status_code == 201, r.get_json()
            writes.append(time.perf_counter() - t)
    return answers, writes


def ms(xs: list[float]) -> str:
    return f"median {statistics.median(xs) * 1000:.2f} ms, p95 {sorted(xs)[int(len(xs) * .95)] * 1000:.2f} ms"


def main() -> None:
    logging.disable(logging.CRITICAL)
    app = create_app(test_config={"TESTING": True, "RATELIMIT_ENABLED": False, "DATA_DIR": tempfile.mkdtemp()})
    client = app.test_client()
    run(client, 20, True)  # warm: the KB's caches, the store's first migration
    alone, _ = run(client, 200, False)
    mixed, writes = run(client, 200, True)
    print("diagnose alone:             ", ms(alone))
    print("diagnose, feedback between: ", ms(mixed))
    print("feedback write (SQLite):    ", ms(writes))


if __name__ == "__main__":
    main()
