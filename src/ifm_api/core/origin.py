"""Where absolute URLs point: the API's external base URL and the proxies trusted to say so.

Every absolute URL the API writes (pagination and hreflang ``Link``s, ``url`` fields, feed
links, ``Location``) is built from the request's ``wsgi.url_scheme``, ``HTTP_HOST`` and
``SCRIPT_NAME``. These middlewares decide those values once, in front of everything else
(the response cache included), so no code further in can pick up a client's ``Host``:

- ``IFM_PROXY_COUNT`` > 0: werkzeug's ProxyFix takes ``X-Forwarded-*`` from exactly that
  many proxies (the values the last ones appended), no more; 0 ignores those headers.
- ``IFM_PUBLIC_URL`` set: every request is seen as addressed to it, whatever its ``Host``
  or ``X-Forwarded-Host``. Other hosts are answered, not refused: the answer is then the one
  the right host gets (a probe by IP keeps working, a forged Host reaches no URL and no
  cache entry).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from werkzeug.middleware.proxy_fix import ProxyFix

from ifm_api.config import Settings

WsgiApp = Callable[[dict[str, Any], Any], Iterable[bytes]]


class PublicOrigin:
    """WSGI middleware: the request's scheme, host and prefix are those of ``public_url``.

    A path in the URL (``https://www.ifm.example/content-api``) becomes ``SCRIPT_NAME``
    (without one, ``SCRIPT_NAME`` is empty: no X-Forwarded-Prefix either); a proxy may strip
    the path or pass it on (then it is moved out of ``PATH_INFO``).
    """

    def __init__(self, wsgi_app: WsgiApp, public_url: str) -> None:
        parts = urlsplit(public_url)
        self.wsgi_app = wsgi_app
        self.scheme = parts.scheme
        self.host = parts.netloc
        self.server_name = parts.hostname or ""
        self.server_port = str(parts.port or (443 if parts.scheme == "https" else 80))
        self.prefix = parts.path.rstrip("/")

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        environ["wsgi.url_scheme"] = self.scheme
        environ["HTTP_HOST"] = self.host
        environ["SERVER_NAME"] = self.server_name
        environ["SERVER_PORT"] = self.server_port
        path = environ.get("PATH_INFO", "")
        if self.prefix and (path == self.prefix or path.startswith(self.prefix + "/")):
            environ["PATH_INFO"] = path[len(self.prefix) :]
        environ["SCRIPT_NAME"] = self.prefix
        return self.wsgi_app(environ, start_response)


def wrap(wsgi_app: WsgiApp, settings: Settings) -> WsgiApp:
    """The app behind the trusted proxies (if any), then pinned to the public URL (if set)."""
    if settings.public_url:
        wsgi_app = PublicOrigin(wsgi_app, settings.public_url)
    if settings.proxy_count:
        n = settings.proxy_count
        wsgi_app = ProxyFix(wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n, x_prefix=n)  # type: ignore[arg-type]
    return wsgi_app
