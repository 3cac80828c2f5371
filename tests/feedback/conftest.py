"""The feedback store on both databases: a SQLite file in a tmp folder always, and a real PostgreSQL
server (Debian's package, which scripts/test installs) started here as a non-root user on a free port."""
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest

from authdoctor.feedback import Store


def _pg_bin() -> str | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return os.path.dirname(found[-1])
    initdb = shutil.which("initdb")
    return os.path.dirname(os.path.realpath(initdb)) if initdb else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def postgres_server():
    """The URL of a fresh PostgreSQL server's admin database, or a skip saying why there is none."""
    bindir = _pg_bin()
    if bindir is None:
        pytest.skip("PostgreSQL is not installed (Debian's postgresql package; scripts/test installs it when run as root)")
    # not under pytest's tmp folder: that is private to the user running pytest, and the server may run as another
    root = Path(tempfile.mkdtemp(prefix="authdoctor-pg-"))
    data, sock = root / "data", root / "sock"
    sock.mkdir()
    as_user: list[str] = []
    if os.geteuid() == 0:
        # PostgreSQL refuses to run as root: the server runs as the package's own user
        runuser = shutil.which("runuser")
        if runuser is None or subprocess.run(["id", "postgres"], capture_output=True).returncode != 0:
            pytest.skip("running as root without a 'postgres' user and runuser to start PostgreSQL as")
        shutil.chown(root, "postgres")
        shutil.chown(sock, "postgres")
        as_user = [runuser, "-u", "postgres", "--"]
    port = _free_port()
    init = subprocess.run(as_user + [f"{bindir}/initdb", "-D", str(data), "-U", "authdoctor", "--auth=trust", "-E", "UTF8",
                                     "--no-sync"], capture_output=True, text=True)
    if init.returncode != 0:
        pytest.skip(f"initdb failed: {init.stderr.strip()[-300:]}")
    start = subprocess.run(as_user + [f"{bindir}/pg_ctl", "-D", str(data), "-l", str(root / "log"), "-w", "-t", "30", "-o",
                                      f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off", "start"],
                           capture_output=True, text=True)
    if start.returncode != 0:
        pytest.skip(f"PostgreSQL did not start: {start.stderr.strip()[-300:]}")
    try:
        yield f"postgresql://authdoctor@127.0.0.1:{port}"
    finally:
        subprocess.run(as_user + [f"{bindir}/pg_ctl", "-D", str(data), "-m", "immediate", "-w", "stop"], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture()
def postgres_url(postgres_server):
    """A new, empty database on the test server, for one test."""
    import psycopg
    name = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(f"{postgres_server}/postgres", autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    yield f"{postgres_server}/{name}"
    with psycopg.connect(f"{postgres_server}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE {name} WITH (FORCE)")


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path):
    """The same test on both databases: the app's configuration for it (a data folder for SQLite,
    AUTHDOCTOR_DATABASE_URL's form for PostgreSQL) and the store's URL."""
    from authdoctor.feedback import store_url
    if request.param == "sqlite":
        return {"DATA_DIR": str(tmp_path / "data")}, store_url(None, tmp_path / "data")
    url = request.getfixturevalue("postgres_url")
    return {"DATABASE_URL": url}, store_url(url)


@pytest.fixture()
def store_url(database):
    return database[1]


@pytest.fixture()
def store(store_url):
    s = Store(store_url)
    yield s
    s.close()


@pytest.fixture()
def make_app(database, kb_dir):
    """An app on this test's database; test_config over that."""
    from authdoctor.web import create_app

    def make(**config):
        return create_app(str(kb_dir), test_config={"TESTING": True, "RATELIMIT_ENABLED": False, **database[0], **config})
    return make
