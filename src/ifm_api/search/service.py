"""Searching the published read model: ``q=`` on the lists and ``GET /api/v1/search``.

A search is a count and one page, two queries whatever is found. What may be found is what
the list shows: the entries (copies of the read-model rows' keys) of the read language in
the fallback mode asked for, visible now; only the page's rows are read from the read model.
Without a ``sort``, relevance orders.

Score: 2 when a word is found in the title (or name), else 1; equal scores put newer items
first (the item's own date), then the higher id. It is computed the same way on both
databases (on SQLite a second full-text match on the title column, on PostgreSQL the title's
own ``tsvector``), so both return the same items in the same order.
"""

from __future__ import annotations

import html
import re
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
    or_,
    select,
    true,
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
from ifm_api.core.read.public import Stored, _order
from ifm_api.search.index import FTS_TABLE
from ifm_api.search.models import SearchEntry, SearchText
from ifm_api.search.text import WORD, Marker, Query, parse_query, words

P, E, T = PublicItem, SearchEntry, SearchText
SNIPPET_CHARS = 200  # a highlight's length, about
SNIPPET_BEFORE = 60  # of which before the first match


class CrossJoin(Join):
    """A join whose left side SQLite must loop over (``CROSS JOIN``): the full-text match
    drives, and the entries are looked up by row id. Left to itself, SQLite may walk an
    index of the right side and run the full-text query once per row."""

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


def visible_entries(ctx: ReadContext) -> list[ColumnElement[bool]]:
    """As ``core.read.public._visible``, on the entries' copies of those columns."""
    mode = E.strict if ctx.fallback is False else E.lenient
    return [
        E.lang == ctx.lang,
        mode == true(),
        E.visible_from <= ctx.now,
        or_(E.visible_until.is_(None), E.visible_until > ctx.now),
    ]


def _matching(query: Query, conditions: Sequence[ColumnElement[bool]]) -> Select[Any]:
    """The entries the query finds among those ``conditions`` allow."""
    if db.session().get_bind().dialect.name == "sqlite":
        fts = sql_table(FTS_TABLE, sql_column("rowid"))
        return (
            select(E.item_id)
            .select_from(CrossJoin(fts, E.__table__, fts.c.rowid == E.item_id))
            .where(literal_column(FTS_TABLE).match(query.fts5()), *conditions)
        )
    vector = literal_column(f"{E.__tablename__}.vector")
    return select(E.item_id).where(
        vector.op("@@")(cast(literal(query.tsquery(), Text), TSQUERY)), *conditions
    )


def _score(query: Query) -> ColumnElement[Any]:
    """2 when a word of the query is in the title, else 1."""
    if db.session().get_bind().dialect.name == "sqlite":
        titles = (
            select(sql_column("rowid"))
            .select_from(sql_table(FTS_TABLE))
            .where(literal_column(FTS_TABLE).match(query.fts5_title()))
            .correlate(None)
        )
        title_hit: ColumnElement[bool] = E.item_id.in_(titles.scalar_subquery())
    else:
        title_vector = literal_column(f"{E.__tablename__}.title_vector")
        title_hit = title_vector.op("@@")(
            cast(literal(query.tsquery(any_term=True), Text), TSQUERY)
        )
    return case((title_hit, 2), else_=1).label("score")


def _columns() -> tuple[Any, ...]:
    return (P.entity_id, P.doc, P.etag, P.served_lang, P.links, T.texts)


Order = Callable[[Any], list[Any]]  # (a namespace of score, recency, entity_id) -> ORDER BY


def relevance(c: Any) -> list[Any]:
    return [c.score.desc(), c.recency.desc().nulls_last(), c.entity_id.desc()]


@dataclass(frozen=True)
class _Keys:
    score: Any
    recency: Any
    entity_id: Any


def _page(
    stmt: Select[Any], query: Query, order: Order, page: int, page_size: int
) -> tuple[list[Hit], int]:
    """The count, and one page: its entries ranked first (small rows, however many match),
    then only their stored JSON and texts read, in the same order."""
    session = db.session()
    total = session.scalar(stmt.with_only_columns(func.count(E.item_id))) or 0
    if total == 0 or (page - 1) * page_size >= total:
        return [], total
    score = _score(query)
    ranked = (
        stmt.with_only_columns(E.item_id.label("row_id"), score, E.recency, E.entity_id)
        .order_by(*order(_Keys(score, E.recency, E.entity_id)))
        .limit(page_size)
        .offset((page - 1) * page_size)
        .subquery("ranked")
    )
    keys = _Keys(ranked.c.score, ranked.c.recency, ranked.c.entity_id)
    rows = session.execute(
        select(*_columns(), ranked.c.score)
        .select_from(ranked)
        .join(P, P.id == ranked.c.row_id)
        .join(T, T.item_id == P.id)
        .order_by(*order(keys))
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
    """A list's page with ``q``: its filters, and its ``sort`` if one is asked for (both
    need the read-model row of every match; relevance alone does not)."""
    query = query_of(text)
    stmt = _matching(query, [E.type == spec.type, *visible_entries(ctx)])
    if sort or _filtered(spec, filters, ctx):
        stmt = stmt.join(P, P.id == E.item_id)
        if spec.read.filters:
            stmt = spec.read.filters(stmt, filters, ctx)

    def order(keys: Any) -> list[Any]:
        return _order(spec, sort) if sort else relevance(keys)

    hits, total = _page(stmt, query, order, page, page_size)
    return [hit.row for hit in hits], total


def _filtered(spec: ResourceSpec, filters: dict[str, Any], ctx: ReadContext) -> bool:
    """Whether the list's filters ask for anything (they add conditions on the read model)."""
    if not spec.read.filters or not filters:
        return False
    probe = select(P.id)
    return spec.read.filters(probe, filters, ctx) is not probe


def search(
    ctx: ReadContext, text: str, types: Sequence[str], *, page: int, page_size: int
) -> tuple[list[Hit], int]:
    """A page of hits across the types (item ``type`` values) and the total."""
    query = query_of(text)
    stmt = _matching(query, [E.type.in_(types), *visible_entries(ctx)])
    return _page(stmt, query, relevance, page, page_size)


# --- the body --------------------------------------------------------------------------------


def hit_body(hit: Hit, marker: Marker, api_root: str) -> bytes:
    """The stored item as the lists serve it, with ``score`` and ``highlights``."""
    item = orjson.loads(hit.row.doc.replace(API_ROOT, api_root))
    item["score"] = hit.score
    item["highlights"] = highlights(orjson.loads(hit.texts), marker, hit.row.served_lang)
    return orjson.dumps(item)


def highlights(texts: dict[str, str], marker: Marker, lang: str | None) -> dict[str, str]:
    """Per field with a match: a snippet, matched words in ``<mark>``, the rest escaped."""
    found = {}
    for field, text in texts.items():
        snippet = _snippet(text, marker, lang)
        if snippet is not None:
            found[field] = snippet
    return found


def _snippet(text: str, marker: Marker, lang: str | None) -> str | None:
    """The text around its first match (regular expressions find it: a body is long, the
    words a query matches in it are few)."""
    matched = {word for word in set(WORD.findall(text)) if marker(word, lang)}
    if not matched:
        return None
    alternatives = "|".join(re.escape(w) for w in sorted(matched, key=len, reverse=True))
    first = re.search(rf"(?<![^\W_])(?:{alternatives})(?![^\W_])", text)
    assert first is not None
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
        if match.group() in matched:
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
