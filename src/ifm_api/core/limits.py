"""The request's own size limits, answered with problem documents before anything else runs.

A WSGI middleware in front of the whole app (proxy handling and the response cache
included) refuses a request that is too big or malformed to be worth reading:

- a URL (path and query) longer than ``MAX_URL_LENGTH``: 414;
- a header field larger than ``MAX_FIELD_BYTES``, more than ``MAX_FIELDS`` fields or more
  than ``MAX_HEADER_BYTES`` together: 431;
- a control character in a header value (RFC 9110 5.5): 400;
- a ``Range`` of more than ``MAX_RANGES`` ranges (RFC 9110 15.5.17): 416.

The production server's own limits (``gunicorn.conf.py``) lie above these, so these are the
ones a client meets, as ``application/problem+json`` like every other error.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, g, request

MAX_URL_LENGTH = 4096
MAX_FIELD_BYTES = 8192
MAX_FIELDS = 100
MAX_HEADER_BYTES = 32768
MAX_RANGES = 100
# Field values are visible characters, spaces and tabs (RFC 9110 5.5); obs-text is let through.
CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
# Not carried as HTTP_* in the environ, but sent as header fields all the same.
PLAIN_FIELDS = {"CONTENT_TYPE": "Content-Type", "CONTENT_LENGTH": "Content-Length"}

WsgiApp = Callable[[dict[str, Any], Any], Iterable[bytes]]


@dataclass(frozen=True)
class Refusal:
    """Why a request is refused: status, message key and its arguments."""

    status: int
    key: str
    detail_args: dict[str, Any] = field(default_factory=dict)
    # Whether the request's headers may still be read to choose the message's language.
    headers_usable: bool = True


def _header_fields(environ: dict[str, Any]) -> list[tuple[str, str]]:
    fields = []
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            fields.append((key[5:].replace("_", "-").title(), str(value)))
        elif key in PLAIN_FIELDS:
            fields.append((PLAIN_FIELDS[key], str(value)))
    return fields


def _url_length(environ: dict[str, Any]) -> int:
    """The longer of the request target as sent (servers differ on whether it has the
    query) and the decoded path with the query."""
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI") or ""
    query = environ.get("QUERY_STRING", "")
    decoded = len(environ.get("PATH_INFO", "")) + (len(query) + 1 if query else 0)
    return max(len(raw), decoded)


def _header_refusal(fields: list[tuple[str, str]]) -> Refusal | None:
    sizes = [(name, len(name) + len(value) + 4) for name, value in fields]
    for name, size in sizes:
        if size > MAX_FIELD_BYTES:
            args = {"name": name, "limit": MAX_FIELD_BYTES}
            return Refusal(431, "header_too_large", args, headers_usable=False)
    if len(fields) > MAX_FIELDS or sum(size for _name, size in sizes) > MAX_HEADER_BYTES:
        args = {"count": MAX_FIELDS, "limit": MAX_HEADER_BYTES}
        return Refusal(431, "headers_too_large", args, headers_usable=False)
    for name, value in fields:
        if CONTROL.search(value):
            # An If-Match gets the message that says how to send it (as the ETag was received).
            key = "invalid_if_match" if name == "If-Match" else "invalid_header"
            return Refusal(400, key, {"name": name}, headers_usable=False)
    return None


def refusal(environ: dict[str, Any]) -> Refusal | None:
    """The first limit this request breaks, or None."""
    found = _header_refusal(_header_fields(environ))
    if found is not None:
        return found
    if _url_length(environ) > MAX_URL_LENGTH:
        return Refusal(414, "uri_too_long", {"limit": MAX_URL_LENGTH})
    ranges = environ.get("HTTP_RANGE")
    if ranges and ranges.count(",") + 1 > MAX_RANGES:
        return Refusal(416, "too_many_ranges", {"limit": MAX_RANGES})
    return None


class RequestLimits:
    """WSGI middleware: a request over a limit gets its problem document, nothing else runs."""

    def __init__(self, wsgi_app: WsgiApp, app: Flask) -> None:
        self.wsgi_app = wsgi_app
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        found = refusal(environ)
        if found is None:
            return self.wsgi_app(environ, start_response)
        from ifm_api.core.errors import problem_response
        from ifm_api.core.i18n import default_language, supported_languages

        with self.app.request_context(environ):
            if not found.headers_usable:
                # Accept-Language may be what is at fault: only `lang=` or the default then.
                asked = (request.args.get("lang") or "").strip().lower()
                g.ifm_lang = asked if asked in supported_languages() else default_language()
            response = problem_response(found.status, found.key, detail_args=found.detail_args)
        return response(environ, start_response)


def wrap(app: Flask) -> None:
    app.wsgi_app = RequestLimits(app.wsgi_app, app)  # type: ignore[method-assign]
