"""WSGI entry point in a checkout: `flask --app app run` for development, `gunicorn -c gunicorn.conf.py app:app` in production."""
from authdoctor.web.wsgi import app

__all__ = ["app"]
