"""Rate limits (flask-limiter): failed authentications per client address, writes per token.

- ``IFM_RATELIMIT_AUTH`` (``20/minute``): every answer ``401`` to a request that presented a
  token counts against the client's address. Once over it, every request from that address
  that presents a token is a ``429`` before the token is looked at, so guessing stops;
  requests without a token (public reads) are not limited.
- ``IFM_RATELIMIT_WRITES`` (``600/minute``): POST, PUT, PATCH and DELETE per presented token
  (keyed by the token's hash, never the token).
- The client address is ``REMOTE_ADDR`` as ProxyFix leaves it: an ``X-Forwarded-For`` counts
  only through ``IFM_PROXY_COUNT`` trusted proxies, so a client cannot reset its limit by
  sending one.
- Counters in memory (per process) or, with ``IFM_RATELIMIT_STORAGE_URL=redis://…``, in
  Redis, shared by every worker and machine. When Redis is unreachable, flask-limiter
  falls back to memory instead of failing requests.
- Over a limit: ``429`` problem document in the request's language, with ``Retry-After``
  (seconds until the window frees a request).
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable
from functools import partial

from flask import Flask, Response, current_app, request
from flask_limiter import ApplicationLimit, Limiter, RateLimitExceeded

from ifm_api.config import Settings

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
EXTENSION = "ifm_limiter"


def client_address() -> str:
    return request.remote_addr or "unknown"


def presents_token() -> bool:
    return bool(request.headers.get("Authorization"))


def token_key() -> str:
    """The presented credential's hash: one bucket per token, the token itself never stored."""
    return hashlib.sha256(request.headers.get("Authorization", "").encode()).hexdigest()[:32]


def failed_authentication(response: Response) -> bool:
    return response.status_code == 401


class TokenLimiter(Limiter):
    """flask-limiter, asked only about requests that present a token.

    Both limits exempt the others (every public read): without this, flask-limiter would
    still resolve and evaluate the endpoint's limits before each of them.
    """

    def _check_request_limit(
        self, callable_name: str | None = None, in_middleware: bool = True
    ) -> None:
        if presents_token():
            super()._check_request_limit(callable_name, in_middleware)


def limiter_for(settings: Settings) -> Limiter:
    return TokenLimiter(
        key_func=client_address,
        application_limits=[
            ApplicationLimit(
                settings.ratelimit_auth,
                key_function=client_address,
                scope="auth-failures",
                exempt_when=lambda: not presents_token(),
                deduct_when=failed_authentication,
            ),
            ApplicationLimit(
                settings.ratelimit_writes,
                key_function=token_key,
                scope="writes",
                methods=WRITE_METHODS,
                exempt_when=lambda: not presents_token(),
            ),
        ],
        storage_uri=settings.ratelimit_storage_url,
        storage_options={"socket_connect_timeout": 1, "socket_timeout": 1}
        if settings.ratelimit_storage_url.startswith("redis")
        else {},
        strategy="moving-window",
        enabled=settings.ratelimit_enabled,
        headers_enabled=False,
        in_memory_fallback_enabled=True,
        swallow_errors=True,
        key_prefix=current_prefix(settings),
    )


def current_prefix(settings: Settings) -> str:
    return str(settings.extra.get("RATELIMIT_KEY_PREFIX", "ifm"))


def retry_after() -> int:
    """Whole seconds until the breached window lets a request through again (at least 1)."""
    limiter: Limiter = current_app.extensions[EXTENSION]
    limit = limiter.current_limit
    if limit is None:
        return 1
    # The window's own reset time (``reset_at`` adds a second to it).
    return max(1, math.ceil(limit.window[0] - time.time()))


def too_many_requests(error: RateLimitExceeded) -> Response:
    from ifm_api.core.errors import problem_response

    seconds = retry_after()
    return problem_response(
        429,
        "rate_limited",
        detail_args={"seconds": seconds},
        extra={"limit": str(error.limit.limit), "retry_after": seconds},
        headers={"Retry-After": str(seconds)},
    )


def _after_requests_with_token(app: Flask, limiter: Limiter) -> None:
    """flask-limiter's ``after_request`` (deductions such as the failed authentications,
    its headers) only for requests that present a token: both limits exempt the others, so
    for them it would only build its per-request context to find nothing to do."""
    hooks = app.after_request_funcs.setdefault(None, [])
    for index, hook in enumerate(hooks):
        if isinstance(hook, partial) and hook.args == (limiter,):
            hooks[index] = _only_with_token(hook)


def _only_with_token(hook: Callable[[Response], Response]) -> Callable[[Response], Response]:
    def after_request(response: Response) -> Response:
        return hook(response) if presents_token() else response

    return after_request


def init_app(app: Flask, settings: Settings) -> None:
    limiter = limiter_for(settings)
    limiter.init_app(app)
    _after_requests_with_token(app, limiter)
    app.extensions[EXTENSION] = limiter
    app.register_error_handler(RateLimitExceeded, too_many_requests)
