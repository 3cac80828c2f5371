"""The feedback store: SQLite or PostgreSQL through SQLAlchemy Core, its schema kept by Alembic.

Opening a Store connects to nothing: `ready()` (the app calls it at start for
SQLite; otherwise the first write does) creates the data folder and migrates the
database to the newest revision under a lock, so workers starting together do
not race. The doors that answer never touch it; a database that is down costs
the feedback, never an answer.
"""
from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import threading
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib.resources import as_file, files
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from .location import store_url
from .schema import feedback, store_meta, submissions

# pg_advisory_xact_lock's key for "migrating the AuthDoctor store" (any constant the app owns)
_PG_MIGRATE_LOCK = 0x41757468446F63


class StoreError(RuntimeError):
    """The store cannot be reached or migrated; the message never quotes the URL (it may hold a password)."""


@dataclass(frozen=True)
class Feedback:
    """What one person said about one cause of one answer: ids and outcome, never the paste."""
    answer_id: str
    error_code: str
    cause: str
    outcome: str
    kb_version: str
    door: str
    true_cause: str | None = None
    variant: str | None = None
    first_cause: str | None = None
    first_probability: float | None = None
    hints: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Submission:
    """An unrecognised paste someone chose to send: already masked and normalised (see submission_text)."""
    text: str
    kb_version: str
    door: str
    error_code: str | None = None


class Store:
    def __init__(self, url: str | None = None, *, database_url: str | None = None, data_dir: str | os.PathLike[str] | None = None):
        self.url = url or store_url(database_url, data_dir)
        self._engine: Engine | None = None
        self._ready = False
        self._key: bytes | None = None
        self._lock = threading.Lock()

    @property
    def dialect(self) -> str:
        return sa.make_url(self.url).get_backend_name()

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            url = sa.make_url(self.url)
            if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
                Path(url.database).parent.mkdir(parents=True, exist_ok=True)
                # several workers write one file: wait for the writer's lock instead of failing at once
                self._engine = sa.create_engine(url, connect_args={"timeout": 10})
                sa.event.listen(self._engine, "connect", _sqlite_pragmas)
            else:
                self._engine = sa.create_engine(url, pool_pre_ping=True)
        return self._engine

    # --- schema -------------------------------------------------------------------------

    def _alembic(self, conn: Connection) -> Config:
        cfg = Config()
        cfg.attributes["connection"] = conn
        return cfg

    @contextlib.contextmanager
    def _migrating(self) -> Iterator[Connection]:
        """A connection in a transaction that holds the store's migration lock."""
        try:
            with as_file(files("authdoctor.feedback") / "migrations") as scripts, self._file_lock(), self.engine.begin() as conn:
                if conn.dialect.name == "postgresql":
                    conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATE_LOCK})
                conn.info["scripts"] = str(scripts)
                yield conn
        except SQLAlchemyError as exc:
            raise StoreError(f"the feedback store cannot be migrated ({type(exc).__name__}: {_short(exc)})") from None

    @contextlib.contextmanager
    def _file_lock(self) -> Iterator[None]:
        """For a SQLite file: an exclusive lock on a file beside it while migrating (PostgreSQL takes an advisory lock)."""
        url = sa.make_url(self.url)
        if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
            yield
            return
        try:
            import fcntl
        except ImportError:  # Windows: one process migrates at a time there only by luck; SQLite's own lock still guards the data
            yield
            return
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        with open(f"{url.database}.migrate-lock", "a") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)

    def upgrade(self, revision: str = "head") -> None:
        with self._migrating() as conn:
            cfg = self._alembic(conn)
            cfg.set_main_option("script_location", conn.info["scripts"])
            command.upgrade(cfg, revision)
        self._ready = revision == "head"
        self._key = None

    def downgrade(self, revision: str) -> None:
        with self._migrating() as conn:
            cfg = self._alembic(conn)
            cfg.set_main_option("script_location", conn.info["scripts"])
            command.downgrade(cfg, revision)
        self._ready = False
        self._key = None

    def revision(self) -> str | None:
        """The revision the database is at (None: never migrated)."""
        from alembic.runtime.migration import MigrationContext

        from .schema import VERSION_TABLE
        with self._connect() as conn:
            return MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE}).get_current_revision()

    def ready(self) -> None:
        """Migrate to the newest revision once per process (first write), under the migration lock."""
        if self._ready:
            return
        with self._lock:
            if not self._ready:
                self.upgrade("head")

    @contextlib.contextmanager
    def _connect(self, write: bool = False) -> Iterator[Connection]:
        try:
            with (self.engine.begin() if write else self.engine.connect()) as conn:
                yield conn
        except IntegrityError:
            raise
        except SQLAlchemyError as exc:
            raise StoreError(f"the feedback store cannot be reached ({type(exc).__name__}: {_short(exc)})") from None

    # --- writing ------------------------------------------------------------------------

    def client_hash(self, identity: str) -> str:
        """A keyed hash of who sent something, the same on every instance that shares the database."""
        self.ready()
        if self._key is None:
            with self._connect() as conn:
                value = conn.execute(sa.select(store_meta.c.value).where(store_meta.c.key == "client_key")).scalar_one()
            self._key = bytes.fromhex(value)
        return hmac.new(self._key, identity.encode("utf-8", "replace"), hashlib.sha256).hexdigest()[:32]

    def add_feedback(self, item: Feedback, *, client: str, now: datetime | None = None) -> bool:
        """Store it; False when the same client already said something about this answer's cause (kept as it was)."""
        row = {**asdict(item), "hints": dict(item.hints), "client": self.client_hash(client), "created_at": now or datetime.now(UTC)}
        return self._insert(feedback, row)

    def add_submission(self, item: Submission, *, client: str, now: datetime | None = None) -> bool:
        """Store it; False when the same client already sent the same (masked, normalised) text."""
        row = {**asdict(item), "text_hash": hashlib.sha256(item.text.encode("utf-8")).hexdigest(),
               "client": self.client_hash(client), "created_at": now or datetime.now(UTC)}
        return self._insert(submissions, row)

    def _insert(self, table: sa.Table, row: dict[str, Any]) -> bool:
        self.ready()
        try:
            with self._connect(write=True) as conn:
                conn.execute(table.insert().values(**row))
        except IntegrityError:
            return False  # the unique key: this client said it before
        return True

    # --- reading ------------------------------------------------------------------------

    def feedback_rows(self) -> list[dict[str, Any]]:
        self.ready()
        with self._connect() as conn:
            return [dict(r._mapping) for r in conn.execute(sa.select(feedback).order_by(feedback.c.id))]

    def submission_rows(self) -> list[dict[str, Any]]:
        self.ready()
        with self._connect() as conn:
            return [dict(r._mapping) for r in conn.execute(sa.select(submissions).order_by(submissions.c.id))]

    def top_submissions(self, limit: int = 10) -> list[tuple[str, int, str | None]]:
        """(text, how many clients sent it, the error it was nearest to), most sent first."""
        self.ready()
        n = sa.func.count().label("n")
        q = (sa.select(sa.func.min(submissions.c.text), n, sa.func.max(submissions.c.error_code))
             .group_by(submissions.c.text_hash).order_by(n.desc(), sa.func.min(submissions.c.id)).limit(limit))
        with self._connect() as conn:
            return [(t, int(c), e) for t, c, e in conn.execute(q)]

    def ping(self) -> None:
        """StoreError unless the database answers."""
        with self._connect() as conn:
            conn.execute(sa.text("SELECT 1"))

    def close(self) -> None:
        """Drop the connections; the next use opens new ones (the schema stays known to be migrated)."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")  # readers do not wait for the writer
    cur.close()


def _short(exc: BaseException) -> str:
    """The driver's first line, without the URL or parameters SQLAlchemy appends."""
    orig = getattr(exc, "orig", None) or exc
    return str(orig).splitlines()[0][:200] if str(orig) else type(orig).__name__
