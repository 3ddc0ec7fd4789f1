"""Test fixtures: a real database (SQLite file, or PostgreSQL via TEST_DATABASE_URL),
migrated with Alembic once per run and emptied after every test; the HTTP test client;
tokens per role; factories that create content through the same services the API uses."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine

from ifm_api import create_app
from ifm_api.config import load_settings
from ifm_api.core import db
from ifm_api.core.auth import create_token
from ifm_api.core.content import REGISTRY
from ifm_api.core.editing import create_item, publish_item
from ifm_api.migrate import upgrade
from ifm_api.models import metadata


def _database_url(tmp: Path) -> str:
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp / 'test.sqlite3'}"


def _reset_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = _database_url(tmp_path_factory.mktemp("db"))
    if url.startswith("postgresql"):
        _reset_postgres(url)
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def media_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="session")
def app(database_url: str, media_root: Path) -> Flask:
    env = {
        "DATABASE_URL": database_url,
        "IFM_MEDIA_ROOT": str(media_root),
        "IFM_SITE_URL": "https://www.ifm.example",
        "IFM_CACHE_MAX_AGE": "60",
        # Rate limits are tested in tests/test_rate_limits.py, with apps of their own.
        "IFM_RATELIMIT_ENABLED": "0",
    }
    application = create_app(load_settings(env))
    application.config["TESTING"] = True
    return application


def _empty_tables(engine: Engine) -> None:
    """Delete all content; bump the content version so no cached response outlives it."""
    with engine.begin() as connection:
        for table in reversed(metadata.sorted_tables):
            if table.name == "content_state":
                connection.execute(table.update().values(version=table.c.version + 1))
            else:
                connection.execute(table.delete())


@pytest.fixture(autouse=True)
def _clean_database(app: Flask) -> Iterator[None]:
    yield
    with app.app_context():
        db.session().close()
        _empty_tables(db.engine())


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def is_postgres(database_url: str) -> bool:
    return database_url.startswith("postgresql")


@pytest.fixture
def token(app: Flask) -> Callable[[str], dict[str, str]]:
    """``token("editor")`` -> an Authorization header for a fresh token of that role."""
    counter = iter(range(1, 10_000))

    def make(role: str, **kwargs: Any) -> dict[str, str]:
        with app.app_context(), db.transaction():
            _token, plain = create_token(f"{role}-{next(counter)}", role, **kwargs)
        return {"Authorization": f"Bearer {plain}"}

    return make


@pytest.fixture
def make_item(app: Flask) -> Callable[..., int]:
    """Create an item through the services; publish it unless ``publish=False``.

    ``make_item("news", {"translations": {"de": {"title": "…"}}}, languages=["de"])``
    """

    def make(
        resource: str,
        data: dict[str, Any],
        *,
        publish: bool = True,
        languages: list[str] | None = None,
        publish_at: datetime | None = None,
        author: str = "tests",
    ) -> int:
        spec = REGISTRY[resource]
        with app.app_context(), db.transaction():
            entity = create_item(spec, data, author=author)
            if publish:
                publish_item(
                    spec,
                    entity,
                    languages=languages,
                    publish_at=publish_at,
                    expected_version=entity.version,
                    author=author,
                )
            return entity.id

    return make


@pytest.fixture
def count_queries(app: Flask) -> Callable[[], Any]:
    """``with count_queries() as counter: ...`` then ``counter.count``."""

    class Counter:
        count = 0
        statements: list[str] = []

    @contextmanager
    def counting() -> Iterator[Counter]:
        counter = Counter()
        counter.statements = []
        with app.app_context():
            engines = db.engines()

        def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            counter.count += 1
            counter.statements.append(statement)

        for engine in engines:
            event.listen(engine, "before_cursor_execute", before)
        try:
            yield counter
        finally:
            for engine in engines:
                event.remove(engine, "before_cursor_execute", before)

    return counting
