"""Prebuilt read statements run on the driver's cursor.

A public read runs one to three statements that never change but for their bound values.
SQLAlchemy builds and compiles each once (``public.prebuilt``); what it still does on every
execution (an execution context, the parameters processed through the compiled form, a
result object with its row processors) costs about as much as SQLite's own work for a page
of 20 rows: some 20 µs a statement. A :class:`Plan` keeps, per dialect, what SQLAlchemy
compiled (the SQL text, the order of its parameters, the bind and result processors, all
from its public API) and hands the statement to the DBAPI cursor of the request's
connection.

What stays as with SQLAlchemy: the engine's ``before_cursor_execute`` and
``after_cursor_execute`` listeners hear every statement (the query-count guards, the bench
and any tracing count with them); a driver error is raised as SQLAlchemy's, by running the
statement once more through SQLAlchemy (which also invalidates a connection that is gone).
Statements with expanding parameters (``IN`` lists) are not planned: SQLAlchemy runs them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import Select

Row = Sequence[Any]
Processor = Callable[[Any], Any]


@dataclass(frozen=True, slots=True)
class Plan:
    """One statement as compiled for one dialect, ready for the DBAPI cursor."""

    sql: str
    names: tuple[str, ...]  # the parameters in the order a positional driver takes them
    positional: bool
    defaults: dict[str, Any]  # values bound in the statement itself (e.g. a literal type)
    binds: dict[str, Processor]  # bind processors, where a parameter's type has one
    results: tuple[Processor | None, ...] | None  # per column; None: rows are used as read

    @classmethod
    def of(cls, stmt: Select[Any], dialect: Dialect) -> Plan | None:
        compiled = stmt.compile(dialect=dialect)
        if any(bind.expanding for bind in compiled.binds.values()):
            return None
        binds: dict[str, Processor] = {}
        for name, bind in compiled.binds.items():
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                binds[name] = processor
        columns = [
            column.type.dialect_impl(dialect).result_processor(dialect, None)
            for column in stmt.selected_columns
        ]
        return cls(
            sql=compiled.string,
            names=tuple(compiled.positiontup or ()),
            positional=compiled.positional,
            defaults={
                name: bind.effective_value
                for name, bind in compiled.binds.items()
                if not bind.required
            },
            binds=binds,
            results=tuple(columns) if any(columns) else None,
        )

    def parameters(self, values: dict[str, Any]) -> Sequence[Any] | dict[str, Any]:
        bound = {**self.defaults, **values}
        for name, processor in self.binds.items():
            bound[name] = processor(bound[name])
        if self.positional:
            return tuple(bound[name] for name in self.names)
        return bound

    def rows(self, connection: Connection, values: dict[str, Any]) -> list[Row]:
        parameters = self.parameters(values)
        cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        sql = self.sql
        events = connection.dispatch  # the engine's listeners joined with the connection's
        try:
            for before in events.before_cursor_execute:
                sql, parameters = before(connection, cursor, sql, parameters, None, False)
            cursor.execute(sql, parameters)
            events.after_cursor_execute(connection, cursor, sql, parameters, None, False)
            found = cursor.fetchall()
        finally:
            cursor.close()
        if self.results is None:
            return found
        return [self._processed(row) for row in found]

    def _processed(self, row: Row) -> Row:
        assert self.results is not None
        pairs = zip(self.results, row, strict=True)
        return tuple(value if process is None else process(value) for process, value in pairs)


_PLANS: dict[tuple[int, str], Plan | None] = {}


def plan(stmt: Select[Any], dialect: Dialect) -> Plan | None:
    """The plan of a statement that lives as long as the process (a prebuilt one)."""
    key = (id(stmt), dialect.name)
    if key not in _PLANS:
        _PLANS[key] = Plan.of(stmt, dialect)
    return _PLANS[key]


def rows(connection: Connection, stmt: Select[Any], values: dict[str, Any]) -> list[Row]:
    """The rows of a prebuilt statement run with ``values``."""
    found = plan(stmt, connection.dialect)
    if found is None:
        return list(connection.execute(stmt, values))
    try:
        return found.rows(connection, values)
    except connection.dialect.loaded_dbapi.Error:
        return list(connection.execute(stmt, values))
