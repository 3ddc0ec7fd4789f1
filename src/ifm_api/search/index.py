"""Writing the search index: an entry for every read-model row, in the same transaction.

``core.read.build`` calls :func:`index_rows` right after it inserted read-model rows (on
every publishing write and on ``readmodel rebuild``); deleting a row deletes its entry (a
foreign key with ``ON DELETE CASCADE``), so the index never holds what the read model does
not. The per-database full-text structures are created by the migration from ``DDL``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time
from typing import Any

import lxml.html
import orjson
from sqlalchemy import insert, select, text
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session

from ifm_api.core.read.model import ALL_LANGUAGES, API_ROOT, PublicItem
from ifm_api.search.models import SearchEntry
from ifm_api.search.text import index_tokens

TITLE_FIELDS = ("title", "name")
TEXT_FIELDS = ("teaser", "body", "abstract", "summary", "description", "position", "biography")
RICH_FIELDS = frozenset({"body", "abstract", "description", "biography"})
NAME_LISTS = ("authors", "people", "members")  # relations whose names are searched
PLAIN_LISTS = ("tags", "funders", "partners")
IDENTIFIERS = ("doi", "isbn", "series")
RECENCY_FIELDS = ("published_at", "publication_date", "start_date", "created_at")
BLOCK_TAGS = (
    "p", "br", "hr", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre",
    "tr", "td", "th", "caption",
)  # fmt: skip
NOT_ALNUM = re.compile(r"[\W_]+")

FTS_TABLE = "search_fts"
SQLITE_DDL = (
    f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(title, body, content='search_entries', "
    "content_rowid='item_id', tokenize='unicode61 remove_diacritics 0')",
    "CREATE TRIGGER search_entries_ai AFTER INSERT ON search_entries BEGIN "
    f"INSERT INTO {FTS_TABLE}(rowid, title, body) VALUES (new.item_id, new.title, new.body); "
    "END",
    "CREATE TRIGGER search_entries_ad AFTER DELETE ON search_entries BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, title, body) "
    "VALUES ('delete', old.item_id, old.title, old.body); END",
    "CREATE TRIGGER search_entries_au AFTER UPDATE ON search_entries BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, title, body) "
    "VALUES ('delete', old.item_id, old.title, old.body); "
    f"INSERT INTO {FTS_TABLE}(rowid, title, body) VALUES (new.item_id, new.title, new.body); "
    "END",
)
# The tokens are ours (see search.text): array_to_tsvector takes them as they are, no parser.
POSTGRES_DDL = (
    "ALTER TABLE search_entries ADD COLUMN title_vector tsvector GENERATED ALWAYS AS "
    "(array_to_tsvector(string_to_array(title, ' '))) STORED",
    "ALTER TABLE search_entries ADD COLUMN vector tsvector GENERATED ALWAYS AS "
    "(array_to_tsvector(array_cat(string_to_array(title, ' '), string_to_array(body, ' ')))) "
    "STORED",
    "CREATE INDEX ix_search_entries_vector ON search_entries USING gin (vector)",
)
# What the DDL above adds and the models do not declare (for Alembic's comparisons).
EXTRA_TABLE_PREFIX = FTS_TABLE
EXTRA_COLUMNS = frozenset({"title_vector", "vector"})
EXTRA_INDEXES = frozenset({"ix_search_entries_vector"})


def include_name(name: str | None, type_: str, parent_names: dict[str, Any]) -> bool:
    """Alembic ``include_name``: leave the full-text structures of ``DDL`` out."""
    if type_ == "table":
        return not (name or "").startswith(EXTRA_TABLE_PREFIX)
    if type_ == "column" and parent_names.get("table_name") == "search_entries":
        return name not in EXTRA_COLUMNS
    if type_ == "index":
        return name not in EXTRA_INDEXES
    return True


def ddl(dialect: str) -> Sequence[str]:
    return SQLITE_DDL if dialect == "sqlite" else POSTGRES_DDL


# --- entries -------------------------------------------------------------------------------


def plain(html: str) -> str:
    """The text of cleaned HTML, blocks separated (so words never run together)."""
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    for element in root.iter(*BLOCK_TAGS):
        element.tail = " " + (element.tail or "")
    return " ".join(root.text_content().split())


def _names(value: Any) -> list[str]:
    out = []
    for entry in value or []:
        if not isinstance(entry, dict):
            continue
        name = entry.get("name") or (entry.get("person") or {}).get("name")
        if name:
            out.append(name)
    return out


def searched_texts(doc: dict[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    """(title texts, other texts) of one served item, per field, as plain text."""
    titles = {f: doc[f] for f in TITLE_FIELDS if isinstance(doc.get(f), str) and doc[f]}
    others: dict[str, str] = {}
    for field in TEXT_FIELDS:
        value = doc.get(field)
        if isinstance(value, str) and value:
            others[field] = plain(value) if field in RICH_FIELDS else value
    for field in NAME_LISTS:
        names = _names(doc.get(field))
        if names:
            others[field] = ", ".join(names)
    for field in PLAIN_LISTS:
        values = [v for v in doc.get(field) or [] if isinstance(v, str)]
        if values:
            others[field] = ", ".join(values)
    for field in IDENTIFIERS:
        if isinstance(doc.get(field), str) and doc[field]:
            others[field] = doc[field]
    return titles, others


def recency(doc: dict[str, Any]) -> datetime | None:
    """The item's own date, for "newer first" among equal scores."""
    for field in RECENCY_FIELDS:
        value = doc.get(field)
        if not isinstance(value, str):
            continue
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), time(), tzinfo=UTC)
        return datetime.fromisoformat(value)
    return None


def entry(item_id: int, values: dict[str, Any]) -> dict[str, Any]:
    doc = orjson.loads(values["doc"].replace(API_ROOT, ""))
    lang = values.get("served_lang")
    titles, others = searched_texts(doc)
    body = index_tokens(others.values(), lang)
    if doc.get("isbn"):
        body.add(NOT_ALNUM.sub("", doc["isbn"]).lower())  # found without its hyphens too
    return {
        "item_id": item_id,
        "title": " ".join(sorted(index_tokens(titles.values(), lang))),
        "body": " ".join(sorted(body)),
        "texts": orjson.dumps({**titles, **others}).decode(),
        "recency": recency(doc),
    }


def index_rows(session: Session, ids: Iterable[int], rows: Iterable[dict[str, Any]]) -> None:
    """Index read-model rows just inserted (one language each; ``lang=all`` is not searched)."""
    entries = [
        entry(item_id, values)
        for item_id, values in zip(ids, rows, strict=True)
        if values["lang"] != ALL_LANGUAGES
    ]
    if entries:
        session.execute(insert(SearchEntry), entries)


# --- check -----------------------------------------------------------------------------------

CHECKED = ("title", "body", "texts", "recency")


def check(session: Session) -> list[str]:
    """Every search entry that differs from what its read-model row gives (or is missing);
    on SQLite also FTS5's own check of ``search_fts`` against ``search_entries``."""
    P, S = PublicItem, SearchEntry
    problems: list[str] = []
    rows = session.execute(
        select(P.id, P.entity_id, P.doc, P.served_lang, *(getattr(S, c) for c in CHECKED))
        .outerjoin(S, S.item_id == P.id)
        .where(P.lang != ALL_LANGUAGES)
        .order_by(P.id)
    )
    for row in rows:
        wanted = entry(row.id, {"doc": row.doc, "served_lang": row.served_lang})
        stored = tuple(getattr(row, c) for c in CHECKED)
        if stored[0] is None:
            problems.append(f"item {row.entity_id}: search entry of row {row.id} missing")
        elif stored != tuple(wanted[c] for c in CHECKED):
            problems.append(f"item {row.entity_id}: search entry of row {row.id} stale")
    if session.get_bind().dialect.name == "sqlite":
        try:
            session.execute(
                text(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rank) VALUES ('integrity-check', 1)")
            )
        except DatabaseError as error:
            problems.append(f"{FTS_TABLE} differs from search_entries: {error.orig}")
    return problems
