"""WSGI entry point: ``gunicorn wsgi:app``."""

from ifm_api import create_app
from ifm_api.serving import freeze_startup_objects

app = create_app()
freeze_startup_objects()
