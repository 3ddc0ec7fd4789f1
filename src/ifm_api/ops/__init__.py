"""Operating the API: probes, request ids and logs, security headers, rate limits, metrics,
backups."""

from __future__ import annotations

from flask import Flask

from ifm_api.config import Settings


def init_app(app: Flask, settings: Settings) -> None:
    """Called last in ``create_app``: the edge middleware must wrap every other layer."""
    from ifm_api.ops import edge, headers, logs, ratelimit

    logs.configure(settings)
    ratelimit.init_app(app, settings)
    app.after_request(headers.docs_headers)
    edge.init_app(app)
