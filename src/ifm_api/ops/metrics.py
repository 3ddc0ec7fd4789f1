"""Prometheus metrics (prometheus-client), served at ``GET /metrics`` when a token is set.

Recorded per request by ``ops.edge``: ``ifm_http_requests_total`` (method, route, status) and
``ifm_http_request_duration_seconds`` (method, route), the route being the URL rule
(``/api/v1/news/<int:item_id>``), never the raw path, so the series stay few.

Read at scrape time (``scrape``): the database pools of the answering process (label ``pool``:
``main`` for writes and editors, ``reads`` for the public reads on PostgreSQL), build info
(version, Python, migration head), and every gauge registered with ``register_gauge``, the
hook for other packages (e.g. the webhooks' outbox backlog)::

    from ifm_api.ops.metrics import register_gauge
    register_gauge("ifm_outbox_backlog", "Change events not yet delivered.", count_backlog)

Under gunicorn, workers are separate processes: ``gunicorn.conf.py`` sets
``PROMETHEUS_MULTIPROC_DIR`` so the counters of every worker are summed at each scrape
(prometheus-client's multiprocess mode); the scrape-time gauges are the answering worker's.
"""

from __future__ import annotations

import os
import platform
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

REQUESTS = Counter(
    "ifm_http_requests",
    "HTTP requests answered, by method, route (URL rule) and status.",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "ifm_http_request_duration_seconds",
    "Time from receiving a request to sending the last byte of its answer.",
    ["method", "route"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


_SERIES: dict[tuple[str, str, int], tuple[Any, Any]] = {}
# Methods are the client's to choose: past this many series, children are looked up each time.
MAX_REMEMBERED_SERIES = 1_000


def _series(method: str, route: str, status: int) -> tuple[Any, Any]:
    """The counter's and the histogram's child for these labels, looked up once each."""
    key = (method, route, status)
    found = _SERIES.get(key)
    if found is None:
        found = (REQUESTS.labels(method, route, str(status)), LATENCY.labels(method, route))
        if len(_SERIES) < MAX_REMEMBERED_SERIES:
            _SERIES[key] = found
    return found


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    requests, latency = _series(method, route, status)
    requests.inc()
    latency.observe(seconds)


@dataclass(frozen=True)
class ScrapeGauge:
    name: str
    documentation: str
    read: Callable[[], float]


GAUGES: dict[str, ScrapeGauge] = {}


def register_gauge(name: str, documentation: str, read: Callable[[], float]) -> None:
    """Add a gauge read at every scrape, inside the app context (it may query the database).

    A read that fails is left out of that scrape rather than failing it.
    """
    GAUGES[name] = ScrapeGauge(name, documentation, read)


def package_version() -> str:
    try:
        return version("ifm-api")
    except PackageNotFoundError:
        return "unknown"


class AppCollector(Collector):
    """What is read at scrape time, in the app context of the scrape's request."""

    def __init__(self, engines: dict[str, object], migration_head: str) -> None:
        self.engines = engines
        self.migration_head = migration_head

    def collect(self) -> Iterator[Metric]:
        info = GaugeMetricFamily(
            "ifm_build_info",
            "The running version (always 1).",
            labels=["version", "python", "migration_head"],
        )
        info.add_metric([package_version(), platform.python_version(), self.migration_head], 1)
        yield info
        yield from self._pool()
        for gauge in GAUGES.values():
            try:
                value = float(gauge.read())
            except Exception:  # one broken gauge must not hide the others
                continue
            yield GaugeMetricFamily(gauge.name, gauge.documentation, value=value)

    def _pool(self) -> Iterator[Metric]:
        for name, doc, attr in (
            ("ifm_db_pool_size", "Connections a pool keeps (this process).", "size"),
            ("ifm_db_pool_checked_out", "Connections in use (this process).", "checkedout"),
        ):
            family = GaugeMetricFamily(name, doc, labels=["pool"])
            for label, engine in self.engines.items():
                read = getattr(getattr(engine, "pool", None), attr, None)
                if callable(read):
                    family.add_metric([label], float(read()))
            yield family


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def scrape(engines: dict[str, object], migration_head: str) -> bytes:
    """The exposition text: the request metrics (of every worker) and the scrape-time ones."""
    if multiprocess_dir():
        shared = CollectorRegistry()
        multiprocess.MultiProcessCollector(shared)
    else:
        shared = REGISTRY
    local = CollectorRegistry()
    local.register(AppCollector(engines, migration_head))
    return generate_latest(shared) + generate_latest(local)
