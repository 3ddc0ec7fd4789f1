"""Security headers, by kind of response.

Every response (errors and the request limits' answers included, see ``ops.edge``):
``X-Content-Type-Options: nosniff`` and ``Referrer-Policy: strict-origin-when-cross-origin``.

``Content-Security-Policy``, for what a browser does when it opens a response directly:

- API answers (JSON, feeds, problems) are data, never pages: ``default-src 'none';
  frame-ancestors 'none'`` (nothing loads, nothing frames them);
- media (uploaded files and renditions, under ``/api/v1/media/``): ``default-src 'none';
  sandbox``, so a polyglot PDF or SVG-in-disguise opened from the API's host runs no script
  and has no origin;
- the docs page (Swagger UI): its own files from this host, its one inline script by hash
  (``docs_policy``), inline styles (Swagger UI sets them), images from this host and
  ``data:``, and ``frame-ancestors 'none'``.

A policy the app set itself (the docs page's) is kept. A hand-written middleware rather than
flask-talisman: Talisman works in Flask's ``after_request``, which the request limits'
answers never reach, and it would still need the per-path policies written here.
"""

from __future__ import annotations

import base64
import hashlib
import re

from flask import Response

BASE = (
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
)
API_POLICY = "default-src 'none'; frame-ancestors 'none'"
MEDIA_POLICY = "default-src 'none'; sandbox"
MEDIA_PREFIX = "/api/v1/media/"
DOCS_ENDPOINT = "api-docs.openapi_swagger_ui"
INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.DOTALL)


def policy_for(path: str) -> str:
    return MEDIA_POLICY if path.startswith(MEDIA_PREFIX) else API_POLICY


def add_security_headers(path: str, headers: list[tuple[str, str]]) -> None:
    """Complete a WSGI header list in place (a header the app set is not replaced)."""
    present = {name.lower() for name, _value in headers}
    for name, value in (*BASE, ("Content-Security-Policy", policy_for(path))):
        if name.lower() not in present:
            headers.append((name, value))


def docs_policy(html: bytes) -> str:
    """The docs page's policy: exactly its inline scripts, by their sha256."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(script).digest()).decode() + "'"
        for script in INLINE_SCRIPT.findall(html)
    )
    return (
        "default-src 'none'; "
        f"script-src 'self' {hashes}; "
        "style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; "
        "connect-src 'self'; "
        "font-src 'self'; "
        "base-uri 'none'; "
        "form-action 'none'; "
        "frame-ancestors 'none'"
    )


def docs_headers(response: Response) -> Response:
    """``after_request``: the docs page gets its policy (computed from its own body)."""
    from flask import request

    if request.endpoint == DOCS_ENDPOINT and response.status_code == 200:
        response.headers["Content-Security-Policy"] = docs_policy(response.get_data())
    return response
