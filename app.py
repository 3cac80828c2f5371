"""WSGI entry point: `flask --app app run` for development, `gunicorn app:app` in production."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "src"))

from authdoctor.web import create_app  # noqa: E402

app = create_app()
