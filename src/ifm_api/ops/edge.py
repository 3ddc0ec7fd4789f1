"""The outermost layer of every request: its id, its security headers, its log line, its metrics.

A WSGI middleware in front of everything else (the request limits, the proxy handling and
Flask), so that every answer gets them, the ones the request limits give before Flask runs
included:

- ``X-Request-ID``: the client's (or the proxy's) when well-formed, otherwise a new one;
  echoed in the response, put into every problem document (``request_id``) and into every log
  record written while the request runs;
- the security headers of ``ops.headers``;
- one access log record (logger ``ifm_api.access``) once the body has been sent;
- the request count and latency per route in ``ops.metrics``.

Flask tells this layer what only it knows (the route and the token's name) through the WSGI
environ, in ``record_route`` at the end of every request.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from flask import Flask, g, has_request_context, request

from ifm_api.ops import headers, metrics

log = logging.getLogger("ifm_api.access")

REQUEST_ID = "ifm.request_id"
ROUTE = "ifm.route"
TOKEN_NAME = "ifm.token_name"
# What a proxy or client may send as its id (UUIDs, nginx's $request_id, trace ids); anything
# else is replaced, so a log line never carries a forged structure or an unbounded value.
WELL_FORMED = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@+=/-]{0,127}")
UNMATCHED = "<unmatched>"

WsgiApp = Callable[[dict[str, Any], Any], Iterable[bytes]]


def new_request_id() -> str:
    return uuid.uuid4().hex


def request_id_of(environ: dict[str, Any]) -> str:
    """The id of this request: the incoming ``X-Request-ID`` when well-formed, else a new one."""
    incoming = environ.get("HTTP_X_REQUEST_ID", "")
    return incoming if WELL_FORMED.fullmatch(incoming) else new_request_id()


def current_request_id() -> str | None:
    """The id of the request being handled (None outside a request)."""
    if not has_request_context():
        return None
    return request.environ.get(REQUEST_ID)


class _Body:
    """The response body as sent: counts its bytes, reports once it is sent or closed."""

    def __init__(self, body: Iterable[bytes], done: Callable[[int], None]) -> None:
        self._body = body
        self._done: Callable[[int], None] | None = done
        self.sent = 0

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._body:
            self.sent += len(chunk)
            yield chunk
        self._finish()

    def close(self) -> None:
        try:
            close = getattr(self._body, "close", None)
            if close is not None:
                close()
        finally:
            self._finish()

    def _finish(self) -> None:
        done, self._done = self._done, None
        if done is not None:
            done(self.sent)


class Edge:
    """WSGI middleware; see the module."""

    def __init__(self, wsgi_app: WsgiApp) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        started = time.perf_counter()
        request_id = environ[REQUEST_ID] = request_id_of(environ)
        status: list[int] = [500]

        def start(status_line: str, response_headers: list[tuple[str, str]], *exc: Any) -> Any:
            status[0] = int(status_line[:3])
            response_headers = [
                (name, value) for name, value in response_headers if name.lower() != "x-request-id"
            ]
            response_headers.append(("X-Request-ID", request_id))
            headers.add_security_headers(environ.get("PATH_INFO", ""), response_headers)
            return start_response(status_line, response_headers, *exc)

        def done(sent: int) -> None:
            seconds = time.perf_counter() - started
            _record(environ, status[0], seconds, sent)

        return _Body(self.wsgi_app(environ, start), done)


def _record(environ: dict[str, Any], status: int, seconds: float, sent: int) -> None:
    route = environ.get(ROUTE) or UNMATCHED
    method = environ.get("REQUEST_METHOD", "")
    metrics.observe_request(method, route, status, seconds)
    path = environ.get("PATH_INFO", "")
    query = environ.get("QUERY_STRING", "")
    log.info(
        "%s %s%s %s %.1f ms",
        method,
        path,
        f"?{query}" if query else "",
        status,
        seconds * 1000,
        extra={
            "request_id": environ.get(REQUEST_ID),
            "method": method,
            "path": path,
            "query": query,
            "route": route,
            "status": status,
            "duration_ms": round(seconds * 1000, 2),
            "bytes": sent,
            "token": environ.get(TOKEN_NAME),
            "client": environ.get("REMOTE_ADDR"),
        },
    )


def record_route(_exc: BaseException | None = None) -> None:
    """Flask's side: hand the route and the token's name (never the token) to ``Edge``."""
    rule = request.url_rule
    request.environ[ROUTE] = rule.rule if rule is not None else UNMATCHED
    principal = g.get("ifm_principal")
    if principal is not None:
        request.environ[TOKEN_NAME] = principal.name


def init_app(app: Flask) -> None:
    app.teardown_request(record_route)
    app.wsgi_app = Edge(app.wsgi_app)  # type: ignore[method-assign]
