"""The store keeps feedback and consented submissions, once per client, the same on SQLite and PostgreSQL."""
import threading
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from authdoctor.feedback import Feedback, Store, StoreError, Submission
from authdoctor.feedback.schema import VERSION_TABLE, metadata


def _fb(**over):
    base = dict(answer_id="0123456789abcdef", error_code="ExpiredToken", cause="temporary-credentials-expired",
                outcome="fixed", kb_version="5b6fb7ddbc65", door="api", hints={"runner": "github-actions"},
                first_cause="temporary-credentials-expired", first_probability=0.62)
    base.update(over)
    return Feedback(**base)


def test_feedback_is_stored_with_its_ids_and_read_back(store):
    assert store.add_feedback(_fb(), client="203.0.113.9", now=datetime(2026, 12, 2, 12, 0, tzinfo=UTC))
    (row,) = store.feedback_rows()
    assert {k: row[k] for k in ("answer_id", "error_code", "cause", "outcome", "hints", "door", "first_probability")} == {
        "answer_id": "0123456789abcdef", "error_code": "ExpiredToken", "cause": "temporary-credentials-expired",
        "outcome": "fixed", "hints": {"runner": "github-actions"}, "door": "api", "first_probability": 0.62}
    assert row["created_at"].replace(tzinfo=None) == datetime(2026, 12, 2, 12, 0)


def test_the_same_client_on_the_same_answer_and_cause_counts_once(store):
    assert store.add_feedback(_fb(), client="203.0.113.9") is True
    assert store.add_feedback(_fb(outcome="not-this"), client="203.0.113.9") is False
    assert [r["outcome"] for r in store.feedback_rows()] == ["fixed"]


def test_another_client_or_another_cause_counts_again(store):
    store.add_feedback(_fb(), client="203.0.113.9")
    assert store.add_feedback(_fb(), client="198.51.100.7")
    assert store.add_feedback(_fb(cause="stale-env-vars", outcome="not-this"), client="203.0.113.9")
    assert len(store.feedback_rows()) == 3


def test_the_client_is_kept_only_as_a_keyed_hash(store):
    store.add_feedback(_fb(), client="203.0.113.9")
    (row,) = store.feedback_rows()
    assert "203.0.113.9" not in row["client"] and len(row["client"]) == 32
    assert row["client"] == store.client_hash("203.0.113.9")


def test_submissions_are_counted_per_text_most_sent_first(store):
    for client in ("a", "b", "c"):
        store.add_submission(Submission(text="error: something new", kb_version="5b6fb7ddbc65", door="api"), client=client)
    store.add_submission(Submission(text="error: rarer", kb_version="5b6fb7ddbc65", door="page"), client="a")
    assert store.add_submission(Submission(text="error: rarer", kb_version="5b6fb7ddbc65", door="page"), client="a") is False
    assert store.top_submissions() == [("error: something new", 3, None), ("error: rarer", 1, None)]


def test_the_first_write_creates_the_data_folder_and_migrates(tmp_path):
    folder = tmp_path / "nested" / "data"
    s = Store(data_dir=folder)
    assert not folder.exists()  # opening connects to nothing
    s.add_feedback(_fb(), client="x")
    assert (folder / "authdoctor.db").is_file() and s.revision() == "0001"
    s.close()


def test_workers_starting_together_migrate_once(store_url):
    stores = [Store(store_url) for _ in range(4)]
    errors = []

    def first_write(s, i):
        try:
            s.add_feedback(_fb(cause="stale-env-vars", outcome="not-this"), client=f"c{i}")
        except Exception as exc:  # noqa: BLE001 - any failure is the finding
            errors.append(exc)

    threads = [threading.Thread(target=first_write, args=(s, i)) for i, s in enumerate(stores)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert errors == [] and len(stores[0].feedback_rows()) == 4
    [s.close() for s in stores]


def test_a_database_that_cannot_be_reached_is_a_store_error_without_its_url():
    s = Store("postgresql+psycopg://someone:hunter2@127.0.0.1:1/nothing")
    with pytest.raises(StoreError) as info:
        s.add_feedback(_fb(), client="x")
    assert "hunter2" not in str(info.value)


def test_upgrade_then_downgrade_leaves_no_table(store):
    store.upgrade()
    with store.engine.connect() as conn:
        assert set(metadata.tables) <= set(sa.inspect(conn).get_table_names())
    store.downgrade("base")
    with store.engine.connect() as conn:
        assert set(sa.inspect(conn).get_table_names()) <= {VERSION_TABLE}
    assert store.revision() is None
    store.upgrade()
    assert store.revision() == "0001" and store.add_feedback(_fb(), client="x")


def test_the_migrations_build_the_tables_schema_py_describes(store):
    store.upgrade()
    with store.engine.connect() as conn:
        insp = sa.inspect(conn)
        for table in metadata.tables.values():
            assert {c["name"] for c in insp.get_columns(table.name)} == {c.name for c in table.columns}, table.name
        assert {i["name"] for i in insp.get_indexes("feedback")} >= {"feedback_by_error"}
