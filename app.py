"""WSGI entry point: `flask --app app run` for development, `gunicorn app:app` in production."""
from authdoctor.web import create_app

app = create_app()
