"""Searching the published read model: ``q=`` on the lists and ``GET /api/v1/search``.

A search is a count and one page, two queries whatever is found. What may be found is what
the list shows: the entries (copies of the read-model rows' keys) of the read language in
the fallback mode asked for, visible now; only the page's rows are read from the read model.
Without a ``sort``, relevance orders.

Score: 2 when a word is found in the title (or name), else 1; equal scores put newer items
first (the item's own date, then the later row: the entries' ``recency_key``). Neither needs
every match scored: each score is a tier, a query of its own that the full-text index
answers newest first (FTS5 in rowid order, which is ``recency_key``; PostgreSQL along the
primary key, or from the GIN index when few match), so a page reads as many matches as it
shows. It is computed the same way on both databases, so both return the same items in the
same order. The count stops at ``MAX_RESULTS``: a search reaches at most that many matches
(``meta.total_exact`` says whether there are more).
"""

from __future__ import annotations

import functools
import html
import operator
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    String,
    Text,
    case,
    cast,
    func,
    literal,
    literal_column,
    or_,
    select,
    true,
    union_all,
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
from ifm_api.search.models import SearchEntry, SearchTerm, SearchText
from ifm_api.search.params import MAX_SEARCH_RESULTS as MAX_RESULTS
from ifm_api.search.text import BODY, TITLE, WORD, Marker, Query, Tier, parse_query, words

P, E, T = PublicItem, SearchEntry, SearchText
SNIPPET_CHARS = 200  # a highlight's length, about
SNIPPET_BEFORE = 60  # of which before the first match
TERMS_PER_PREFIX = 64  # a prefix word covering more terms is an FTS5 prefix query


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


def _matching(
    query: Query, conditions: Sequence[ColumnElement[bool]], tier: Tier = None
) -> tuple[Select[Any], ColumnElement[Any]]:
    """The entries the query finds among those ``conditions`` allow (with a tier: only those
    with a word of the query in the title, or only those without), and the key that orders
    them newest first when descending (the full-text index's own order on SQLite)."""
    if db.session().get_bind().dialect.name == "sqlite":
        fts = sql_table(FTS_TABLE, sql_column("rowid"))
        stmt = (
            select(E.item_id)
            .select_from(CrossJoin(fts, E.__table__, fts.c.rowid == E.recency_key))
            .where(literal_column(FTS_TABLE).match(_fts5(query, tier)), *conditions)
        )
        return stmt, fts.c.rowid
    vector = literal_column(f"{E.__tablename__}.vector")
    found = vector.op("@@")(_tsquery(query.tsquery()))
    if tier is not None:
        title_vector = literal_column(f"{E.__tablename__}.title_vector")
        in_title = title_vector.op("@@")(_tsquery(query.tsquery(any_term=True)))
        # the title's small vector first: a walk along the key checks it on every row
        found = (in_title if tier == TITLE else ~in_title) & found
    return select(E.item_id).where(found, *conditions), E.recency_key


def _fts5(query: Query, tier: Tier) -> ColumnElement[str]:
    """The FTS5 MATCH expression, its prefix words as the terms they cover (``_covered``)."""
    pieces: list[ColumnElement[str]] = []
    written = ""
    for part in query.fts5_parts(tier):
        if isinstance(part, str):
            written += part
            continue
        if written:
            pieces.append(literal(written, String))
            written = ""
        pieces.append(_covered(part.token))
    if written:
        pieces.append(literal(written, String))
    return functools.reduce(operator.add, pieces)


def _covered(prefix: str) -> ColumnElement[str]:
    """The terms of the index that ``prefix`` covers, as an FTS5 ``OR`` of exact tokens
    (FTS5 reads those lazily in rowid order, so a page of a common word stops early; its own
    prefix query reads every matching term's whole list first). Past ``TERMS_PER_PREFIX``
    terms (a prefix of three letters, say), or with none recorded, the prefix query."""
    after = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    covered = (
        select(SearchTerm.term)
        .where(SearchTerm.term >= prefix, SearchTerm.term < after)
        .limit(TERMS_PER_PREFIX + 1)
        .subquery("covered")
    )
    phrase = literal('"', String) + covered.c.term + literal('"', String)
    as_prefix = literal(f'"{prefix}"*', String)
    terms = func.count()
    found = case(
        (or_(terms == 0, terms > TERMS_PER_PREFIX), as_prefix),
        else_=literal("(", String) + func.group_concat(phrase, " OR ") + literal(")", String),
    )
    return select(found).select_from(covered).scalar_subquery()


def _tsquery(value: str) -> ColumnElement[Any]:
    return cast(literal(value, Text), TSQUERY)


def _columns() -> tuple[Any, ...]:
    return (P.entity_id, P.doc, P.etag, P.served_lang, P.links, T.texts)


Extend = Callable[[Select[Any]], Select[Any]]  # adds a list's joins and filters


def _unchanged(stmt: Select[Any]) -> Select[Any]:
    return stmt


def _count(stmt: Select[Any]) -> tuple[int, bool]:
    """The number of matches up to ``MAX_RESULTS`` (beyond, counting would read every
    match), and whether that is all of them."""
    capped = stmt.with_only_columns(E.item_id).limit(MAX_RESULTS + 1).subquery("matches")
    found = db.session().scalar(select(func.count()).select_from(capped)) or 0
    return min(found, MAX_RESULTS), found <= MAX_RESULTS


def _page_size(total: int, page: int, page_size: int) -> int:
    """How many of the (at most ``MAX_RESULTS``) matches counted the page shows."""
    return max(0, min(page_size, total - (page - 1) * page_size))


def _ranked(
    query: Query,
    conditions: Sequence[ColumnElement[bool]],
    extend: Extend,
    page: int,
    page_size: int,
) -> tuple[list[Hit], int, bool]:
    """Relevance without scoring every match: the title tier (score 2) and the rest (score
    1), each read newest first and only as far as the page needs (``LIMIT``), merged; then
    only the page's stored JSON and texts are read. A count (capped) and that page: two
    statements, and their cost grows with the page's depth, not with the matches."""
    stmt, _key = _matching(query, conditions)
    total, exact = _count(extend(stmt))
    size = _page_size(total, page, page_size)
    if not size:
        return [], total, exact
    tiers = []
    for score, tier in ((2, TITLE), (1, BODY)):
        tier_stmt, key = _matching(query, conditions, tier)
        best = (
            extend(tier_stmt)
            .with_only_columns(
                E.item_id.label("row_id"),
                literal_column(str(score), Integer).label("score"),
                E.recency_key.label("key"),
            )
            .order_by(key.desc())
            .limit((page - 1) * page_size + size)
        )
        tiers.append(select(best.subquery(f"tier{score}")))
    ranked = union_all(*tiers).subquery("ranked")
    rows = db.session().execute(
        select(*_columns(), ranked.c.score)
        .select_from(ranked)
        .join(P, P.id == ranked.c.row_id)
        .join(T, T.item_id == P.id)
        .order_by(ranked.c.score.desc(), ranked.c.key.desc())
        .limit(size)
        .offset((page - 1) * page_size)
    )
    return [Hit(Stored(*row[:5]), row.score, row.texts) for row in rows], total, exact


def _sorted(
    stmt: Select[Any], order: list[Any], page: int, page_size: int
) -> tuple[list[Stored], int, bool]:
    """A list's own ``sort`` over the matches (it needs every match's read-model row)."""
    total, exact = _count(stmt)
    size = _page_size(total, page, page_size)
    if not size:
        return [], total, exact
    ranked = (
        stmt.with_only_columns(E.item_id.label("row_id"))
        .order_by(*order)
        .limit(size)
        .offset((page - 1) * page_size)
        .subquery("ranked")
    )
    rows = db.session().execute(
        select(*_columns())
        .select_from(ranked)
        .join(P, P.id == ranked.c.row_id)
        .join(T, T.item_id == P.id)
        .order_by(*order)
    )
    return [Stored(*row[:5]) for row in rows], total, exact


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
) -> tuple[list[Stored], int, bool]:
    """A list's page with ``q``, the number of matches (at most ``MAX_RESULTS``) and whether
    that is all: its filters, and its ``sort`` if one is asked for (both need the read-model
    row of every match; relevance alone does not)."""
    query = query_of(text)
    conditions = [E.type == spec.type, *visible_entries(ctx)]
    extend = _unchanged
    if sort or _filtered(spec, filters, ctx):

        def extend(stmt: Select[Any]) -> Select[Any]:
            stmt = stmt.join(P, P.id == E.item_id)
            return spec.read.filters(stmt, filters, ctx) if spec.read.filters else stmt

    if sort:
        return _sorted(extend(_matching(query, conditions)[0]), _order(spec, sort), page, page_size)
    hits, total, exact = _ranked(query, conditions, extend, page, page_size)
    return [hit.row for hit in hits], total, exact


def _filtered(spec: ResourceSpec, filters: dict[str, Any], ctx: ReadContext) -> bool:
    """Whether the list's filters ask for anything (they add conditions on the read model)."""
    if not spec.read.filters or not filters:
        return False
    probe = select(P.id)
    return spec.read.filters(probe, filters, ctx) is not probe


def search(
    ctx: ReadContext, text: str, types: Sequence[str], *, page: int, page_size: int
) -> tuple[list[Hit], int, bool]:
    """A page of hits across the types (item ``type`` values), the number of matches (at
    most ``MAX_RESULTS``) and whether that is all of them."""
    query = query_of(text)
    conditions = [E.type.in_(types), *visible_entries(ctx)]
    return _ranked(query, conditions, _unchanged, page, page_size)


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
