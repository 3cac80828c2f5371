"""Learning from outcomes: what people said about an answer, kept in a database, and the curator's report.

No Flask here: the web door (web/feedback.py, web/api.py), Slack and the CLI
all go through `check_feedback` and `Store`. Stored: ids, the error, variant
and hints of the answer, the outcome, the KB version, the door and the time;
never the pasted text. The only text kept is an unrecognised paste sent with
consent, masked by authdoctor.redact and normalised first (`submission_text`).
"""
from .check import FeedbackError, causes_of, check_feedback, check_submission, submission_text
from .location import default_data_dir, store_url
from .schema import DOORS, OUTCOMES
from .store import Feedback, Store, StoreError, Submission

__all__ = ["DOORS", "OUTCOMES", "Feedback", "FeedbackError", "Store", "StoreError", "Submission", "causes_of",
           "check_feedback", "check_submission", "default_data_dir", "store_url", "submission_text"]
