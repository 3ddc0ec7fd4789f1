"""The search cells: `q=` with one common and one rare word, on /search and the news list.

    .venv/bin/python bench/search.py paths  --database-url URL  # "name<TAB>path" lines
    .venv/bin/python bench/search.py inproc --database-url URL  # one SEARCH line per cell

The common word is ``Förderung``: the seed's vocabulary (the peers' generator, unchanged) puts
it, or a word it prefix-matches after stemming (``forder*``: Förderprogramm, Förderung), into
nearly every German item. The generator has no rare word, so ``paths`` adds ``RARE_ITEMS``
news items with ``Quantenkryptographie`` through the services, once (found again by their
author). ``inproc`` runs each cell through the Flask test client: SQL statements, hits, and
the in-process p50/p90 over ``--requests`` requests (the target: p50 <= 20 ms). The last
cell asks for both words at once (every word must be found: the rare items).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from flask import Flask
from sqlalchemy import event, func, select

from ifm_api import create_app
from ifm_api.config import load_settings
from ifm_api.core import db
from ifm_api.core.content import REGISTRY
from ifm_api.core.editing import create_item, publish_item
from ifm_api.core.models import ContentEntity

AUTHOR = "bench-search"
COMMON = "Förderung"
RARE = "Quantenkryptographie"
RARE_ITEMS = 10
CELLS = (  # percent-encoded, as a browser sends them
    ("search common", f"/api/v1/search?q={quote(COMMON)}&lang=de"),
    ("search rare", f"/api/v1/search?q={quote(RARE)}&lang=de"),
    ("news q common", f"/api/v1/news?lang=de&page_size=20&q={quote(COMMON)}"),
    ("news q rare", f"/api/v1/news?lang=de&page_size=20&q={quote(RARE)}"),
    ("search common+rare", f"/api/v1/search?q={quote(COMMON + ' ' + RARE)}&lang=de"),
)


# measured in-process beside the cells, under the same machine load: what every read costs
BASELINE = ("news list (no q)", "/api/v1/news?lang=de&page_size=20")


def make_app(database_url: str) -> Flask:
    media = os.environ.get("IFM_MEDIA_ROOT") or tempfile.mkdtemp(prefix="ifm-bench-media-")
    return create_app(load_settings({"DATABASE_URL": database_url, "IFM_MEDIA_ROOT": media}))


def ensure_rare_items() -> None:
    session = db.session()
    have = session.scalar(
        select(func.count(ContentEntity.id)).where(ContentEntity.created_by == AUTHOR)
    )
    spec = REGISTRY["news"]
    start = datetime(2025, 1, 1, 9, 0, tzinfo=UTC)
    for n in range(have or 0, RARE_ITEMS):
        with db.transaction():
            data = {
                "published_at": start + timedelta(days=30 * n),
                "translations": {
                    "de": {
                        "title": f"{RARE} im Mittelstand ({n + 1})",
                        "body": f"<p>Ein Bericht über {RARE} und Förderung.</p>",
                    },
                    "en": {"title": f"Quantum cryptography for SMEs ({n + 1})"},
                },
            }
            entity = create_item(spec, data, author=AUTHOR)
            publish_item(
                spec,
                entity,
                languages=None,
                publish_at=None,
                expected_version=entity.version,
                author=AUTHOR,
            )


def cmd_paths(app: Flask) -> None:
    with app.app_context():
        ensure_rare_items()
    client = app.test_client()
    for name, path in CELLS:
        status = client.get(path).status_code
        if status != 200:
            print(f"search: {path} answered {status}", file=sys.stderr)
            raise SystemExit(1)
        print(f"{name}\t{path}")


def cmd_inproc(app: Flask, requests: int, label: str) -> None:
    client = app.test_client()
    with app.app_context():
        engine = db.engine()
    for name, path in (*CELLS, BASELINE):
        client.get(path)  # warm: Python caches, the database's pages
        statements: list[str] = []

        def count(*_args: object, found: list[str] = statements) -> None:
            found.append("x")

        event.listen(engine, "before_cursor_execute", count)
        response = client.get(path)
        event.remove(engine, "before_cursor_execute", count)
        times = []
        for _ in range(requests):
            started = time.perf_counter()
            client.get(path)
            times.append((time.perf_counter() - started) * 1000)
        times.sort()
        p90 = times[int(len(times) * 0.9) - 1]
        print(
            f"SEARCH name={label} {name} path={path} status={response.status_code} "
            f"total={response.get_json()['meta']['total']} "
            f"exact={response.get_json()['meta'].get('total_exact')} queries={len(statements)} "
            f"body_bytes={len(response.data)} p50_ms={statistics.median(times):.1f} "
            f"p90_ms={p90:.1f} requests={requests}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("command", choices=("paths", "inproc"))
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--label", default="product")
    args = parser.parse_args()
    app = make_app(args.database_url)
    if args.command == "paths":
        cmd_paths(app)
    else:
        cmd_inproc(app, args.requests, args.label)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
