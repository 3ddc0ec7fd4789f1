"""The API's logs on stderr: readable text (default) or one JSON object per line.

Everything under the ``ifm_api`` logger goes to one handler: the access log
(``ifm_api.access``, one record per request, see ``ops.edge``) and the errors (a 500's
traceback). Every record written during a request carries its ``request_id``, so a
client's problem document leads to the traceback. JSON lines come from python-json-logger.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from pythonjsonlogger.json import JsonFormatter

from ifm_api.config import Settings

ROOT = "ifm_api"
TEXT_FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"
JSON_FIELDS = "%(levelname)s %(name)s %(message)s"


class RequestIdFilter(logging.Filter):
    """Give every record a ``request_id``: the one passed, the request's, or None."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            from ifm_api.ops.edge import current_request_id

            record.request_id = current_request_id()
        return True


class StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is when a record comes (test runners swap it)."""

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def formatter(log_format: str) -> logging.Formatter:
    if log_format == "json":
        return JsonFormatter(
            JSON_FIELDS,
            rename_fields={"levelname": "level", "name": "logger"},
            timestamp="time",
            json_ensure_ascii=False,
        )
    return logging.Formatter(TEXT_FORMAT)


def configure(settings: Settings) -> None:
    """(Re)configure the ``ifm_api`` logger; calling it again replaces its handler."""
    logger = logging.getLogger(ROOT)
    for handler in [h for h in logger.handlers if isinstance(h, StderrHandler)]:
        logger.removeHandler(handler)
    handler = StderrHandler()
    handler.setFormatter(formatter(settings.log_format))
    handler.addFilter(RequestIdFilter())
    logger.addHandler(handler)
    logger.setLevel(settings.log_level)
