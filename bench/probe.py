"""In-process side of the benchmark: which URLs to load, SQL queries per request, a profile.

    .venv/bin/python bench/probe.py paths   --database-url URL           # "name<TAB>path" lines
    .venv/bin/python bench/probe.py queries --database-url URL --label L # one QUERIES line each
    .venv/bin/python bench/probe.py rotation --database-url URL --kind list|detail  # paths
    .venv/bin/python bench/probe.py profile --database-url URL [--path P] [--requests 200]
    .venv/bin/python bench/probe.py sample  ...  # the same with pyinstrument (if importable)
    .venv/bin/python bench/probe.py versions

Runs the app with the Flask test client against the seeded database (no product hook needed):
statements are counted with SQLAlchemy's ``before_cursor_execute`` event, the way the test
suite's ``count_queries`` does. ``--base-url`` makes the bodies (and so the ETags) the same as
the ones gunicorn serves on that address.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

from ifm_api import create_app
from ifm_api.config import load_settings
from ifm_api.core import db
from ifm_api.serving import freeze_startup_objects

LIST = "/api/v1/news?lang=de&page_size=20"


def make_app(database_url: str) -> Flask:
    media = os.environ.get("IFM_MEDIA_ROOT") or tempfile.mkdtemp(prefix="ifm-bench-media-")
    app = create_app(load_settings({"DATABASE_URL": database_url, "IFM_MEDIA_ROOT": media}))
    freeze_startup_objects()  # as the servers do (wsgi.py, ifm-api serve)
    return app


def endpoints(app: Flask) -> list[tuple[str, str, dict[str, str]]]:
    """(name, path, extra request headers) of every measured request.

    The detail is the German item in the middle of the list, as in the peers' run.
    """
    client = app.test_client()
    first = client.get(LIST)
    if first.status_code != 200:
        raise SystemExit(f"probe: {LIST} answered {first.status_code}")
    meta = first.get_json()["meta"]
    pages, total = meta["pages"], meta["total"]
    middle = client.get(f"/api/v1/news?lang=de&page_size=1&page={total // 2 + 1}")
    item = middle.get_json()["items"][0]
    etag = first.headers["ETag"]
    return [
        ("list p1", LIST, {}),
        (f"list deep p{pages}", f"{LIST}&page={pages}", {}),
        ("detail id", f"/api/v1/news/{item['id']}?lang=de", {}),
        ("detail slug", f"/api/v1/news/slug/{item['slug']}?lang=de", {}),
        ("people list", "/api/v1/people?lang=de", {}),
        ("list include", f"{LIST}&include=people,reports", {}),
        ("feed rss", "/feeds/news.rss?lang=de", {}),
        ("list p1 304", LIST, {"If-None-Match": etag}),
    ]


@contextmanager
def counting(app: Flask) -> Iterator[list[str]]:
    """Collect every SQL statement the app sends while the block runs."""
    statements: list[str] = []
    with app.app_context():
        engines = db.engines()

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    for engine in engines:
        event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", before)


def cmd_paths(app: Flask, _args: argparse.Namespace) -> None:
    for name, path, _headers in endpoints(app):
        if name.endswith(" 304"):
            continue  # run.sh takes the ETag from gunicorn's own answer
        print(f"{name}\t{path}")


def clear_cache(app: Flask) -> None:
    """Empty the per-worker response cache (if the app has one): the next read renders."""
    cache = app.extensions.get("ifm_response_cache")
    if cache is not None:
        cache.clear()


def _timed(
    client: FlaskClient, app: Flask, request: dict[str, Any], cold: bool, most: int
) -> float:
    """Mean in-process ms per request: at most ``most`` requests or about 2 s."""
    count, started = 0, time.perf_counter()
    while count < most and (count < 3 or time.perf_counter() - started < 2):
        if cold:
            clear_cache(app)
        client.get(**request)
        count += 1
    return (time.perf_counter() - started) * 1000 / count


def cmd_rotation(app: Flask, args: argparse.Namespace) -> None:
    """Paths for a rotating load (wrk-rotate.lua): every German list page, or every item's
    German detail in a fixed shuffled order; a response cache sees a distinct URL each time."""
    from sqlalchemy import select

    from ifm_api.core.content import REGISTRY

    if args.kind == "list":
        pages = app.test_client().get(LIST).get_json()["meta"]["pages"]
        for page in range(1, pages + 1):
            print(f"{LIST}&page={page}")
        return
    if args.kind == "crawl":
        for path in crawl_paths(app):
            print(path)
        return
    model = REGISTRY["news"].model
    with app.app_context():
        ids = list(db.session().scalars(select(model.entity_id).where(model.state == "live")))
    random.Random(1).shuffle(ids)
    for entity_id in ids:
        print(f"/api/v1/news/{entity_id}?lang=de")


def crawl_paths(app: Flask) -> list[str]:
    """What a static-site build fetches, once each, in a fixed shuffled order: every public
    item's detail in German and English, and every page of every list in both languages
    (20 per page, as the list cells)."""
    from sqlalchemy import select

    from ifm_api.core.content import REGISTRY

    client = app.test_client()
    paths = []
    with app.app_context():
        for spec in REGISTRY.values():
            model = spec.model
            ids = db.session().scalars(select(model.entity_id).where(model.state == "live"))
            paths += [
                f"/api/v1/{spec.segment}/{i}?lang={lang}" for i in ids for lang in ("de", "en")
            ]
            for lang in ("de", "en"):
                first = f"/api/v1/{spec.segment}?lang={lang}&page_size=20"
                pages = client.get(first).get_json()["meta"]["pages"]
                paths += [f"{first}&page={page}" for page in range(1, pages + 1)]
    random.Random(2).shuffle(paths)
    return paths


def cmd_queries(app: Flask, args: argparse.Namespace) -> None:
    """One line per endpoint: status, body size, SQL statements and in-process ms per request,
    cold (response cache emptied first: the full read path) and warm (a cache hit)."""
    client = app.test_client()
    for name, path, headers in endpoints(app):
        if "If-None-Match" in headers:
            first = client.get(path, base_url=args.base_url)
            headers = {"If-None-Match": first.headers.get("ETag", "")}
        request = {"path": path, "headers": headers, "base_url": args.base_url}
        found: dict[str, Any] = {}
        for mode in ("cold", "warm"):
            # a plain GET first: warms Python-level caches and fills the response cache
            # (a 304 is never stored, so a revalidation alone would not fill it)
            client.get(path, base_url=args.base_url)
            if mode == "cold":
                clear_cache(app)
            with counting(app) as statements:
                response = client.get(**request)
            ms = _timed(client, app, request, mode == "cold", args.repeat)
            found[mode] = (response, statements, ms)
        response, cold_sql, cold_ms = found["cold"]
        _warm_response, warm_sql, warm_ms = found["warm"]
        print(
            f"QUERIES name={args.label} {name} path={path} status={response.status_code} "
            f"body_bytes={len(response.data)} queries_cold={len(cold_sql)} "
            f"queries_warm={len(warm_sql)} inproc_cold_ms={cold_ms:.2f} "
            f"inproc_warm_ms={warm_ms:.2f}"
        )
        if args.verbose:
            for label, statements in (("cold", cold_sql), ("warm", warm_sql)):
                for statement in statements:
                    print(f"    {label}:", " ".join(statement.split())[:300])


GROUPS = (
    ("SQL: DB driver (sqlite3/psycopg)", ("sqlite3", "psycopg")),
    ("SQL: SQLAlchemy (compile, execute, ORM loading)", ("sqlalchemy",)),
    ("ifm_api read path (render, i18n, links)", ("ifm_api",)),
    ("babel (display_date)", ("babel",)),
    ("JSON encoding (orjson)", ("orjson",)),
    ("ETag hashing (hashlib)", ("hashlib", "_hashlib", "sha1")),
    ("flask-smorest / webargs / marshmallow", ("flask_smorest", "webargs", "marshmallow")),
    ("Flask / Werkzeug (routing, request, response)", ("flask", "werkzeug", "flask_babel")),
)
KEY_FUNCTIONS = (
    ("content.py", "list_items"),
    ("content.py", "render_rows"),
    ("content.py", "_load_links"),
    ("content.py", "_load_targets"),
    ("content.py", "_render_one"),
    ("content.py", "display_date"),
    ("http.py", "json_response"),
    ("views.py", "read_context"),
)


BUILTIN_GROUPS = (
    ("SQL: DB driver (sqlite3/psycopg)", ("sqlite3", "psycopg", "Cursor.", "Connection.")),
    ("JSON encoding (orjson)", ("orjson", "dumps")),
    ("ETag hashing (hashlib)", ("sha1", "hashlib")),
)


def _group(filename: str, function: str) -> str:
    """Which library a function's own time belongs to (C builtins by their name)."""
    if filename in ("~", "<built-in>"):
        for label, needles in BUILTIN_GROUPS:
            if any(n in function for n in needles):
                return label
        return "Python builtins (list/dict/str methods …)"
    where = filename.replace(os.sep, "/")
    for label, needles in GROUPS:
        if any(f"/{n}/" in where or where.endswith(f"/{n}.py") for n in needles):
            return label
    return "other Python (stdlib, test client, …)"


def _driver_frame(file_path: str, function: str) -> bool:
    """SQLAlchemy frames whose own time is the DB driver's C code (sampling profilers see
    the C call as the Python caller's own time)."""
    where = file_path.replace(os.sep, "/")
    return (where.endswith("sqlalchemy/engine/default.py") and function.startswith("do_")) or (
        where.endswith("sqlalchemy/engine/cursor.py") and function.startswith("fetch")
    )


def cmd_sample(app: Flask, args: argparse.Namespace) -> None:
    """Like ``profile`` with pyinstrument (sampling, little overhead) when it is importable."""
    from pyinstrument import Profiler

    client = app.test_client()
    cold = args.cache == "cold"
    for _ in range(5):
        client.get(args.path)
    profiler = Profiler(interval=0.001)
    started = time.perf_counter()
    for _ in range(args.requests):
        if cold:
            clear_cache(app)
        profiler.start()
        client.get(args.path)
        profiler.stop()
    wall = (time.perf_counter() - started) * 1000 / args.requests
    groups: dict[str, float] = defaultdict(float)

    def walk(frame: Any) -> None:
        children = [c for c in frame.children if not c.is_synthetic]
        own = frame.time - sum(c.time for c in children)
        path, function = frame.file_path or "~", frame.function or ""
        label = "SQL: DB driver (sqlite3/psycopg)" if _driver_frame(path, function) else None
        groups[label or _group(path, function)] += own
        for child in children:
            walk(child)

    root = profiler.last_session.root_frame() if profiler.last_session else None
    if root is None:
        raise SystemExit("probe: no samples")
    walk(root)
    total = sum(groups.values())
    print(f"pyinstrument profile of {args.requests} x GET {args.path} ({args.cache} cache)")
    print(f"wall {wall:.2f} ms/request (with profiler), own time by library:")
    for label, seconds in sorted(groups.items(), key=lambda kv: -kv[1]):
        print(f"  {100 * seconds / total:5.1f} %  {label}")
    if args.top:
        print(profiler.output_text(unicode=True, color=False, show_all=False))


def cmd_profile(app: Flask, args: argparse.Namespace) -> None:
    """Profile ``--requests`` requests of one path: self time grouped by library."""
    client = app.test_client()
    cold = args.cache == "cold"
    for _ in range(5):
        client.get(args.path)
    profiler = cProfile.Profile()
    started = time.perf_counter()
    for _ in range(args.requests):
        if cold:
            clear_cache(app)
        profiler.enable()
        client.get(args.path)
        profiler.disable()
    wall = (time.perf_counter() - started) * 1000 / args.requests
    stats = pstats.Stats(profiler)
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    total = sum(tt for (_cc, _nc, tt, _ct, _callers) in raw.values())
    groups: dict[str, float] = defaultdict(float)
    for (filename, _line, function), (_cc, _nc, tt, _ct, _callers) in raw.items():
        groups[_group(filename, function)] += tt
    print(f"profile of {args.requests} x GET {args.path} ({args.cache} response cache)")
    print(f"wall {wall:.2f} ms/request (with profiler), profiled self time by library:")
    for label, seconds in sorted(groups.items(), key=lambda kv: -kv[1]):
        print(f"  {100 * seconds / total:5.1f} %  {label}")
    print("cumulative time of key functions (% of all profiled time):")
    for filename, function in KEY_FUNCTIONS:
        cumulative = sum(
            ct
            for (f, _line, fn), (_cc, _nc, _tt, ct, _callers) in raw.items()
            if fn == function and f.endswith(filename)
        )
        if cumulative:
            print(f"  {100 * cumulative / total:5.1f} %  {filename}:{function}")
    if args.top:
        stats.sort_stats("cumulative").print_stats(args.top)


def versions() -> str:
    """One line of the versions that matter for the figures."""
    import sqlite3
    from importlib.metadata import version

    packages = ("flask", "flask-smorest", "marshmallow", "webargs", "sqlalchemy", "gunicorn")
    found = ", ".join(f"{name} {version(name)}" for name in (*packages, "orjson", "psycopg"))
    return f"python {sys.version.split()[0]}, sqlite {sqlite3.sqlite_version}, {found}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "command", choices=("paths", "queries", "rotation", "profile", "sample", "versions")
    )
    parser.add_argument(
        "--kind", choices=("list", "detail", "crawl"), default="list", help="rotation"
    )
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"), required=False)
    parser.add_argument("--base-url", default="http://localhost/")
    parser.add_argument("--label", default="product")
    parser.add_argument("--repeat", type=int, default=20, help="queries: timed repetitions")
    parser.add_argument("--path", default=LIST, help="profile: the request to profile")
    parser.add_argument("--requests", type=int, default=200, help="profile: how many")
    parser.add_argument(
        "--cache",
        choices=("cold", "warm"),
        default="cold",
        help="profile: cold = response cache emptied before each request (the read path)",
    )
    parser.add_argument("--top", type=int, default=0, help="profile: also print N functions")
    parser.add_argument("-v", "--verbose", action="store_true", help="queries: show the SQL")
    args = parser.parse_args(argv)
    if args.command == "versions":
        print(versions())
        return 0
    if not args.database_url:
        parser.error("--database-url or DATABASE_URL is needed")
    app = make_app(args.database_url)
    commands = {
        "paths": cmd_paths,
        "queries": cmd_queries,
        "rotation": cmd_rotation,
        "profile": cmd_profile,
        "sample": cmd_sample,
    }
    commands[args.command](app, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
