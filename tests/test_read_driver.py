"""The public reads' statements on the driver's cursor (``core.read.driver``): they answer
what SQLAlchemy would, are heard by the engine's listeners, fail as SQLAlchemy's errors and
leave no connection checked out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from factories import news, person
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import column, event, select, table, text
from sqlalchemy.exc import DBAPIError

from ifm_api.core import db
from ifm_api.core.read import driver, public


def _reads(client: FlaskClient, item: int) -> list[str]:
    slug = client.get(f"/api/v1/news/{item}?lang=de").get_json()["slug"]
    return [
        "/api/v1/news?lang=de",
        "/api/v1/news?lang=en&fallback=false",
        f"/api/v1/news/{item}?lang=en",
        f"/api/v1/news/slug/{slug}",
        "/api/v1/news?lang=de&include=people",
        "/feeds/news.rss?lang=de",
        "/feeds/news.atom?lang=en",
        "/sitemap.xml",
    ]


def test_every_prebuilt_statement_answers_as_through_sqlalchemy(
    app: Flask, client: FlaskClient, make_item: Callable[..., int]
):
    author = person(make_item, "Eva", "Example")
    item = news(make_item, "Förderung im Mittelstand", "Funding", people=[author])
    for path in _reads(client, item):
        assert client.get(path).status_code == 200, path
    ran: list[tuple[driver.Plan, dict[str, Any]]] = []
    original = driver.Plan.rows

    def remember(plan: driver.Plan, connection: Any, values: dict[str, Any]) -> Any:
        ran.append((plan, values))
        return original(plan, connection, values)

    statement_of = {id(plan): stmt for stmt, plan in _plans(app)}
    driver.Plan.rows = remember  # type: ignore[method-assign]
    try:
        for path in _reads(client, item):
            assert client.get(path).status_code == 200, path
    finally:
        driver.Plan.rows = original  # type: ignore[method-assign]
    assert len({id(plan) for plan, _ in ran}) >= 5, "the reads ran on the driver's cursor"
    with app.app_context():
        connection = db.read_connection()
        for plan, values in ran:
            stmt = statement_of[id(plan)]
            through_sqlalchemy = [tuple(row) for row in connection.execute(stmt, values)]
            assert through_sqlalchemy, plan.sql
            assert [tuple(row) for row in plan.rows(connection, values)] == through_sqlalchemy


def _plans(app: Flask) -> list[tuple[Any, driver.Plan]]:
    """Every prebuilt statement with its plan (those the driver runs)."""
    found = []
    with app.app_context():
        dialect = db.engine().dialect
        for value in public._STATEMENTS.values():
            for stmt in value if isinstance(value, tuple) else (value,):
                plan = driver.plan(stmt, dialect) if stmt is not None else None
                if plan is not None:
                    found.append((stmt, plan))
    return found


def test_the_engine_hears_the_statements_run_on_the_cursor(
    client: FlaskClient, make_item: Callable[..., int], count_queries: Callable[[], Any]
):
    news(make_item, "Eine Nachricht", "A news item")
    news(make_item, "Noch eine Nachricht", "Another news item")
    with count_queries() as counter:
        assert client.get("/api/v1/news?lang=de&page_size=1").status_code == 200
        assert client.get("/api/v1/news?lang=de&page_size=1&page=2").status_code == 200
    assert counter.count == 3  # page 1 with its total, then the total and page 2
    assert all("public_" in statement for statement in counter.statements)


def test_a_driver_error_is_raised_as_sqlalchemys(app: Flask):
    stmt = public.prebuilt(
        ("tests: no such table",), lambda: select(column("x")).select_from(table("no_such"))
    )
    with app.app_context(), pytest.raises(DBAPIError):
        public._rows(stmt)


def test_reads_give_their_connection_back(client: FlaskClient, app: Flask, make_item: Any):
    item = news(make_item, "Eine Nachricht", "A news item")
    for path in _reads(client, item):
        assert client.get(path).status_code == 200, path
    with app.app_context():
        assert [engine.pool.checkedout() for engine in db.engines()] == [0] * len(db.engines())


def test_postgresql_reads_run_in_autocommit_on_a_pool_of_their_own(
    app: Flask, client: FlaskClient, make_item: Any, is_postgres: bool
):
    """No pre-ping, no BEGIN and no ROLLBACK around a read: only its own statements."""
    if not is_postgres:
        pytest.skip("SQLite reads on the main engine: it has no round trips to save")
    item = news(make_item, "Eine Nachricht", "A news item")
    with app.app_context():
        reads = db.read_engine()
        assert reads is not db.engine() and reads.pool._pre_ping is False  # type: ignore[attr-defined]
    sent: list[str] = []
    event.listen(reads, "before_cursor_execute", lambda *a: sent.append(a[2]))
    assert client.get(f"/api/v1/news/{item}").status_code == 200
    assert len(sent) == 1 and sent[0].lstrip().upper().startswith("SELECT")
    with reads.connect() as connection:
        assert connection.connection.dbapi_connection.autocommit is True  # type: ignore[union-attr]


def test_a_read_survives_a_connection_the_server_dropped(
    app: Flask, client: FlaskClient, make_item: Any, is_postgres: bool
):
    """The read pool does not ping: a statement on a dropped connection is run once more on
    a new one, and the reader sees a 200, not a 500."""
    if not is_postgres:
        pytest.skip("only a server can drop a connection")
    item = news(make_item, "Eine Nachricht", "A news item")
    assert client.get(f"/api/v1/news/{item}").status_code == 200
    with app.app_context():
        reads = db.read_engine()
        with reads.connect() as connection:
            pid = connection.execute(text("SELECT pg_backend_pid()")).scalar()
        with db.engine().connect() as admin:
            admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            admin.commit()
    for path in (f"/api/v1/news/{item}", "/api/v1/news", "/api/v1/news?q=Nachricht"):
        assert client.get(path).status_code == 200, path
