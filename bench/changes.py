"""Benchmarks of issue 13: publish -> webhook received (in-process thread and a separate
``ifm-api worker``), the change feed at 500 changes per page, and what the change log and
the outbox add to a write.

    .venv/bin/python bench/changes.py [--items 300] [--publishes 40] [--seconds 10]
        [--rounds 30] [--only write|feed|latency ...] [--profile FILE]
    .venv/bin/python bench/changes.py --paths --database-url URL  # bench/run.sh's feed cells

Runs on a fresh SQLite database in a temporary directory (``DATABASE_URL`` to use another,
e.g. an empty PostgreSQL database). The receiver is a thread on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import delete

from ifm_api import create_app
from ifm_api.changes import feed, webhooks
from ifm_api.changes.webhook_models import WebhookDelivery
from ifm_api.changes.worker import start_thread
from ifm_api.config import load_settings
from ifm_api.core import db
from ifm_api.core.content import REGISTRY
from ifm_api.core.editing import create_item, get_entity, publish_item, update_item
from ifm_api.core.read import build
from ifm_api.migrate import upgrade


class Receiver:
    """Records when each item's first webhook arrived."""

    def __init__(self) -> None:
        self.arrived: dict[int, float] = {}
        self.cond = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                at = time.perf_counter()
                item = orjson.loads(body)["data"]["id"]
                with receiver.cond:
                    receiver.arrived.setdefault(item, at)
                    receiver.cond.notify_all()
                self.send_response(204)
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def wait(self, item: int, timeout: float = 30) -> float:
        deadline = time.monotonic() + timeout
        with self.cond:
            while item not in self.arrived:
                if not self.cond.wait(max(0.0, deadline - time.monotonic())):
                    raise SystemExit(f"item {item}: no webhook within {timeout} s")
            return self.arrived[item]


def percentiles(values: list[float]) -> str:
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"p50 {statistics.median(ordered) * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms"


def publish_new(title: str) -> tuple[int, float]:
    spec = REGISTRY["news"]
    with db.transaction():
        entity = create_item(spec, {"translations": {"de": {"title": title}}}, author="bench")
        publish_item(
            spec, entity, languages=None, publish_at=None, expected_version=entity.version,
            author="bench",
        )  # fmt: skip
    return entity.id, time.perf_counter()


def edit_and_publish(entity_id: int, text: str) -> tuple[float, float]:
    """One edit + publish in one transaction: (wall seconds, CPU seconds of the process)."""
    spec = REGISTRY["news"]
    started, cpu = time.perf_counter(), time.process_time()
    with db.transaction():
        entity = get_entity(spec, entity_id)
        update_item(
            spec, entity, {"translations": {"de": {"teaser": text}}},
            expected_version=entity.version, author="bench",
        )  # fmt: skip
        publish_item(
            spec, entity, languages=None, publish_at=None, expected_version=entity.version,
            author="bench",
        )  # fmt: skip
    return time.perf_counter() - started, time.process_time() - cpu


def latency(receiver: Receiver, count: int, label: str) -> None:
    warm, _committed = publish_new(f"{label} warm-up")  # the worker is up and connected
    receiver.wait(warm, timeout=120)
    times = []
    for n in range(count):
        item, committed = publish_new(f"{label} {n}")
        times.append(receiver.wait(item) - committed)
    print(f"publish -> webhook received, {label}: {percentiles(times)} ({count} publishes)")


def write_overhead(ids: list[int], rounds: int, profile: str | None = None) -> None:
    """Edit+publish with and without the change log and outbox, interleaved (the order
    alternates per round). Reports wall and CPU time: on a shared machine the CPU time of
    this single-threaded process is the steadier of the two."""
    on: list[tuple[float, float]] = []
    off: list[tuple[float, float]] = []
    for n in range(5):  # warm-up: statement caches, the first webhook read
        edit_and_publish(ids[n % len(ids)], f"warm {n}")
    profiler = cProfile.Profile() if profile else None
    for n in range(rounds):
        for enabled in (n % 2 == 0, n % 2 == 1):
            if not enabled:
                build.REFRESHED.remove(feed.record)
            try:
                if profiler and enabled:
                    profiler.enable()
                took = edit_and_publish(ids[n % len(ids)], f"{n}-{enabled}")
                if profiler and enabled:
                    profiler.disable()
            finally:
                if not enabled:
                    build.REFRESHED.append(feed.record)
            (on if enabled else off).append(took)
    if profiler and profile:
        profiler.dump_stats(profile)
    for index, label in ((0, "wall"), (1, "CPU")):
        with_feed = statistics.median(t[index] for t in on)
        without = statistics.median(t[index] for t in off)
        print(
            f"edit+publish of one news item ({label}): {without * 1000:.2f} ms without the "
            f"change log and outbox, {with_feed * 1000:.2f} ms with them "
            f"({(with_feed / without - 1) * 100:+.1f} %, medians of {rounds} each, one active "
            "webhook)"
        )


def feed_rate(app: Any, seconds: float) -> None:
    client = app.test_client()
    client.get("/api/v1/changes")  # the feed's state (its epoch) comes with the first read
    with app.app_context():
        state = feed.read_state(db.session())
        assert state is not None
        start = feed.encode_cursor(state.epoch, 0)
    body = client.get(f"/api/v1/changes?since={start}&limit=500").get_json()
    size = len(body["changes"])
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        response = client.get(f"/api/v1/changes?since={start}&limit=500")
        assert response.status_code == 200
        count += 1
    rate = count / (time.perf_counter() - started)
    print(f"change feed, {size} changes per page with items: {rate:.0f} req/s (one process, "
          f"in-process client, {seconds:.0f} s)")  # fmt: skip
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        client.get(f"/api/v1/changes?since={start}&limit=500&fields=ids")
        count += 1
    print(f"change feed, fields=ids: {count / (time.perf_counter() - started):.0f} req/s")
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        client.get("/api/v1/news?lang=de&page_size=100")
        count += 1
    rate = count / (time.perf_counter() - started)
    print(f"for comparison, the news list with 100 items: {rate:.0f} req/s")


def paths(database_url: str) -> None:
    """The wrk cells of the change feed on a seeded database ("name<TAB>path" lines): a page
    of 500 changes with the items and with ``fields=ids``, from the oldest kept position (a
    seeded database's log holds every item's ``published`` from building its read model)."""
    media = os.environ.get("IFM_MEDIA_ROOT") or tempfile.mkdtemp(prefix="ifm-bench-media-")
    app = create_app(load_settings({"DATABASE_URL": database_url, "IFM_MEDIA_ROOT": media}))
    client = app.test_client()
    assert client.get("/api/v1/changes").status_code == 200  # creates the feed's state
    with app.app_context():
        state = feed.read_state(db.session())
        assert state is not None
        start = feed.encode_cursor(state.epoch, state.pruned_through)
    body = client.get(f"/api/v1/changes?since={start}&limit=500").get_json()
    if len(body["changes"]) < 500:
        raise SystemExit(f"bench: the change log holds {len(body['changes'])} changes, not 500")
    print(f"changes 500\t/api/v1/changes?since={start}&limit=500")
    print(f"changes 500 ids\t/api/v1/changes?since={start}&limit=500&fields=ids")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--paths", action="store_true", help="print the feed's wrk cells")
    parser.add_argument("--database-url", help="with --paths: the seeded database")
    parser.add_argument("--items", type=int, default=300)
    parser.add_argument("--publishes", type=int, default=40)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--rounds", type=int, default=30, help="edit+publish pairs")
    parser.add_argument(
        "--only", choices=["write", "feed", "latency"], action="append",
        help="run only these parts (repeatable; default: all)",
    )  # fmt: skip
    parser.add_argument("--profile", help="write a cProfile of the writes with the feed here")
    args = parser.parse_args()
    if args.paths:
        paths(args.database_url)
        return
    parts = set(args.only or ["write", "feed", "latency"])
    with tempfile.TemporaryDirectory() as tmp:
        url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp}/bench.sqlite3"
        env = {
            "DATABASE_URL": url, "IFM_MEDIA_ROOT": tmp, "IFM_WEBHOOKS_ALLOW_HOSTS": "127.0.0.1",
            "IFM_WEBHOOKS_ALLOW_HTTP": "1",
        }  # fmt: skip
        upgrade(url)
        app = create_app(load_settings(env))
        receiver = Receiver()
        with app.app_context():
            with db.transaction():
                webhooks.create_webhook({"url": receiver.url}, author="bench")
            ids = [publish_new(f"Nachricht {n}")[0] for n in range(args.items)]
            if "write" in parts:
                write_overhead(ids, rounds=args.rounds, profile=args.profile)
        if "feed" in parts:
            feed_rate(app, args.seconds)
        if "latency" not in parts:
            return
        with app.app_context(), db.transaction() as session:
            session.execute(delete(WebhookDelivery))  # the backlog of the runs above
        worker, thread = start_thread(app)
        with app.app_context():
            latency(receiver, args.publishes, "in-process worker thread")
        worker.stop()
        thread.join(10)
        command = [str(Path(sys.executable).parent / "ifm-api"), "worker", "--poll", "0.1"]
        process = subprocess.Popen(command, env={**os.environ, **env})
        try:
            time.sleep(2)
            with app.app_context():
                latency(receiver, args.publishes, "separate worker (poll 0.1 s)")
        finally:
            process.terminate()
            process.wait(15)


if __name__ == "__main__":
    main()
