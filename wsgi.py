"""WSGI entry point: ``gunicorn wsgi:app``."""

from ifm_api import create_app

app = create_app()
