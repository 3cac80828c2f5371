"""The feedback store at start: a SQLite store is migrated when the app starts, and one already at the
newest revision is only read, with the standard library (no SQLAlchemy, no Alembic at start)."""
import sqlite3

import pytest

from authdoctor.feedback import Store, StoreError
from authdoctor.feedback.location import store_url
from authdoctor.web.feedback import VERSION_TABLE, LazyStore, head_revision, sqlite_migrated


def test_the_version_table_and_the_head_are_the_ones_alembic_keeps():
    from importlib.resources import as_file, files

    from alembic.script import ScriptDirectory

    from authdoctor.feedback.schema import VERSION_TABLE as SCHEMA_VERSION_TABLE
    assert VERSION_TABLE == SCHEMA_VERSION_TABLE
    with as_file(files("authdoctor.feedback") / "migrations") as scripts:
        assert head_revision() == ScriptDirectory(str(scripts)).get_current_head()


def test_a_store_counts_as_migrated_only_at_the_newest_revision(tmp_path):
    url = store_url(None, tmp_path / "data")
    assert not sqlite_migrated(url)  # no file yet
    store = Store(url)
    store.upgrade("head")
    store.close()
    assert sqlite_migrated(url)
    with sqlite3.connect(tmp_path / "data" / "authdoctor.db") as conn:
        conn.execute(f"UPDATE {VERSION_TABLE} SET version_num = 'older'")
    conn.close()
    assert not sqlite_migrated(url)


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:", "postgresql+psycopg://u@127.0.0.1:1/x",
                                 "sqlite:////nowhere/authdoctor.db?timeout=3"])
def test_any_other_url_is_left_to_the_store(url):
    assert not sqlite_migrated(url)


def test_a_start_on_a_damaged_store_file_stops_with_the_stores_reason(make_app, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "authdoctor.db").write_bytes(b"this is not a database" * 100)
    assert not sqlite_migrated(store_url(None, data))
    with pytest.raises(StoreError):
        make_app(DATA_DIR=str(data))


def test_a_start_on_a_migrated_store_serves_feedback_from_it(make_app, tmp_path):
    data = tmp_path / "data"
    make_app(DATA_DIR=str(data))  # creates and migrates it
    app = make_app(DATA_DIR=str(data))  # finds it migrated
    lazy = app.extensions["authdoctor.feedback"]
    assert isinstance(lazy, LazyStore) and lazy.get() is lazy.get()
    assert lazy.feedback_rows() == [] and lazy.revision() == head_revision()
