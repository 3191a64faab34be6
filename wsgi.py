"""WSGI entry point for gunicorn: `gunicorn wsgi:app`."""

from olap.core.app import create_app

app = create_app()
