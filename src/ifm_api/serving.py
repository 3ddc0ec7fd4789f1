"""Serving processes: gunicorn's own errors as RFC 9457 problem documents, and the
garbage collector set up for a long-running server.

gunicorn refuses what it cannot parse before the app sees it: a malformed request line or
head, and (since gunicorn 22) a control character in a header value, which RFC 9110 5.5 makes
invalid. It writes those answers with ``gunicorn.util.write_error`` as HTML.
``gunicorn.conf.py`` calls :func:`answer_errors_with_problems`, so they are
``application/problem+json`` like every answer of the app (in English: no language can be
negotiated from a request that could not be read).
"""

from __future__ import annotations

import gc
from typing import Any

import orjson

KEYS = {
    400: "bad_request",
    403: "forbidden",
    414: "uri_too_long",
    417: "expectation_failed",
    431: "headers_too_large",
    500: "internal_error",
    501: "not_implemented",
}


def problem_bytes(status: int, reason: str, message: str) -> bytes:
    """A complete HTTP/1.1 response carrying a problem document; the connection then closes."""
    body = orjson.dumps(
        {
            "type": f"urn:ifm-api:problem:{KEYS.get(status, 'bad_request')}",
            "title": reason,
            "status": status,
            "detail": message or reason,
        }
    )
    head = (
        f"HTTP/1.1 {status} {reason}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/problem+json\r\n"
        "Content-Language: en\r\n"
        "Cache-Control: no-store\r\n"
        "X-Content-Type-Options: nosniff\r\n"
        "Referrer-Policy: strict-origin-when-cross-origin\r\n"
        "Content-Security-Policy: default-src 'none'; frame-ancestors 'none'\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("latin-1") + body


def write_problem(sock: Any, status_int: int, reason: str, mesg: str) -> None:
    """Drop-in for ``gunicorn.util.write_error`` (same arguments)."""
    from gunicorn import util

    util.write_nonblock(sock, problem_bytes(status_int, reason, mesg))


def answer_errors_with_problems() -> None:
    """Make gunicorn write its own error answers as problem documents (workers inherit it)."""
    from gunicorn import util

    util.write_error = write_problem


def freeze_startup_objects() -> None:
    """Take everything made at start-up (the app, its routes, schemas, catalogs, the ORM's
    mappers) out of the garbage collector's generations, once the app is loaded.

    A full collection then scans only what was made since, not the whole app on every
    pass: without this, collections took about a third of a large write (a person's rename
    re-rendering hundreds of items) and a share of every read. Forked workers also keep
    those pages shared.
    """
    gc.collect()
    gc.freeze()
