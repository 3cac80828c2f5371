"""The terminal door: `authdoctor diagnose|kb|eval|simulate|walk|serve`."""
from .main import main

__all__ = ["main"]
