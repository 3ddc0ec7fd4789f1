"""In-process cost of list pages: page 1, page 500, the middle and the last page of the news list.

    DATABASE_URL=sqlite:///bench/run/db-20000.sqlite3 .venv/bin/python bench/pages.py 2>/dev/null

Each page is requested through the WSGI app (no server, no response cache) ``--rounds``
times after a warm-up; prints the median microseconds per request of each page. A deep page
costs what its ``OFFSET`` walks: this shows whether keyset marks (``core.read.marks``) make
every page cost about what page 1 costs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from typing import Any

import orjson
from werkzeug.test import EnvironBuilder

from ifm_api import create_app
from ifm_api.config import load_settings


def _call(app: Any, path: str) -> tuple[str, bytes]:
    environ = EnvironBuilder(path=path).get_environ()
    status: list[str] = []

    def start_response(line: str, _headers: Any, _exc: Any = None) -> None:
        status.append(line)

    body = b"".join(app(environ, start_response))
    return status[0], body


def _median_us(app: Any, path: str, rounds: int, repeat: int = 5) -> float:
    for _ in range(20):
        _call(app, path)
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        for _ in range(rounds):
            _call(app, path)
        samples.append((time.perf_counter() - started) / rounds * 1e6)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--page-size", type=int, default=20)
    args = parser.parse_args()
    env = {
        "DATABASE_URL": os.environ["DATABASE_URL"],
        "IFM_RESPONSE_CACHE_MB": "0",
        "IFM_RATELIMIT_ENABLED": "0",
    }
    app = create_app(load_settings(env))
    first = f"/api/v1/news?page_size={args.page_size}"
    _status, body = _call(app, first)
    pages = orjson.loads(body)["meta"]["pages"]
    chosen = (
        ("page 1", 1),
        ("page 500", min(500, pages)),
        ("middle", max(1, pages // 2)),
        ("last page", pages),
    )
    for name, page in chosen:
        path = f"{first}&page={page}"
        print(f"{name:>10} ({page:>6} of {pages}): {_median_us(app, path, args.rounds):8.0f} µs")


if __name__ == "__main__":
    main()
