"""Declarative base, column types shared by all models, engine and session handling."""

from __future__ import annotations

import os
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, TypeVar

from flask import Flask, current_app, g
from sqlalchemy import JSON, DateTime, MetaData, create_engine, event, func, insert, select
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session, sessionmaker
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import LargeBinary, TypeDecorator

from ifm_api.core.sorting import register_sqlite
from ifm_api.core.write import changes


class utf8_bytes(FunctionElement[bytes]):
    """A text column as the UTF-8 bytes the database holds (``CAST(x AS BLOB)`` on SQLite,
    ``convert_to(x, 'UTF8')`` on PostgreSQL): a stored JSON document goes into the response
    as bytes, with no decoding into a Python string and encoding back (for a list page of
    stored documents with umlauts, about 0.3 ms of a 1 ms read)."""

    type = LargeBinary()
    name = "utf8_bytes"
    inherit_cache = True


@compiles(utf8_bytes)
def _utf8_bytes_default(element: utf8_bytes, compiler: Any, **kw: Any) -> str:
    return f"convert_to({compiler.process(element.clauses, **kw)}, 'UTF8')"


@compiles(utf8_bytes, "sqlite")
def _utf8_bytes_sqlite(element: utf8_bytes, compiler: Any, **kw: Any) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS BLOB)"


NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware datetimes on every backend; SQLite stores naive UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON, list[Any]: JSON}


def utcnow() -> datetime:
    return datetime.now(UTC)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()
        register_sqlite(dbapi_connection)


_ENGINES: weakref.WeakSet[Engine] = weakref.WeakSet()


def _forget_inherited_connections() -> None:
    """In a forked process (a gunicorn worker of a preloaded app): start with empty pools.

    The parent's connections are left open for the parent (``close=False``), as SQLAlchemy
    advises for forking; two processes must never share one database connection.
    """
    for engine in list(_ENGINES):
        engine.dispose(close=False)


os.register_at_fork(after_in_child=_forget_inherited_connections)


def make_engine(url: str) -> Engine:
    engine = _new_engine(url)
    _ENGINES.add(engine)
    return engine


def _new_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///")
        if path and path != ":memory:":
            from pathlib import Path

            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False})
        _configure_sqlite(engine)
        return engine
    engine = create_engine(url, pool_pre_ping=True)
    _configure_postgresql(engine)
    return engine


def make_read_engine(url: str, engine: Engine) -> Engine:
    """The engine of the public reads: on PostgreSQL a pool of its own in autocommit mode.

    A read is one to three statements, each a round trip to the server; around them the
    main pool would add three more (the pre-ping on checkout, the ``BEGIN`` psycopg sends
    before the first statement, the ``ROLLBACK`` on return), more than the reads' own time.
    Under ``READ COMMITTED`` every statement takes its own snapshot anyway, so autocommit
    changes nothing a read sees. Without the pre-ping, a connection the server dropped is
    noticed by the statement that fails: ``read`` runs it once more on a new connection.
    SQLite (no server, no round trips) reads on the main engine.
    """
    if url.startswith("sqlite"):
        return engine
    reads = create_engine(url, isolation_level="AUTOCOMMIT")
    _configure_postgresql(reads)
    _ENGINES.add(reads)
    return reads


def _configure_postgresql(engine: Engine) -> None:
    """No JIT compilation: a read's statements run in milliseconds, and compiling one
    takes 20 ms and more. PostgreSQL compiles every statement whose estimated cost passes
    ``jit_above_cost``, which a search's statement does once ``search_entries`` is large
    (it holds the plans of the variants that the count rules out), however few rows it
    reads. Set per connection (once, when the pool opens it)."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("SET jit = off")
        cursor.close()
        dbapi_connection.commit()


def init_app(app: Flask, url: str) -> None:
    engine = make_engine(url)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    app.extensions["ifm_engine"] = engine
    app.extensions["ifm_read_engine"] = make_read_engine(url, engine)
    app.extensions["ifm_session"] = scoped_session(factory)

    @app.teardown_appcontext
    def _remove_session(_exc: BaseException | None) -> None:
        reads = g.pop(READ_CONNECTION, None)
        if reads is not None:
            reads.close()
        app.extensions["ifm_session"].remove()


_SESSION_OVERRIDE: ContextVar[Session | None] = ContextVar("ifm_session_override", default=None)


def session() -> Session:
    """The request's session (one per app context), or the one ``using()`` put in place."""
    return _SESSION_OVERRIDE.get() or current_app.extensions["ifm_session"]()


READ_CONNECTION = "ifm_read_connection"


def read_connection() -> Connection:
    """The connection the public reads run their prebuilt statements on.

    The session's, where this app context has one (a write under way, a render, a command):
    a read then sees what the session sees. Otherwise a pooled connection of its own, held
    until the app context ends: a public read needs no ORM session, whose begin, bookkeeping
    and close cost more than the read's statements.
    """
    override = _SESSION_OVERRIDE.get()
    if override is not None:
        return override.connection()
    sessions = current_app.extensions["ifm_session"]
    if sessions.registry.has():
        return sessions().connection()
    reads: Connection | None = g.get(READ_CONNECTION)
    if reads is None:
        reads = read_engine().connect()
        setattr(g, READ_CONNECTION, reads)
    return reads


T = TypeVar("T")


def read(run: Callable[[Connection], T]) -> T:
    """``run`` on the read connection; once more on a new one when the server had dropped
    the first (a restart, an idle timeout: the read pool does not ping, see
    ``make_read_engine``). A session's connection is not retried: its transaction is lost."""
    connection = read_connection()
    try:
        return run(connection)
    except DBAPIError as exc:
        if not exc.connection_invalidated or g.get(READ_CONNECTION) is not connection:
            raise
        g.pop(READ_CONNECTION).close()
        return run(read_connection())


@contextmanager
def using(other: Session) -> Iterator[Session]:
    """Make ``session()`` return ``other`` for a while (e.g. a clean identity map on the
    same connection, so a render sees only what its own queries load)."""
    token = _SESSION_OVERRIDE.set(other)
    try:
        yield other
    finally:
        _SESSION_OVERRIDE.reset(token)


def engine() -> Engine:
    return current_app.extensions["ifm_engine"]


def read_engine() -> Engine:
    """The engine of the public reads' own connections (``make_read_engine``)."""
    return current_app.extensions["ifm_read_engine"]


def dispose(app: Flask) -> None:
    """Close every pooled connection of ``app``'s engines (before its database is dropped,
    replaced or migrated by another process)."""
    main, reads = app.extensions["ifm_engine"], app.extensions["ifm_read_engine"]
    main.dispose()
    if reads is not main:
        reads.dispose()


def engines() -> list[Engine]:
    """Every engine of the app (for listeners that must hear every statement)."""
    main, reads = engine(), read_engine()
    return [main] if reads is main else [main, reads]


def pools() -> dict[str, Engine]:
    """The app's engines by the name of their pool: ``main`` (writes, editors' reads) and,
    where the public reads have their own (PostgreSQL), ``reads``."""
    main, reads = engine(), read_engine()
    return {"main": main} if reads is main else {"main": main, "reads": reads}


AFTER_COMMIT = "ifm.after_commit"


def after_commit(callback: Callable[[], None]) -> None:
    """Run ``callback`` once the current ``transaction()`` has committed (never on rollback).

    For work outside the database that must follow the committed state, such as removing a
    file no row references any more.
    """
    session().info.setdefault(AFTER_COMMIT, []).append(callback)


@contextmanager
def transaction() -> Iterator[Session]:
    """One unit of work: commit on success, roll back everything on any error.

    Every write bumps the content version (the write lock), and hands what it changed for
    the public to the subscribers of ``core.write.changes`` (the read model first) before it
    commits.
    """
    from ifm_api.core.cache import bump_version

    s = session()
    try:
        yield s
        changes.before_commit(s)
        bump_version()
        s.commit()
    except BaseException:
        s.info.pop(AFTER_COMMIT, None)
        changes.discard(s)
        s.rollback()
        raise
    for callback in s.info.pop(AFTER_COMMIT, []):
        callback()


def insert_rows(session: Session, model: type[Base], rows: list[dict[str, Any]]) -> list[int]:
    """Insert ``rows`` into ``model``'s table in one batch; their new ids, in order.

    On PostgreSQL one batched ``INSERT … RETURNING`` does it. SQLite cannot tie returned
    ids to parameter sets, so SQLAlchemy would send one INSERT per row; there, where the
    write transaction is the only writer, the ids are given: the next ones after the largest.
    """
    if not rows:
        return []
    table = model.__table__
    key = table.primary_key.columns.values()[0]
    if session.get_bind().dialect.name != "sqlite":
        stmt = insert(table).returning(key, sort_by_parameter_order=True)
        return list(session.scalars(stmt, rows))
    start = session.scalar(select(func.coalesce(func.max(key), 0))) or 0
    ids = list(range(start + 1, start + 1 + len(rows)))
    session.execute(insert(table), [{**row, key.name: i} for row, i in zip(rows, ids, strict=True)])
    return ids
