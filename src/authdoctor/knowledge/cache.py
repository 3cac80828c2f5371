"""The validated KB kept between starts, keyed by everything that went into it.

Parsing, checking and rendering the KB is most of a start (the YAML, every
check, the Markdown of every summary and fix). A KB that loaded cleanly is
pickled under a key made of every file under the KB folder (its path relative to
the folder, and its bytes), the source of this package (the loader, the checks
and the types), the installed files of the libraries that read and render it
(each one's path, size and time: an upgrade writes them anew) and the version of
Python: any change to any of them is a new key, so a cached KB is never stale,
only unused. The folder's own path is not in the key (a KB merged with
AUTHDOCTOR_KB_OVERLAY is a new temporary folder at every start): a KB found
under another folder's key is handed out with its `path` set to the folder asked
for, the one thing in it that names where it was read. The key is taken again
after a build and the KB is kept only when nothing changed meanwhile.

What the engine derives from a KB at some cost (the matcher's index, the marker
patterns' screens) is kept beside it by `derived()`, under the KB's key and the
source of the code that derives it: plain data, built again when either changed.

The folder stays bounded: every write keeps the few most recently used entries
of its kind (`KEEP`; a hit marks its file used) and removes the others, and the
temporary files of writers that died. Entries are written whole under a
temporary name and renamed, so a reader sees a whole file or none; a file
removed while another process reads it stays readable to it (POSIX), and one
removed before it was opened is a miss: that process builds it again.

The cache lives in $AUTHDOCTOR_CACHE_DIR, else $XDG_CACHE_HOME/authdoctor, else
~/.cache/authdoctor (made private to its user); AUTHDOCTOR_KB_CACHE=0 turns it
off. An unreadable, unwritable or damaged cache is ignored: the KB is built.
"""
from __future__ import annotations

import dataclasses
import gc
import hashlib
import os
import pickle
import sys
import tempfile
import time
import weakref
from collections.abc import Callable, Iterable
from importlib.util import find_spec
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

from .. import config
from .model import KB

CACHE_DIR_ENV = "AUTHDOCTOR_CACHE_DIR"
CACHE_ENV = "AUTHDOCTOR_KB_CACHE"
_FORMAT = b"authdoctor-kb-cache-1"
_LIBRARIES = ("markdown", "nh3", "yaml")  # as imported (PyYAML is yaml)
_DERIVED = b"authdoctor-derived-1"

# How many entries of each kind (the name up to its digest) a write leaves: the most recently
# used. A few KBs in use at once (the bundled one, one with an overlay, a KB being edited), each
# with its two derived tables (diagnose's index and cut, extract's screens); the Terraform
# folders last read and the binaries last asked. With the bundled KB about 13 MB at most: a KB is
# 0.7 MB, a derived table at most 0.5 MB, a Terraform entry about 1 KB.
KEEP = {"kb": 8, "derived": 16, "terraform-dir": 16, "terraform-version": 4}
_KEEP_OTHER = 8
_STALE_TMP = 3600.0  # seconds: a temporary file this old is a writer that died before its rename

T = TypeVar("T")


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
        # the module's own file, found without importing it (importlib.metadata's version lookup
        # searched every folder on sys.path for each: half the key's time)
        spec = find_spec(lib)
        origin = spec.origin if spec is not None else None
        try:
            st = os.stat(origin) if origin else None
        except OSError:
            st = None
        digest.update(f"{lib}={origin}:{st.st_size}:{st.st_mtime_ns}".encode() if st else f"{lib}=-".encode())
    # the package's own code that builds and types a KB (and config, which finds it)
    here = Path(__file__).resolve().parent
    for f in sorted(here.glob("*.py")) + [here.parent / "config.py"]:
        digest.update(f.name.encode())
        digest.update(f.read_bytes())
    return digest.digest()


_CODE: bytes | None = None


def key(root: Path) -> str:
    """The cache key of the KB in `root` as it is now: its files' paths below `root` and bytes, and the code."""
    global _CODE
    if _CODE is None:
        _CODE = _code_digest()
    digest = hashlib.sha256(_CODE)
    for rel, f in _files(root):
        digest.update(b"\0" + rel.encode() + b"\0")
        with open(f, "rb") as data:
            digest.update(data.read())
    return digest.hexdigest()


def _files(root: Path) -> list[tuple[str, str]]:
    """(path relative to `root` with / between parts, path) of every file under `root`, in order.
    (os.walk and plain strings: Path.rglob took a third of the key's time.)"""
    top = str(root)
    out = []
    for folder, _, names in os.walk(top):
        rel = os.path.relpath(folder, top).replace(os.sep, "/")
        for name in names:
            path = os.path.join(folder, name)
            if os.path.isfile(path):  # (a broken link is not a file of the KB)
                out.append((name if rel == "." else f"{rel}/{name}", path))
    out.sort()
    return out


def _unpickle(path: Path) -> Any:
    # one read, then unpickled with the cyclic collector paused: its tens of thousands of new
    # objects would otherwise set off collections that find nothing to free (a fifth of the load)
    paused = gc.isenabled()
    try:
        data = path.read_bytes()
        gc.disable()
        value = pickle.loads(data)
    except Exception:  # missing, unreadable, or from an incompatible build: build it instead
        return None
    finally:
        if paused:
            gc.enable()
    used(path)
    return value


def used(path: Path) -> None:
    """Mark the entry at `path` as just used, so that pruning keeps it (its mtime; atime is often not kept)."""
    try:
        os.utime(path)
    except OSError:
        pass  # a read-only cache: nothing is pruned there either


def prune(written: Path) -> None:
    """Remove the entries of `written`'s kind beyond the `KEEP` most recently used (by mtime), and
    temporary files left by writers that died; never `written` itself. Two processes pruning at
    once may both try to remove a file: the second finds it gone and goes on."""
    kind, _, _ = written.name.rpartition("-")
    keep = KEEP.get(kind, _KEEP_OTHER)
    prefix, now = kind + "-", time.time()
    entries = []
    try:
        with os.scandir(written.parent) as found:
            for e in found:
                name = e.name
                try:
                    if name.startswith(".") and name.endswith(".tmp"):
                        if now - e.stat().st_mtime > _STALE_TMP:
                            os.unlink(e.path)
                    elif (name.startswith(prefix) and name.endswith(".pickle") and name != written.name
                          and "-" not in name[len(prefix):]):
                        entries.append((e.stat().st_mtime_ns, e.path))
                except OSError:
                    continue  # gone meanwhile
    except OSError:
        return
    entries.sort(reverse=True)
    for _, path in entries[max(keep - 1, 0):]:  # `written` is one of the kept
        try:
            os.unlink(path)
        except OSError:
            pass


def _read(path: Path) -> KB | None:
    kb = _unpickle(path)
    return kb if isinstance(kb, KB) else None


def _write(path: Path, kb: Any) -> None:
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
        return  # a read-only home, a full disk: the next start builds it again
    prune(path)


def load(path: str | os.PathLike[str] | None = None) -> KB:
    """knowledge.loader.load, from the cache when the KB and the code are what they were."""
    where = cache_dir()
    root = Path(path or config.kb_path()).resolve()
    before = key(root) if where is not None and (root / "hints.yaml").is_file() else None
    if where is not None and before is not None:
        kb = _read(where / f"kb-{before}.pickle")
        if kb is not None:
            if kb.path != str(root):  # the same files under another folder (an overlay's merge is new at every start)
                kb = dataclasses.replace(kb, path=str(root))
            return _keyed(kb, before, where)
    from . import loader  # the YAML reader and the checks: only when the KB is built
    kb = loader.load(root)
    if where is not None and before is not None and key(root) == before:  # nothing changed while it was built
        _write(where / f"kb-{before}.pickle", kb)
        return _keyed(kb, before, where)
    return kb


# each KB `load` gave, by id: (the KB, its key, the cache folder); a KB no longer used drops out
_KEYS: dict[int, tuple[weakref.ref[KB], str, Path]] = {}


def _keyed(kb: KB, kb_key: str, where: Path) -> KB:
    at = id(kb)
    _KEYS[at] = (weakref.ref(kb, lambda _: _KEYS.pop(at, None)), kb_key, where)
    return kb


def derived(kb: KB, build: Callable[[KB], T], code: Iterable[str | os.PathLike[str]]) -> T:
    """`build(kb)`, kept in the cache beside the KB when `load` gave it: under the KB's key, the
    name of `build` and the bytes of `code` (the source files of everything `build` runs that the
    KB's key does not cover), so that a change to the KB or to that code is a new key. What it
    keeps must be plain data, holding none of the KB's own objects (they would come back as
    copies). A KB not from `load`, or the cache off: built every time."""
    entry = _KEYS.get(id(kb))
    if entry is None or entry[0]() is not kb:
        return build(kb)
    _, kb_key, where = entry
    name = f"{build.__module__}.{build.__qualname__}"
    digest = hashlib.sha256(_DERIVED)
    digest.update(kb_key.encode() + b"\0" + name.encode())
    try:
        for f in code:
            digest.update(b"\0" + Path(f).read_bytes())
    except OSError:
        return build(kb)
    path = where / f"derived-{digest.hexdigest()}.pickle"
    kept = _unpickle(path)
    if isinstance(kept, tuple) and len(kept) == 2 and kept[0] == name:
        return kept[1]  # type: ignore[no-any-return]
    value = build(kb)
    _write(path, (name, value))
    return value
