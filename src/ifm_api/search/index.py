"""Writing the search index: an entry for every read-model row, in the same transaction.

``core.read.build`` calls :func:`index_rows` right after it inserted read-model rows (on
every publishing write and on ``readmodel rebuild``); deleting a row deletes its entry and
texts (foreign keys with ``ON DELETE CASCADE``), so the index never holds what the read model
does not. The per-database full-text structures are created by the migration (a copy of
``SQLITE_DDL`` / ``POSTGRES_DDL``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time
from typing import Any

import lxml.html
import orjson
from sqlalchemy import Text, bindparam, delete, func, insert, select, text
from sqlalchemy import column as sql_column
from sqlalchemy import table as sql_table
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session

from ifm_api.core.read.model import ALL_LANGUAGES, API_ROOT, PublicItem
from ifm_api.search.models import SearchEntry, SearchTerm, SearchText
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
    f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(title, body, content='search_texts', "
    "content_rowid='recency_key', tokenize='unicode61 remove_diacritics 0')",
    "CREATE TRIGGER search_texts_ai AFTER INSERT ON search_texts BEGIN "
    f"INSERT INTO {FTS_TABLE}(rowid, title, body) VALUES (new.recency_key, new.title, new.body); "
    "END",
    "CREATE TRIGGER search_texts_ad AFTER DELETE ON search_texts BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, title, body) "
    "VALUES ('delete', old.recency_key, old.title, old.body); END",
    "CREATE TRIGGER search_texts_au AFTER UPDATE ON search_texts BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, title, body) "
    "VALUES ('delete', old.recency_key, old.title, old.body); "
    f"INSERT INTO {FTS_TABLE}(rowid, title, body) VALUES (new.recency_key, new.title, new.body); "
    "END",
)
# Written with the entry (``index_rows``) from our tokens: array_to_tsvector takes them as
# they are, no parser, so PostgreSQL matches exactly the tokens FTS5 does.
POSTGRES_DDL = (
    "ALTER TABLE search_entries ADD COLUMN title_vector tsvector",
    "ALTER TABLE search_entries ADD COLUMN vector tsvector",
    # in the row, not out of line in the TOAST table (pglz does not compress a vector of our
    # tokens): a search checks the vector of every row it walks (migration 0017)
    "ALTER TABLE search_entries ALTER COLUMN vector SET STORAGE MAIN",
    "CREATE INDEX ix_search_entries_vector ON search_entries USING gin (vector)",
    # no parallel scans: a search's statement holds plans it does not run (the tier variants
    # the count rules out), and a parallel plan would start its workers all the same
    "ALTER TABLE search_entries SET (parallel_workers = 0)",
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


KEY_EPOCH = datetime(1900, 1, 1, tzinfo=UTC)
KEY_ID_BITS = 30  # the low bits: the row id (modulo), so that keys are unique
KEY_MAX_SECONDS = (1 << (63 - KEY_ID_BITS)) - 1  # 33 bits of seconds: up to the year 2172


def recency_key(item_id: int, when: datetime | None) -> int:
    """The entry's key, in "newer first" order when sorted descending: the item's own date
    in whole seconds (none: 0, so last), then the row id. The full-text index's rowid on
    SQLite, the primary key on both: ``ORDER BY recency_key DESC LIMIT n`` reads n matches."""
    seconds = 0
    if when is not None:
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = min(max(int((when - KEY_EPOCH).total_seconds()), 0), KEY_MAX_SECONDS)
    return (seconds << KEY_ID_BITS) | (item_id & ((1 << KEY_ID_BITS) - 1))


def entry(item_id: int, values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The search entry and the texts of one read-model row."""
    doc = orjson.loads(values["doc"].replace(API_ROOT, ""))
    lang = values.get("served_lang")
    when = recency(doc)
    key = recency_key(item_id, when)
    titles, others = searched_texts(doc)
    body = index_tokens(others.values(), lang)
    if doc.get("isbn"):
        body.add(NOT_ALNUM.sub("", doc["isbn"]).lower())  # found without its hyphens too
    row = {
        "recency_key": key,
        "item_id": item_id,
        "entity_id": values["entity_id"],
        "type": values["type"],
        "lang": values["lang"],
        "lenient": values["lenient"],
        "strict": values["strict"],
        "visible_from": values["visible_from"],
        "visible_until": values["visible_until"],
        "recency": when,
    }
    texts = {
        "recency_key": key,
        "item_id": item_id,
        "title": " ".join(sorted(index_tokens(titles.values(), lang))),
        "body": " ".join(sorted(body)),
        "texts": orjson.dumps({**titles, **others}).decode(),
    }
    return row, texts


def _postgres_insert() -> Any:
    """``search_entries`` with its ``tsvector`` columns made from the tokens passed."""
    columns = [sql_column(c.name, c.type) for c in SearchEntry.__table__.columns]
    vectors = (sql_column("title_vector"), sql_column("vector"))
    target = sql_table(SearchEntry.__tablename__, *columns, *vectors)
    values: dict[str, Any] = {c.name: bindparam(c.name, type_=c.type) for c in columns}
    values["title_vector"] = _vector(bindparam("title_tokens", type_=Text))
    values["vector"] = _vector(bindparam("all_tokens", type_=Text))
    return insert(target).values(values)


def _vector(tokens: Any) -> Any:
    return func.array_to_tsvector(func.string_to_array(tokens, " "))


def index_rows(session: Session, ids: Iterable[int], rows: Iterable[dict[str, Any]]) -> None:
    """Index read-model rows just inserted (one language each; ``lang=all`` is not searched)."""
    pairs = [
        entry(item_id, values)
        for item_id, values in zip(ids, rows, strict=True)
        if values["lang"] != ALL_LANGUAGES
    ]
    if not pairs:
        return
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            _postgres_insert(),
            [
                {
                    **row,
                    "title_tokens": texts["title"],
                    "all_tokens": " ".join(
                        sorted(set(texts["title"].split()) | set(texts["body"].split()))
                    ),
                }
                for row, texts in pairs
            ],
        )
    else:
        session.execute(insert(SearchEntry.__table__), [row for row, _texts in pairs])
    session.execute(insert(SearchText.__table__), [texts for _row, texts in pairs])
    add_terms(session, {t for _row, texts in pairs for t in _tokens(texts)})


def unindex(session: Session, ids: Sequence[int]) -> None:
    """Delete the entries of read-model rows (that stay, to be indexed again)."""
    for model in (SearchText, SearchEntry):
        table = model.__table__
        session.execute(delete(table).where(table.c.item_id.in_(list(ids))))


def _tokens(texts: dict[str, Any]) -> list[str]:
    return [*texts["title"].split(), *texts["body"].split()]


def add_terms(session: Session, terms: set[str]) -> None:
    """Record tokens in ``search_terms`` (those already there are left alone)."""
    if not terms:
        return
    dialect = session.get_bind().dialect.name
    upsert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    session.execute(
        upsert(SearchTerm).on_conflict_do_nothing(), [{"term": t} for t in sorted(terms)]
    )


# --- check -----------------------------------------------------------------------------------

ENTRY_CHECKED = ("recency_key", "entity_id", "type", "lang", "lenient", "strict", "visible_from")
ENTRY_CHECKED += ("visible_until", "recency")
TEXT_CHECKED = ("recency_key", "title", "body", "texts")


def check(session: Session) -> list[str]:
    """Every search entry that differs from what its read-model row gives (or is missing);
    on SQLite also FTS5's own check of ``search_fts`` against ``search_texts``."""
    P, S, T = PublicItem, SearchEntry, SearchText
    problems: list[str] = []
    source = (P.id, P.entity_id, P.type, P.lang, P.served_lang, P.lenient, P.strict, P.doc)
    source += (P.visible_from, P.visible_until)
    rows = session.execute(
        select(
            *source,
            S.item_id.label("entry"),
            *(getattr(S, c).label(f"s_{c}") for c in ENTRY_CHECKED),
            T.item_id.label("text"),
            *(getattr(T, c).label(f"t_{c}") for c in TEXT_CHECKED),
        )
        .outerjoin(S, S.item_id == P.id)
        .outerjoin(T, T.item_id == P.id)
        .where(P.lang != ALL_LANGUAGES)
        .order_by(P.id)
    )
    tokens: set[str] = set()
    for row in rows:
        wanted_entry, wanted_texts = entry(row.id, row._asdict())
        tokens.update(_tokens(wanted_texts))
        if row.entry is None or row.text is None:
            problems.append(f"item {row.entity_id}: search entry of row {row.id} missing")
            continue
        stored = [getattr(row, f"s_{c}") for c in ENTRY_CHECKED]
        stored += [getattr(row, f"t_{c}") for c in TEXT_CHECKED]
        wanted = [wanted_entry[c] for c in ENTRY_CHECKED] + [wanted_texts[c] for c in TEXT_CHECKED]
        if stored != wanted:
            problems.append(f"item {row.entity_id}: search entry of row {row.id} stale")
    missing = tokens - set(session.scalars(select(SearchTerm.term)))
    if missing:
        problems.append(f"search_terms: {len(missing)} of the index's tokens missing")
    if session.get_bind().dialect.name == "sqlite":
        try:
            session.execute(
                text(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rank) VALUES ('integrity-check', 1)")
            )
        except DatabaseError as error:
            problems.append(f"{FTS_TABLE} differs from search_texts: {error.orig}")
    return problems
