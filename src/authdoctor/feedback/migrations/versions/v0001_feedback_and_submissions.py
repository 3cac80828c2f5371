"""feedback, submissions and the store's hashing key

Revision ID: 0001
Revises:
Create Date: 2026-12-02
"""
import secrets

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("answer_id", sa.String(16), nullable=False),
        sa.Column("error_code", sa.String(64), nullable=False),
        sa.Column("variant", sa.String(100)),
        sa.Column("cause", sa.String(64), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("true_cause", sa.String(64)),
        sa.Column("first_cause", sa.String(64)),
        sa.Column("first_probability", sa.Float),
        sa.Column("hints", sa.JSON, nullable=False),
        sa.Column("kb_version", sa.String(32), nullable=False),
        sa.Column("door", sa.String(8), nullable=False),
        sa.Column("client", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("answer_id", "cause", "client", name="feedback_once_per_client"),
        sa.CheckConstraint("outcome IN ('fixed', 'not-this', 'something-else')", name="feedback_outcome"),
    )
    op.create_index("feedback_by_error", "feedback", ["error_code", "cause"])
    op.create_table(
        "submissions",
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
    meta = op.create_table(
        "store_meta",
        sa.Column("key", sa.String(32), primary_key=True),
        sa.Column("value", sa.String(128), nullable=False),
    )
    op.bulk_insert(meta, [{"key": "client_key", "value": secrets.token_hex(32)}])


def downgrade() -> None:
    op.drop_table("store_meta")
    op.drop_table("submissions")
    op.drop_index("feedback_by_error", table_name="feedback")
    op.drop_table("feedback")
