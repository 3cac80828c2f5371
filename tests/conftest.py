import os
import shutil
from pathlib import Path

import pytest

from authdoctor import knowledge as kbmod
from authdoctor.diagnose import Doctor

ROOT = Path(__file__).resolve().parent.parent
KB_DIR = ROOT / "kb"


@pytest.fixture(scope="session")
def kb():
    return kbmod.load(KB_DIR)


@pytest.fixture(scope="session")
def doctor(kb):
    return Doctor(kb)


@pytest.fixture(scope="session")
def app():
    from authdoctor.web import create_app
    return create_app(str(KB_DIR), test_config={"TESTING": True, "RATELIMIT_ENABLED": False})


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture()
def kb_copy(tmp_path):
    """A writable copy of the real KB, for breaking one file at a time."""
    dst = tmp_path / "kb"
    shutil.copytree(KB_DIR, dst)
    return dst
