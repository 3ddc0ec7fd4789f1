"""Searching the published read model: ``q=`` on the lists and ``GET /api/v1/search``.

A search is the read model's list query with one more condition, the full-text match, and
(unless a ``sort`` is asked for) relevance as its order: a count and one page, two queries
whatever is found. What may be found is what the list shows: the read language's rows in
the fallback mode asked for, visible now.

Score: 2 when a word is found in the title (or name), else 1; equal scores put newer items
first. It is computed the same way on both databases (FTS5's ``bm25`` with the body weighted
0 is non-zero exactly when the title matches; on PostgreSQL the title's own ``tsvector``),
so both return the same items in the same order.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import (
    ColumnElement,
    Select,
    Text,
    case,
    cast,
    func,
    literal,
    literal_column,
    select,
)
from sqlalchemy import column as sql_column
from sqlalchemy import table as sql_table
from sqlalchemy.dialects.postgresql import TSQUERY
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.selectable import Join

from ifm_api.core import db
from ifm_api.core.content import ReadContext, ResourceSpec
from ifm_api.core.errors import BadRequest
from ifm_api.core.i18n import ALL, supported_languages
from ifm_api.core.models import LIVE
from ifm_api.core.read.model import API_ROOT, PublicItem
from ifm_api.core.read.public import Stored, _order, visible_now
from ifm_api.search.index import FTS_TABLE
from ifm_api.search.models import SearchEntry
from ifm_api.search.text import Query, marks, parse_query, words

P, S = PublicItem, SearchEntry
SNIPPET_CHARS = 200  # a highlight's length, about
SNIPPET_BEFORE = 60  # of which before the first match


class CrossJoin(Join):
    """A join whose left side SQLite must loop over (``CROSS JOIN``): the full-text match
    drives, and the read model is looked up by row id. Left to itself, SQLite may walk a
    list's index and run the full-text query once per row."""

    inherit_cache = True


@compiles(CrossJoin, "sqlite")
def _cross_join(join: CrossJoin, compiler: Any, **kw: Any) -> str:
    kw["asfrom"] = True
    left = compiler.process(join.left, **kw)
    right = compiler.process(join.right, **kw)
    return f"{left} CROSS JOIN {right} ON {compiler.process(join.onclause, **kw)}"


@dataclass(frozen=True)
class Hit:
    row: Stored
    score: int
    texts: str


def query_of(text: str) -> Query:
    return parse_query(text, supported_languages())


Matching = tuple[Select[Any], ColumnElement[Any], bool]


def _matching(query: Query, stmt: Select[Any]) -> Matching:
    """``stmt`` (over the read model) limited to the rows the query finds, the score, and
    whether ``search_entries`` is joined already (PostgreSQL: the vectors are there; SQLite
    counts without it)."""
    dialect = db.session().get_bind().dialect.name
    if dialect == "sqlite":
        fts = sql_table(FTS_TABLE, sql_column("rowid"))
        stmt = stmt.select_from(CrossJoin(fts, P.__table__, fts.c.rowid == P.id)).where(
            literal_column(FTS_TABLE).match(query.fts5())
        )
        title_hit = func.bm25(literal_column(FTS_TABLE), 1.0, 0.0) < 0
    else:
        vector = literal_column(f"{S.__tablename__}.vector")
        title_vector = literal_column(f"{S.__tablename__}.title_vector")
        stmt = stmt.join(S, S.item_id == P.id).where(
            vector.op("@@")(cast(literal(query.tsquery(), Text), TSQUERY))
        )
        title_hit = title_vector.op("@@")(
            cast(literal(query.tsquery(any_term=True), Text), TSQUERY)
        )
    score = case((title_hit, 2), else_=1).label("score")
    return stmt, score, dialect != "sqlite"


def _columns() -> tuple[Any, ...]:
    return (P.entity_id, P.doc, P.etag, P.served_lang, P.links, S.texts)


def relevance(score: ColumnElement[Any]) -> list[Any]:
    return [score.desc(), S.recency.desc().nulls_last(), P.entity_id.desc()]


def _page(
    matching: Matching,
    order: Callable[[ColumnElement[Any]], list[Any]],
    page: int,
    page_size: int,
) -> tuple[list[Hit], int]:
    """The count, and one page: its row ids ranked first (small rows to sort, however many
    match), then only their stored JSON joined, in the same order."""
    stmt, score, joined = matching
    session = db.session()
    total = session.scalar(stmt.with_only_columns(func.count(P.id))) or 0
    if total == 0 or (page - 1) * page_size >= total:
        return [], total
    if not joined:
        stmt = stmt.join(S, S.item_id == P.id)  # for the ranking's recency
    ranked = (
        stmt.with_only_columns(P.id.label("row_id"), score)
        .order_by(*order(score))
        .limit(page_size)
        .offset((page - 1) * page_size)
        .subquery("ranked")
    )
    rows = session.execute(
        select(*_columns(), ranked.c.score)
        .select_from(ranked)
        .join(P, P.id == ranked.c.row_id)
        .join(S, S.item_id == P.id)
        .order_by(*order(ranked.c.score))
    )
    return [Hit(Stored(*row[:5]), row.score, row.texts) for row in rows], total


def check_list_query(ctx: ReadContext, *, bibliography: bool) -> None:
    """``q`` searches what the public reads in one language."""
    if ctx.lang == ALL or ctx.state != LIVE or bibliography:
        raise BadRequest("search_not_here")


def list_rows(
    spec: ResourceSpec,
    ctx: ReadContext,
    text: str,
    *,
    page: int,
    page_size: int,
    sort: str | None,
    filters: dict[str, Any],
) -> tuple[list[Stored], int]:
    """A list's page with ``q``: its filters, and its ``sort`` if one is asked for."""
    base: Select[Any] = select(P.id).where(P.type == spec.type, *visible_now(ctx))
    if spec.read.filters and filters:
        base = spec.read.filters(base, filters, ctx)
    matching = _matching(query_of(text), base)

    def order(score: ColumnElement[Any]) -> list[Any]:
        return _order(spec, sort) if sort else relevance(score)

    hits, total = _page(matching, order, page, page_size)
    return [hit.row for hit in hits], total


def search(
    ctx: ReadContext, text: str, types: Sequence[str], *, page: int, page_size: int
) -> tuple[list[Hit], int]:
    """A page of hits across the types (item ``type`` values) and the total."""
    base: Select[Any] = select(P.id).where(P.type.in_(types), *visible_now(ctx))
    return _page(_matching(query_of(text), base), relevance, page, page_size)


# --- the body --------------------------------------------------------------------------------


def hit_body(hit: Hit, query: Query, api_root: str) -> bytes:
    """The stored item as the lists serve it, with ``score`` and ``highlights``."""
    item = orjson.loads(hit.row.doc.replace(API_ROOT, api_root))
    item["score"] = hit.score
    item["highlights"] = highlights(orjson.loads(hit.texts), query, hit.row.served_lang)
    return orjson.dumps(item)


def highlights(texts: dict[str, str], query: Query, lang: str | None) -> dict[str, str]:
    """Per field with a match: a snippet, matched words in ``<mark>``, the rest escaped."""
    found = {}
    for field, text in texts.items():
        snippet = _snippet(text, query, lang)
        if snippet is not None:
            found[field] = snippet
    return found


def _snippet(text: str, query: Query, lang: str | None) -> str | None:
    first = None
    for match in words(text):
        if marks(match.group(), query, lang):
            first = match
            break
    if first is None:
        return None
    start, end = 0, len(text)
    if len(text) > SNIPPET_CHARS:
        start = max(0, first.start() - SNIPPET_BEFORE)
        if start:
            start = _word_start(text, start)
        end = min(len(text), start + SNIPPET_CHARS)
        if end < len(text):
            end = max(_word_end(text, end), first.end())
    parts = ["…"] if start else []
    position = start
    for match in words(text[start:end]):
        word_start, word_end = start + match.start(), start + match.end()
        if marks(match.group(), query, lang):
            parts.append(html.escape(text[position:word_start]))
            parts.append(f"<mark>{html.escape(match.group())}</mark>")
            position = word_end
    parts.append(html.escape(text[position:end]))
    if end < len(text):
        parts.append("…")
    return "".join(parts).strip()


def _word_start(text: str, index: int) -> int:
    """The start of the next word at or after ``index`` (a snippet never cuts a word)."""
    while index < len(text) and not text[index - 1].isspace():
        index += 1
    return index


def _word_end(text: str, index: int) -> int:
    while index > 0 and not text[index].isspace():
        index -= 1
    return index
