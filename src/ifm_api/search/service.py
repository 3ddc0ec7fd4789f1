"""Searching the published read model: ``q=`` on the lists and ``GET /api/v1/search``.

A search is a count and one page, two queries whatever is found. What may be found is what
the list shows: the entries (copies of the read-model rows' keys) of the read language in
the fallback mode asked for, visible now; only the page's rows are read from the read model.
Without a ``sort``, relevance orders.

Score: 2 when a word is found in the title (or name), else 1; equal scores put newer items
first (the item's own date, then the later row: the entries' ``recency_key``). Neither needs
every match scored: each score is a tier, a query of its own that the full-text index
answers newest first (FTS5 in rowid order, which is ``recency_key``; PostgreSQL along the
primary key when the count found many, from the GIN index when it found few), so a page
reads as many matches as it shows. On PostgreSQL the two statements are the terms that the
prefix words cover (none without a prefix word), then count and page in one. It is
computed the same way on both databases, so both return the same items in the same order.
The count stops at ``MAX_RESULTS``: a search reaches at most that many matches
(``meta.total_exact`` says whether there are more).
"""

from __future__ import annotations

import functools
import html
import operator
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
    bindparam,
    case,
    cast,
    func,
    literal_column,
    null,
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
from ifm_api.core.read.model import API_ROOT_BYTES, PublicItem
from ifm_api.core.read.public import Stored, _order, prebuilt
from ifm_api.search.index import FTS_TABLE
from ifm_api.search.models import SearchEntry, SearchTerm, SearchText
from ifm_api.search.params import MAX_SEARCH_RESULTS as MAX_RESULTS
from ifm_api.search.text import BODY, TITLE, Marker, Query, Tier, parse_query

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


def _mode(ctx: ReadContext) -> str:
    return "strict" if ctx.fallback is False else "lenient"


def _visible(mode: str) -> list[ColumnElement[bool]]:
    """As ``core.read.public._visible``, on the entries' copies of those columns."""
    flag = E.strict if mode == "strict" else E.lenient
    return [
        E.lang == bindparam("lang"),
        flag == true(),
        E.visible_from <= bindparam("now"),
        or_(E.visible_until.is_(None), E.visible_until > bindparam("now")),
    ]


Shape = tuple[tuple[bool, ...], ...]  # per word, per alternative: whether it is a prefix


def _shape(query: Query) -> Shape:
    return tuple(tuple(alt.prefix for alt in term) for term in query.terms)


def _values(query: Query, ctx: ReadContext) -> dict[str, Any]:
    """The bound values of the statements of ``_statements`` for this query and read."""
    values: dict[str, Any] = {"lang": ctx.lang, "now": ctx.now, "cap": MAX_RESULTS + 1}
    if db.session().get_bind().dialect.name == "sqlite":
        values["terms_cap"] = TERMS_PER_PREFIX + 1
        for n, alt in enumerate(query.tokens()):
            if alt.prefix:
                values[f"t{n}"] = alt.token
                values[f"u{n}"] = _following(alt.token)
                values[f"p{n}"] = f'"{alt.token}"*'
            else:
                values[f"t{n}"] = f'"{alt.token}"'
    else:
        covered = _covered_lexemes(query)
        values["tsquery"] = query.tsquery(covered=covered)
        values["tsquery_any"] = query.tsquery(any_term=True, covered=covered)
    return values


def _following(token: str) -> str:
    """The first string after every string that starts with ``token``."""
    return token[:-1] + chr(ord(token[-1]) + 1)


def _covered_lexemes(query: Query) -> dict[str, str]:
    """PostgreSQL: the prefix words as the lexemes of the index they cover (one statement,
    only for a query with a prefix word), so that the planner sees exact lexemes: it
    estimates those from the column's statistics and takes the GIN index for a rare word
    and the walk along the key for a common one, where for a prefix it guesses, and guessed
    a full scan (0.7 s at N = 100,000) for a word no item has. Past ``TERMS_PER_PREFIX``
    terms the prefix stays."""
    prefixes = sorted({alt.token for alt in query.tokens() if alt.prefix})
    if not prefixes:
        return {}
    stmt = prebuilt(("search terms", len(prefixes)), lambda: _terms_statement(len(prefixes)))
    values: dict[str, Any] = {"terms_cap": TERMS_PER_PREFIX + 1}
    for n, token in enumerate(prefixes):
        values[f"t{n}"], values[f"u{n}"] = token, _following(token)
    row = _run(stmt, values).one()
    return {
        # no term: the prefix matches nothing, and an exact lexeme says so to the planner
        token: "(" + " | ".join(f"'{term}'" for term in (found or token).split(" ")) + ")"
        for token, found in zip(prefixes, row, strict=True)
        if found is not None
    }


def _terms_statement(count: int) -> Select[Any]:
    """Per prefix ``:t<n>``: the terms it covers, space-separated (none past the limit)."""
    columns = []
    for n in range(count):
        covered = (
            select(SearchTerm.term)
            .where(SearchTerm.term >= bindparam(f"t{n}"), SearchTerm.term < bindparam(f"u{n}"))
            .limit(bindparam("terms_cap"))
            .subquery(f"covered{n}")
        )
        terms = func.count()
        found = case(
            (terms == 0, literal_column("''", String)),
            (terms >= bindparam("terms_cap"), null()),
            else_=func.string_agg(covered.c.term, literal_column("' '", String)),
        )
        columns.append(select(found).select_from(covered).scalar_subquery().label(f"c{n}"))
    return select(*columns)


def _matching(
    shape: Shape, conditions: Sequence[ColumnElement[bool]], tier: Tier = None
) -> tuple[Select[Any], ColumnElement[Any]]:
    """The entries a query of that shape finds among those ``conditions`` allow (with a
    tier: only those with a word of the query in the title, or only those without), and the
    key that orders them newest first when descending (on SQLite FTS5's own order)."""
    if db.session().get_bind().dialect.name == "sqlite":
        fts = sql_table(FTS_TABLE, sql_column("rowid"))
        stmt = (
            select(E.item_id)
            .select_from(CrossJoin(fts, E.__table__, fts.c.rowid == E.recency_key))
            .where(literal_column(FTS_TABLE).match(_fts5(shape, tier)), *conditions)
        )
        return stmt, fts.c.rowid
    vector = literal_column(f"{E.__tablename__}.vector")
    found = vector.op("@@")(_tsquery("tsquery"))
    if tier is not None:
        title_vector = literal_column(f"{E.__tablename__}.title_vector")
        in_title = title_vector.op("@@")(_tsquery("tsquery_any"))
        # the title's small vector first: a walk along the key checks it on every row
        found = (in_title if tier == TITLE else ~in_title) & found
    return select(E.item_id).where(found, *conditions), E.recency_key


def _fts5(shape: Shape, tier: Tier) -> ColumnElement[str]:
    """The FTS5 MATCH expression of ``Query.fts5`` with bound tokens, and its prefix words
    as the terms they cover (``_covered``)."""
    pieces: list[str | ColumnElement[str]] = []
    numbered: list[list[int]] = []
    for term in shape:
        start = sum(len(t) for t in numbered)
        numbered.append(list(range(start, start + len(term))))
    prefix = [p for term in shape for p in term]

    def alternatives(indexes: list[int]) -> None:
        for k, n in enumerate(indexes):
            if k:
                pieces.append(" OR ")
            pieces.append(_covered(n) if prefix[n] else bindparam(f"t{n}", type_=String))

    if tier is not None:
        pieces.append("(")
    for k, indexes in enumerate(numbered):
        pieces.append(" AND (" if k else "(")
        alternatives(indexes)
        pieces.append(")")
    if tier is not None:
        pieces.append(f") {'AND' if tier == TITLE else 'NOT'} title : (")
        alternatives(list(range(len(prefix))))
        pieces.append(")")
    merged: list[str | ColumnElement[str]] = []
    for piece in pieces:
        if isinstance(piece, str) and merged and isinstance(merged[-1], str):
            merged[-1] += piece
        else:
            merged.append(piece)
    return functools.reduce(
        operator.add, (_constant(p) if isinstance(p, str) else p for p in merged)
    )


def _constant(text: str) -> ColumnElement[str]:
    """A constant of the statement's text: the expression's syntax, never what was typed."""
    return literal_column("'" + text.replace("'", "''") + "'", String)


def _covered(n: int) -> ColumnElement[str]:
    """The terms of the index that prefix word ``n`` (``:t<n>``, up to ``:u<n>``) covers, as
    an FTS5 ``OR`` of exact tokens: FTS5 reads those lazily in rowid order, so a page of a
    common word stops early, where its own prefix query (``:p<n>``) reads every matching
    term's whole list first. Past ``TERMS_PER_PREFIX`` terms (a prefix of three letters,
    say), or with none recorded, the prefix query."""
    covered = (
        select(SearchTerm.term)
        .where(SearchTerm.term >= bindparam(f"t{n}"), SearchTerm.term < bindparam(f"u{n}"))
        .limit(bindparam("terms_cap"))
        .subquery(f"covered{n}")
    )
    quote = _constant('"')
    terms = func.count()
    found = case(
        (or_(terms == 0, terms >= bindparam("terms_cap")), bindparam(f"p{n}", type_=String)),
        else_=_constant("(")
        + func.group_concat(quote + covered.c.term + quote, " OR ")
        + _constant(")"),
    )
    return select(found).select_from(covered).scalar_subquery()


def _tsquery(name: str) -> ColumnElement[Any]:
    return cast(bindparam(name, type_=Text), TSQUERY)


def _columns() -> tuple[Any, ...]:
    return (P.entity_id, db.utf8_bytes(P.doc).label("doc"), P.etag, P.served_lang, P.links, T.texts)


Extend = Callable[[Select[Any]], Select[Any]]  # adds a list's joins and filters


def _unchanged(stmt: Select[Any]) -> Select[Any]:
    return stmt


def _count_statement(stmt: Select[Any]) -> Select[Any]:
    """The matches, up to ``:cap`` (``MAX_RESULTS`` + 1: beyond, counting would read every
    match)."""
    capped = stmt.with_only_columns(E.item_id).limit(bindparam("cap")).subquery("matches")
    return select(func.count().label("total")).select_from(capped)


Statements = tuple[Select[Any], Select[Any], Select[Any]]  # count, page, count with page


def _ranked_statements(
    shape: Shape, conditions: Sequence[ColumnElement[bool]], extend: Extend
) -> Statements:
    """(count, page) by relevance, without scoring every match: the title tier (score 2)
    and the rest (score 1), each read newest first and only as far as the page needs
    (``:depth``), merged; then only the page's stored JSON and texts are read. And the
    same as one statement for PostgreSQL (``_pg_statement``)."""
    count = _count_statement(extend(_matching(shape, conditions)[0]))
    page = _page_of(*([_tier(shape, conditions, extend, score, tier)] for score, tier in TIERS))
    return count, page, _pg_statement(shape, conditions, extend, count)


TIERS = ((2, TITLE), (1, BODY))


def _tier(
    shape: Shape,
    conditions: Sequence[ColumnElement[bool]],
    extend: Extend,
    score: int,
    tier: Tier,
    *,
    gate: ColumnElement[bool] | None = None,
    walk: bool = True,
) -> Select[Any]:
    """One score's matches, newest first, as deep as the page needs: along the key (FTS5's
    order; on PostgreSQL the primary key backwards), or with ``walk=False`` from the GIN
    index and sorted (``recency_key + 0`` is no index's order)."""
    tier_stmt, key = _matching(shape, conditions, tier)
    stmt = extend(tier_stmt).with_only_columns(
        E.item_id.label("row_id"),
        literal_column(str(score), Integer).label("score"),
        E.recency_key.label("key"),
    )
    if gate is not None:
        stmt = stmt.where(gate)
    order = key.desc() if walk else (key + literal_column("0")).desc()
    return stmt.order_by(order).limit(bindparam("depth"))


def _page_of(title: Sequence[Select[Any]], body: Sequence[Select[Any]]) -> Select[Any]:
    """The page of the tiers' matches (each tier: its variants, of which one runs), then
    only its rows' stored JSON and texts. Score 2 comes before score 1, so the page is
    the title tier's matches (up to ``:depth``), then as many of the rest as the page
    still needs: none when the title tier filled it."""
    titled = _union(title, "title").cte("title_tier")
    needed = bindparam("depth") - select(func.count()).select_from(titled).scalar_subquery()
    rest = _union([stmt.limit(needed) for stmt in body], "body")
    tiers = union_all(select(titled), select(rest.subquery("rest"))).subquery("tiers")
    order = (tiers.c.score.desc(), tiers.c.key.desc())
    ranked = (
        select(tiers).order_by(*order).limit(bindparam("limit")).offset(bindparam("offset"))
    ).subquery("ranked")
    return (
        select(*_columns(), ranked.c.score, ranked.c.key)
        .select_from(ranked)
        .join(P, P.id == ranked.c.row_id)
        .join(T, T.item_id == P.id)
        .order_by(ranked.c.score.desc(), ranked.c.key.desc())
    )


def _union(variants: Sequence[Select[Any]], name: str) -> Any:
    if len(variants) == 1:
        return variants[0]
    return union_all(*(select(v.subquery(f"{name}{n}")) for n, v in enumerate(variants)))


def _pg_statement(
    shape: Shape, conditions: Sequence[ColumnElement[bool]], extend: Extend, count: Any
) -> Select[Any]:
    """PostgreSQL: the count and the page in one statement (the terms took the first).
    Whether a tier walks along the key or reads its matches from the GIN index follows
    the count, not the planner's guess: the walk stops early when nearly every row
    matches and reads the whole table when none does, the index read is the other way
    round. The count comes first (a CTE) and each variant runs only when it applies (a
    condition on the count alone is a one-time filter: the other variant is never run)."""
    total = count.cte("total")
    many = select(total.c.total).scalar_subquery() >= bindparam("many")
    tiers = [
        [
            _tier(shape, conditions, extend, score, tier, gate=many if walk else ~many, walk=walk)
            for walk in (True, False)
        ]
        for score, tier in TIERS
    ]
    rows = _page_of(*tiers).subquery("page")
    return (
        select(total.c.total, *rows.c)
        .select_from(total.outerjoin(rows, true()))
        .order_by(rows.c.score.desc(), rows.c.key.desc())
    )


def _run(stmt: Any, values: dict[str, Any]) -> Any:
    return db.read(lambda connection: connection.execute(stmt, values))


def _count(count: Select[Any], values: dict[str, Any]) -> tuple[int, bool]:
    found = _run(count, values).scalar() or 0
    return min(found, MAX_RESULTS), found <= MAX_RESULTS


def _page_size(total: int, page: int, page_size: int) -> int:
    """How many of the (at most ``MAX_RESULTS``) matches counted the page shows."""
    return max(0, min(page_size, total - (page - 1) * page_size))


def _ranked(
    statements: Statements,
    values: dict[str, Any],
    page: int,
    page_size: int,
) -> tuple[list[Hit], int, bool]:
    """A count (capped) and one page: two statements (on PostgreSQL the terms of the
    prefix words, then count and page in one), whose cost grows with the page's depth, not
    with the number of matches."""
    count, ranked, both = statements
    if _dialect() == "postgresql":
        offset = (page - 1) * page_size
        window = {"depth": offset + page_size, "limit": page_size, "offset": offset}
        window["many"] = MAX_RESULTS
        found = _run(both, {**values, **window}).all()
        total, exact = min(found[0].total, MAX_RESULTS), found[0].total <= MAX_RESULTS
        size = _page_size(total, page, page_size)
        hits = [
            Hit(Stored(*row[1:6]), row.score, row.texts)
            for row in found[:size]
            if row.entity_id is not None
        ]
        return hits, total, exact
    total, exact = _count(count, values)
    size = _page_size(total, page, page_size)
    if not size:
        return [], total, exact
    offset = (page - 1) * page_size
    rows = _run(ranked, {**values, "depth": offset + size, "limit": size, "offset": offset})
    return [Hit(Stored(*row[:5]), row.score, row.texts) for row in rows], total, exact


def _sorted(
    stmt: Select[Any], order: list[Any], values: dict[str, Any], page: int, page_size: int
) -> tuple[list[Stored], int, bool]:
    """A list's own ``sort`` over the matches (it needs every match's read-model row)."""
    total, exact = _count(_count_statement(stmt), values)
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
    rows = _run(
        select(*_columns())
        .select_from(ranked)
        .join(P, P.id == ranked.c.row_id)
        .join(T, T.item_id == P.id)
        .order_by(*order),
        values,
    )
    return [Stored(*row[:5]) for row in rows], total, exact


def check_list_query(ctx: ReadContext, *, bibliography: bool) -> None:
    """``q`` searches what the public reads in one language."""
    if ctx.lang == ALL or ctx.state != LIVE or bibliography:
        raise BadRequest("search_not_here")


def _dialect() -> str:
    return db.session().get_bind().dialect.name


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
    row of every match, and a statement built for the request; relevance alone does not)."""
    query = query_of(text)
    shape, mode = _shape(query), _mode(ctx)
    values = {**_values(query, ctx), "type": spec.type}
    conditions = [E.type == bindparam("type"), *_visible(mode)]
    if sort or _filtered(spec, filters, ctx):

        def extend(stmt: Select[Any]) -> Select[Any]:
            stmt = stmt.join(P, P.id == E.item_id)
            return spec.read.filters(stmt, filters, ctx) if spec.read.filters else stmt

        if sort:
            stmt = extend(_matching(shape, conditions)[0])
            return _sorted(stmt, _order(spec, sort), values, page, page_size)
        statements = _ranked_statements(shape, conditions, extend)
    else:
        statements = prebuilt(
            ("search list", _dialect(), shape, mode),
            lambda: _ranked_statements(shape, conditions, _unchanged),
        )
    hits, total, exact = _ranked(statements, values, page, page_size)
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
    shape, mode = _shape(query), _mode(ctx)
    values = {**_values(query, ctx), "types": list(types)}
    statements = prebuilt(
        ("search", _dialect(), shape, mode),
        lambda: _ranked_statements(
            shape, [E.type.in_(bindparam("types", expanding=True)), *_visible(mode)], _unchanged
        ),
    )
    return _ranked(statements, values, page, page_size)


# --- the body --------------------------------------------------------------------------------


def hit_body(hit: Hit, marker: Marker, api_root: str) -> bytes:
    """The stored item as the lists serve it, with ``score`` and ``highlights`` (added to
    the stored JSON object's text, not parsed and written again)."""
    doc = hit.row.doc.replace(API_ROOT_BYTES, api_root.encode()).rstrip()
    found = highlights(orjson.loads(hit.texts), marker, hit.row.served_lang)
    extra = b',"score":%d,"highlights":%b}' % (hit.score, orjson.dumps(found))
    return doc[:-1] + extra


def highlights(texts: dict[str, str], marker: Marker, lang: str | None) -> dict[str, str]:
    """Per field with a match: a snippet, matched words in ``<mark>``, the rest escaped."""
    found = {}
    for field, text in texts.items():
        snippet = _snippet(text, marker, lang)
        if snippet is not None:
            found[field] = snippet
    return found


def _snippet(text: str, marker: Marker, lang: str | None) -> str | None:
    """The text around its first match (the words are read up to it only: a body is long,
    and a common word's first match is near its start), matched words in ``<mark>``."""
    first = marker.first(text, lang)
    if first is None:
        return None
    start, end = 0, len(text)
    if len(text) > SNIPPET_CHARS:
        start = max(0, first[0] - SNIPPET_BEFORE)
        if start:
            start = _word_start(text, start)
        end = min(len(text), start + SNIPPET_CHARS)
        if end < len(text):
            end = max(_word_end(text, end), first[1])
    window = text[start:end]
    parts = ["…"] if start else []
    position = 0
    for word_start, word_end in marker.spans(window, lang):
        parts.append(html.escape(window[position:word_start]))
        parts.append(f"<mark>{html.escape(window[word_start:word_end])}</mark>")
        position = word_end
    parts.append(html.escape(window[position:]))
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
