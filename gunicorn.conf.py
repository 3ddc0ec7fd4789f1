"""gunicorn settings for production: `.venv/bin/gunicorn -c gunicorn.conf.py wsgi:app`.

Options given on the command line win over these (e.g. `--bind 0.0.0.0:8000 --workers 4`).

Request limits: the app enforces its own (`ifm_api.core.limits`: URL 4 KiB → 414, a header
field 8 KiB, 100 fields or 32 KiB of them → 431, a control character in a header → 400,
more than 100 ranges → 416), answered with RFC 9457 problem documents in the request's
language. gunicorn's limits lie above them so that those are the answers clients see;
gunicorn only answers (in plain HTML) what the app never gets to read: a malformed request
line or head, a header field over 1 MiB, more than 1,000 fields.

What gunicorn still refuses itself (a malformed request line or head, a control character in
a header value, which gunicorn rejects while parsing) is answered with a problem document
too: `answer_errors_with_problems()` below replaces gunicorn's HTML error page.

Forwarded headers: gunicorn is told to trust no peer for `X-Forwarded-*` (it would trust
127.0.0.1 by default); the app trusts exactly `IFM_PROXY_COUNT` proxies (ProxyFix), and
`IFM_PUBLIC_URL` pins every absolute URL. See the README's Configuration.
"""

import os
import tempfile
from pathlib import Path
from typing import Any

# Metrics of every worker, summed at each scrape of /metrics (prometheus-client's multiprocess
# mode): set before any worker imports prometheus_client. An operator may name the directory.
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="ifm-metrics-"))

from ifm_api.serving import (
    answer_errors_with_problems,
    close_at_once_what_was_read,
    note_request_read,
)

answer_errors_with_problems()
close_at_once_what_was_read()

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Sync workers: the API answers from the database and its cache; nothing waits on others.
worker_class = "sync"
timeout = 30
# On SIGTERM/SIGHUP a worker finishes its request (an upload, a large file) within this.
graceful_timeout = 30
keepalive = 5
# Replace a worker now and then, so a slow leak can never grow without bound.
max_requests = 10_000
max_requests_jitter = 1_000
# The app is loaded once, in the master, and every worker is forked from it: a replaced
# worker starts in milliseconds instead of loading the app again (about 1.5 s of CPU taken
# from the others, every 10,000 requests), and the workers share the app's memory pages
# (frozen by `freeze_startup_objects` in wsgi.py). New code therefore needs a restart of
# the master, not a SIGHUP. Each worker opens its own database connections
# (`ifm_api.core.db` drops the pool it inherits at every fork).
preload_app = True

# 0 is "no limit" for the request line: gunicorn's only value above its maximum of 8190, and
# what lets the app answer a too-long URL with its own 414. gunicorn then bounds the request
# line only by the worker timeout; the reverse proxy in front bounds it (see the README).
# The head after it is bounded by limit_request_fields * (limit_request_field_size + 2).
limit_request_line = 0
limit_request_fields = 1_000
limit_request_field_size = 1024 * 1024

forwarded_allow_ips = ""
secure_scheme_headers: dict[str, str] = {}
forwarder_headers = ""

# The app writes one line per request itself (IFM_LOG_FORMAT=json for JSON lines, with the
# request id, route and token name): gunicorn's own access log would only repeat it.
accesslog = None
errorlog = "-"


def on_starting(_server: Any) -> None:
    """Counters start at zero with the server, not with what a previous one left behind."""
    for stale in Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]).glob("*.db"):
        stale.unlink()


def child_exit(_server: Any, worker: Any) -> None:
    """A replaced worker's counters stay in the sums; its live gauges go."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def post_request(_worker: Any, req: Any, _environ: Any, _resp: Any) -> None:
    """A connection whose request was read to its end is closed at once, without gunicorn's
    lingering close (see ``ifm_api.serving``)."""
    note_request_read(req)
