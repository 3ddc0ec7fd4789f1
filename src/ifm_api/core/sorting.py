"""Sort keys that order text the way German lists do (DIN 5007-1), alike in Python and SQL.

DIN 5007-1 ("dictionary" order) sorts a letter with diacritics as its base letter (ä as a,
é as e) and ß as ss, ignoring case. Python (``sort_text``), SQLite (the same function,
registered on every connection) and PostgreSQL (``translate`` with the same table) compute the
same key, and comparisons are bytewise so the database's own collation cannot reorder keys
(linguistic collations skip separators and would interleave "Müller" and "Mülleraa").
"""

from __future__ import annotations

import unicodedata
from typing import Any

from sqlalchemy import String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

SORT_LETTERS = {
    "a": "àáâãäåæ", "c": "çćč", "d": "ď", "e": "èéêëě", "i": "ìíîï", "l": "ł",
    "n": "ñńň", "o": "òóôõöøœ", "r": "ř", "s": "śš", "t": "ť", "u": "ùúûüů", "y": "ýÿ",
    "z": "źżž",
}  # fmt: skip
SORT_FROM = "".join(SORT_LETTERS.values())
SORT_TO = "".join(base * len(letters) for base, letters in SORT_LETTERS.items())
_TABLE = str.maketrans(SORT_FROM, SORT_TO)
SQLITE_FUNCTION = "ifm_sort_text"


def sort_text(value: str | None) -> str | None:
    """The DIN 5007-1 key of ``value``: lowercase, diacritics dropped, ß as ss."""
    if value is None:
        return None
    return unicodedata.normalize("NFC", value).lower().translate(_TABLE).replace("ß", "ss")


def register_sqlite(dbapi_connection: Any) -> None:
    """Make ``sortable()`` available on an SQLite connection."""
    dbapi_connection.create_function(SQLITE_FUNCTION, 1, sort_text, deterministic=True)


class sortable(FunctionElement[str]):
    """SQL: ``sort_text(expr)``, compared bytewise."""

    type = String()
    inherit_cache = True
    name = "sortable"


class bytewise(FunctionElement[str]):
    """SQL: ``expr`` compared bytewise (for keys computed in Python, e.g. people's)."""

    type = String()
    inherit_cache = True
    name = "bytewise"


@compiles(sortable)
def _sortable_sqlite(element: sortable, compiler: SQLCompiler, **kw: Any) -> str:
    return f"{SQLITE_FUNCTION}({compiler.process(element.clauses, **kw)})"


@compiles(sortable, "postgresql")
def _sortable_postgresql(element: sortable, compiler: SQLCompiler, **kw: Any) -> str:
    arg = compiler.process(element.clauses, **kw)
    return f"replace(translate(lower({arg}), '{SORT_FROM}', '{SORT_TO}'), 'ß', 'ss') COLLATE \"C\""


@compiles(bytewise)
def _bytewise_sqlite(element: bytewise, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)


@compiles(bytewise, "postgresql")
def _bytewise_postgresql(element: bytewise, compiler: SQLCompiler, **kw: Any) -> str:
    return f'({compiler.process(element.clauses, **kw)}) COLLATE "C"'
