"""Learning from outcomes: what people said about an answer, kept in a database, and the curator's report.

No Flask here: the web door (web/feedback.py, web/api.py), Slack and the CLI
all go through `check_feedback` and `Store`. Stored: ids, the error, variant
and hints of the answer, the outcome, the KB version, the door and the time;
never the pasted text. The only text kept is an unrecognised paste sent with
consent, masked by authdoctor.redact and normalised first (`submission_text`).
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .location import default_data_dir, store_url
from .vocab import DOORS, OUTCOMES

if TYPE_CHECKING:
    from .check import FeedbackError, causes_of, check_feedback, check_submission, submission_text
    from .store import Feedback, Store, StoreError, Submission

# The database layer (SQLAlchemy, Alembic) is half a second to import: loaded on first use, so a
# command that never stores feedback (diagnose, run) does not pay for it.
_LAZY = {"FeedbackError": ".check", "causes_of": ".check", "check_feedback": ".check", "check_submission": ".check",
         "submission_text": ".check", "Feedback": ".store", "Store": ".store", "StoreError": ".store", "Submission": ".store"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = ["DOORS", "OUTCOMES", "Feedback", "FeedbackError", "Store", "StoreError", "Submission", "causes_of",
           "check_feedback", "check_submission", "default_data_dir", "store_url", "submission_text"]
