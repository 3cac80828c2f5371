"""The store's tables (SQLAlchemy Core). The migrations in migrations/versions build the same tables;
tests/feedback/test_migrations.py holds the two to each other."""
from __future__ import annotations

import sqlalchemy as sa

VERSION_TABLE = "authdoctor_alembic_version"

metadata = sa.MetaData()

# One row per (answer, cause, client): what a person said about one cause of one answer.
# Ids, the hints the answer used and what was shown first; never a word of the paste.
feedback = sa.Table(
    "feedback", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("answer_id", sa.String(16), nullable=False),
    sa.Column("error_code", sa.String(64), nullable=False),
    sa.Column("variant", sa.String(100)),
    sa.Column("cause", sa.String(64), nullable=False),
    sa.Column("outcome", sa.String(16), nullable=False),
    sa.Column("true_cause", sa.String(64)),
    # the answer's first cause and the probability it was shown with: what calibration is measured on
    sa.Column("first_cause", sa.String(64)),
    sa.Column("first_probability", sa.Float),
    sa.Column("hints", sa.JSON, nullable=False),
    sa.Column("kb_version", sa.String(32), nullable=False),
    sa.Column("door", sa.String(8), nullable=False),
    # a keyed hash of who sent it (address, Slack user, machine): for deduplication, not identification
    sa.Column("client", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("answer_id", "cause", "client", name="feedback_once_per_client"),
    sa.CheckConstraint("outcome IN ('fixed', 'not-this', 'something-else')", name="feedback_outcome"),
)
sa.Index("feedback_by_error", feedback.c.error_code, feedback.c.cause)

# Unrecognised pastes people chose to send: the only text kept, masked (redact) and normalised first.
submissions = sa.Table(
    "submissions", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("text_hash", sa.String(64), nullable=False),
    sa.Column("error_code", sa.String(64)),
    sa.Column("kb_version", sa.String(32), nullable=False),
    sa.Column("door", sa.String(8), nullable=False),
    sa.Column("client", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("text_hash", "client", name="submission_once_per_client"),
)

# The key the client hashes are made with, created by the first migration: one per store,
# so every instance sharing a database hashes alike, and a hash cannot be reversed by
# hashing every IPv4 address.
store_meta = sa.Table(
    "store_meta", metadata,
    sa.Column("key", sa.String(32), primary_key=True),
    sa.Column("value", sa.String(128), nullable=False),
)
