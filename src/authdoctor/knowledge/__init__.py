"""The knowledge base: its types, a strict YAML reader, the loader and Markdown rendering.

The ground floor of the house: data and its types, importing nothing of the
engine, so every pipeline step and every KB-author tool can stand on it.
"""
from .loader import check, load
from .model import KB, Cause, ErrorCode, Fix, Hint, KBError, Marker, Variant
from .yamlread import Problem

__all__ = ["KB", "Cause", "ErrorCode", "Fix", "Hint", "KBError", "Marker", "Problem", "Variant", "check", "load"]
