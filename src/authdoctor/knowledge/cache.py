"""The validated KB kept between starts, keyed by everything that went into it.

Parsing, checking and rendering the KB is most of a start (the YAML, every
check, the Markdown of every summary and fix). A KB that loaded cleanly is
pickled under a key made of every file under the KB folder (path and bytes),
the source of this package (the loader, the checks and the types), the versions
of the libraries that render it and of Python: any change to any of them is a
new key, so a cached KB is never stale, only unused. The key is taken again
after a build and the KB is kept only when nothing changed meanwhile.

The cache lives in $AUTHDOCTOR_CACHE_DIR, else $XDG_CACHE_HOME/authdoctor, else
~/.cache/authdoctor (made private to its user); AUTHDOCTOR_KB_CACHE=0 turns it
off. An unreadable, unwritable or damaged cache is ignored: the KB is built.
"""
from __future__ import annotations

import gc
import hashlib
import os
import pickle
import sys
import tempfile
from importlib import metadata
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .. import config
from .model import KB

CACHE_DIR_ENV = "AUTHDOCTOR_CACHE_DIR"
CACHE_ENV = "AUTHDOCTOR_KB_CACHE"
_FORMAT = b"authdoctor-kb-cache-1"
_LIBRARIES = ("markdown", "nh3", "pyyaml")


def _proxy(data: dict[Any, Any]) -> MappingProxyType[Any, Any]:
    return MappingProxyType(data)


class _Pickler(pickle.Pickler):
    # the KB's read-only mappings do not pickle by themselves
    def reducer_override(self, obj: Any) -> Any:
        if type(obj) is MappingProxyType:
            return _proxy, (dict(obj),)
        return NotImplemented


def cache_dir() -> Path | None:
    if os.environ.get(CACHE_ENV, "1") == "0":
        return None
    base = os.environ.get(CACHE_DIR_ENV)
    if base:
        return Path(base)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return Path(xdg) / "authdoctor" if xdg else Path.home() / ".cache" / "authdoctor"


def _code_digest() -> bytes:
    digest = hashlib.sha256(_FORMAT)
    digest.update(sys.version.encode())
    for lib in _LIBRARIES:
        try:
            digest.update(f"{lib}={metadata.version(lib)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{lib}=-".encode())
    # the package's own code that builds and types a KB (and config, which finds it)
    here = Path(__file__).resolve().parent
    for f in sorted(here.glob("*.py")) + [here.parent / "config.py"]:
        digest.update(f.name.encode())
        digest.update(f.read_bytes())
    return digest.digest()


_CODE: bytes | None = None


def key(root: Path) -> str:
    """The cache key of the KB in `root` as it is now: its files' paths and bytes, and the code."""
    global _CODE
    if _CODE is None:
        _CODE = _code_digest()
    digest = hashlib.sha256(_CODE)
    digest.update(str(root).encode())
    for f in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(b"\0" + f.relative_to(root).as_posix().encode() + b"\0")
        digest.update(f.read_bytes())
    return digest.hexdigest()


def _read(path: Path) -> KB | None:
    # one read, then unpickled with the cyclic collector paused: its tens of thousands of new
    # objects would otherwise set off collections that find nothing to free (a fifth of the load)
    paused = gc.isenabled()
    try:
        data = path.read_bytes()
        gc.disable()
        kb = pickle.loads(data)
    except Exception:  # missing, unreadable, or from an incompatible build: build it instead
        return None
    finally:
        if paused:
            gc.enable()
    return kb if isinstance(kb, KB) else None


def _write(path: Path, kb: KB) -> None:
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".kb-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                _Pickler(f, protocol=pickle.HIGHEST_PROTOCOL).dump(kb)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
    except (OSError, pickle.PicklingError):
        pass  # a read-only home, a full disk: the next start builds it again


def load(path: str | os.PathLike[str] | None = None) -> KB:
    """knowledge.loader.load, from the cache when the KB and the code are what they were."""
    where = cache_dir()
    root = Path(path or config.kb_path()).resolve()
    before = key(root) if where is not None and (root / "hints.yaml").is_file() else None
    if where is not None and before is not None:
        kb = _read(where / f"kb-{before}.pickle")
        if kb is not None:
            return kb
    from . import loader  # the YAML reader and the checks: only when the KB is built
    kb = loader.load(root)
    if where is not None and before is not None and key(root) == before:  # nothing changed while it was built
        _write(where / f"kb-{before}.pickle", kb)
    return kb
