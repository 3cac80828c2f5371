"""Where the package finds its data: the knowledge base, the page's templates and static files.

A checkout keeps them at the top (kb/, templates/, static/, as the design card
lays out); the package reaches them through `authdoctor/data/`, links to those
folders, so one lookup (importlib.resources) serves a checkout, an editable
install and a built wheel alike. AUTHDOCTOR_KB names another knowledge base.
"""
from __future__ import annotations

import os
from importlib.resources import files

KB_ENV = "AUTHDOCTOR_KB"


def data_path(name: str) -> str:
    """The bundled data folder `name` (kb, templates or static)."""
    return str(files("authdoctor") / "data" / name)


def kb_path() -> str:
    """The knowledge base to load: $AUTHDOCTOR_KB when set, else the bundled one."""
    return os.environ.get(KB_ENV) or data_path("kb")
