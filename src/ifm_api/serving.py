"""Serving processes: gunicorn's own errors as RFC 9457 problem documents, and the
garbage collector set up for a long-running server.

gunicorn refuses what it cannot parse before the app sees it: a malformed request line or
head, and (since gunicorn 22) a control character in a header value, which RFC 9110 5.5 makes
invalid. It writes those answers with ``gunicorn.util.write_error`` as HTML.
``gunicorn.conf.py`` calls :func:`answer_errors_with_problems`, so they are
``application/problem+json`` like every answer of the app (in English: no language can be
negotiated from a request that could not be read).

gunicorn (since 24) ends every connection with a lingering close (RFC 9112 9.6): it sends its
FIN, then waits up to 2 s for the client's, reading whatever the client still sends, so that
request bytes the app left unread cannot make the kernel answer with a reset that destroys the
response before the client has read it. A sync worker serves no one while it waits: one client
that keeps its end open holds a worker for 2 s, and under load every response costs the worker
a round trip to the client's close. :func:`close_at_once_what_was_read` keeps the lingering
close for the connections where bytes may be left (a body the app did not read to its end,
bytes waiting in the socket, a request gunicorn refused) and closes the others at once: with
nothing unread there is nothing a reset could be sent for.
"""

from __future__ import annotations

import contextlib
import gc
import socket
import weakref
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


_READ_TO_THE_END: weakref.WeakSet[socket.socket] = weakref.WeakSet()


def _body_read_to_the_end(req: Any) -> bool:
    """Whether gunicorn has read the request's body to its end (no body counts as read)."""
    from gunicorn.http.body import ChunkedReader, LengthReader

    body = getattr(req, "body", None)
    if body is None:
        return True
    if body.failed:
        return False
    reader = body.reader
    if isinstance(reader, LengthReader):
        return bool(reader.length == 0)
    if isinstance(reader, ChunkedReader):
        return reader.parser is None
    return False


def note_request_read(req: Any) -> None:
    """gunicorn's ``post_request``: remember a connection whose request was read entirely."""
    sock = getattr(getattr(req, "unreader", None), "sock", None)
    if isinstance(sock, socket.socket) and _body_read_to_the_end(req):
        _READ_TO_THE_END.add(sock)


def _nothing_waiting(sock: socket.socket) -> bool:
    """Whether the kernel holds no byte the client sent that nobody read (or it closed)."""
    try:
        return sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except BlockingIOError:
        return True
    except OSError:
        return False


def close_at_once_what_was_read() -> None:
    """Make gunicorn close a connection without lingering when its request was read to the
    end and nothing more waits in the socket; any other keeps gunicorn's lingering close."""
    from gunicorn import util

    lingering = util.close_graceful

    def close(sock: Any, timeout: float = 2.0, max_drain: int = 65536) -> None:
        read = sock in _READ_TO_THE_END
        _READ_TO_THE_END.discard(sock)
        if not (read and _nothing_waiting(sock)):
            lingering(sock, timeout=timeout, max_drain=max_drain)
            return
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_WR)
        sock.close()

    util.close_graceful = close
