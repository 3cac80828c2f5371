"""Where the feedback store lives: a SQLite file in a data folder by default, or the database AUTHDOCTOR_DATABASE_URL names."""
from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

DATA_DIR_ENV = "AUTHDOCTOR_DATA_DIR"
DB_FILE = "authdoctor.db"


def default_data_dir(environ: Mapping[str, str] | None = None, platform: str | None = None) -> Path:
    """$AUTHDOCTOR_DATA_DIR, else the platform's folder for an application's own data."""
    env = os.environ if environ is None else environ
    if env.get(DATA_DIR_ENV, "").strip():
        return Path(env[DATA_DIR_ENV].strip()).expanduser()
    platform = platform or sys.platform
    home = Path(env.get("HOME") or Path.home())
    if platform == "win32":
        base = Path(env["LOCALAPPDATA"]) if env.get("LOCALAPPDATA") else home / "AppData" / "Local"
    elif platform == "darwin":
        base = home / "Library" / "Application Support"
    else:
        base = Path(env["XDG_DATA_HOME"]) if env.get("XDG_DATA_HOME") else home / ".local" / "share"
    return base / "authdoctor"


def store_url(database_url: str | None = None, data_dir: str | os.PathLike[str] | None = None) -> str:
    """The SQLAlchemy URL of the store: PostgreSQL through psycopg 3 when a database URL is given,
    else a SQLite file in `data_dir` (default: default_data_dir())."""
    if database_url:
        scheme, sep, rest = database_url.partition("://")
        # postgres:// and postgresql:// mean the driver the project pins (psycopg 3), not SQLAlchemy's default psycopg2
        if sep and scheme in ("postgres", "postgresql"):
            return f"postgresql+psycopg://{rest}"
        return database_url
    folder = Path(data_dir) if data_dir else default_data_dir()
    return f"sqlite:///{folder / DB_FILE}"
