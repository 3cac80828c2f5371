"""The knowledge base: its types, a strict YAML reader, the loader and Markdown rendering.

The ground floor of the house: data and its types, importing nothing of the
engine, so every pipeline step and every KB-author tool can stand on it.
"""
import os

from .cache import derived, load
from .model import KB, Cause, Decline, ErrorCode, Fix, Hint, KBError, Marker, Pattern, Problem, Variant


def check(path: str | os.PathLike[str] | None = None) -> list[Problem]:
    """Every problem in the KB (empty list: it is sound): see loader.check."""
    from .loader import check as check_kb  # the checks, only when asked for (a start reads the cached KB)
    return check_kb(path)

__all__ = ["KB", "Cause", "Decline", "ErrorCode", "Fix", "Hint", "KBError", "Marker", "Pattern", "Problem", "Variant", "check", "derived", "load"]
