"""Where the package finds its data: the knowledge base, the page's templates and static files.

A checkout keeps them at the top (kb/, templates/, static/, as the design card
lays out); the package reaches them through `authdoctor/data/`, links to those
folders in a checkout and the folders themselves in a built wheel, so one
lookup (importlib.resources) serves a checkout, an editable install and a
wheel alike. AUTHDOCTOR_KB names another knowledge base.

AUTHDOCTOR_KB_OVERLAY names a company's own folder laid over it: its files
(errors/, causes/, reports/ ...) are added to the knowledge base, a file of the
same path replacing the bundled one, and the ids of its cause-ids.yaml joining
the bundled list. The merged knowledge base is a fresh temporary folder, loaded
and linted (`kb check`) exactly as the bundled one is.
"""
from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from importlib.resources import files
from pathlib import Path

KB_ENV = "AUTHDOCTOR_KB"
OVERLAY_ENV = "AUTHDOCTOR_KB_OVERLAY"


def data_path(name: str) -> str:
    """The bundled data folder `name` (kb, templates or static)."""
    return str(files("authdoctor") / "data" / name)


def kb_path() -> str:
    """The knowledge base to load: $AUTHDOCTOR_KB when set, else the bundled one; with $AUTHDOCTOR_KB_OVERLAY laid over it."""
    base = os.environ.get(KB_ENV) or data_path("kb")
    overlay = os.environ.get(OVERLAY_ENV)
    return merge_overlay(base, overlay) if overlay else base


def _cause_ids_lines(text: str) -> tuple[list[str], list[str]]:
    """(comment lines, ids) of a cause-ids.yaml, read line by line so the comments (`kb-only:` notes) survive."""
    comments = [line for line in text.splitlines() if line.lstrip().startswith("#")]
    ids = [line.strip()[2:].strip() for line in text.splitlines() if line.startswith("  - ")]
    return comments, ids


def merge_overlay(base: str | os.PathLike[str], overlay: str | os.PathLike[str]) -> str:
    """A new folder holding the knowledge base `base` with the folder `overlay` laid over it; its path."""
    src = Path(overlay)
    if not src.is_dir():
        raise FileNotFoundError(f"{OVERLAY_ENV}={str(overlay)!r}: no such folder")
    home = Path(tempfile.mkdtemp(prefix="authdoctor-kb-"))
    atexit.register(shutil.rmtree, home, True)
    merged = home / "kb"
    shutil.copytree(base, merged)
    for path in sorted(p for p in src.rglob("*") if p.is_file()):
        rel = path.relative_to(src)
        if rel.parts[0].startswith("."):
            continue  # .git, editors' files
        target = merged / rel
        if rel.as_posix() == "cause-ids.yaml" and target.is_file():
            comments, ids = _cause_ids_lines(path.read_text(encoding="utf-8"))
            known = set(_cause_ids_lines(target.read_text(encoding="utf-8"))[1])
            extra = "".join(f"{line}\n" for line in comments) + "".join(f"  - {i}\n" for i in ids if i not in known)
            text = target.read_text(encoding="utf-8")
            target.write_text(text + ("" if text.endswith("\n") else "\n") + f"# from the overlay {src}\n" + extra, encoding="utf-8")
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    return str(merged)
