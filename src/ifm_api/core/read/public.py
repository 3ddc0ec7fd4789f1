"""Public reads from the read model: indexed ranges of stored JSON, joined into responses.

No ORM objects, no babel and no per-item rendering: a list is one range plus a count (page 1
of an unfiltered list reads both in one statement), a detail one indexed read, ``include=``
adds one read of the embedded items' stored rows.
Decided here, per request: the language row and fallback mode (``lang``, ``lenient`` or
``strict``), visibility at ``now`` and the API root.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, NamedTuple

import orjson
from sqlalchemy import ColumnElement, String, bindparam, case, func, null, or_, select, true
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import UnaryExpression

from ifm_api.core import db
from ifm_api.core.content import REGISTRY, SLUG, ReadContext, ResourceSpec, SlugMatch
from ifm_api.core.i18n import default_language
from ifm_api.core.read import driver, marks, splice, tags
from ifm_api.core.read.counts import stored_total_statement
from ifm_api.core.read.model import (
    ALL_LANGUAGES,
    API_ROOT,
    API_ROOT_BYTES,
    PublicDocumentChange,
    PublicFeedEntry,
    PublicItem,
)

P = PublicItem
F = PublicFeedEntry


class Stored(NamedTuple):
    """One stored row as served: its JSON (API root still a placeholder) and its headers.

    A named tuple: built for every row of every list read, where a dataclass costs more.
    """

    entity_id: int
    doc: bytes  # UTF-8, as stored (``db.utf8_bytes``); None where a read needs no body
    etag: str
    served_lang: str | None
    links: str | None
    type: str = ""
    tags: str | None = None  # the purge tags of the items it embeds
    spans: str | None = None  # where its relation summaries lie (``core.read.splice``)


def _mode(ctx: ReadContext) -> str:
    """Which stored variant a read serves: without fallback (``strict``) or with it."""
    return "strict" if ctx.fallback is False and ctx.lang != ALL_LANGUAGES else "lenient"


def _visible(mode: str, lang: Any = None) -> list[ColumnElement[bool]]:
    """The rows of the read language (``:lang``, or ``lang``) and fallback mode, visible at
    ``:now``."""
    flag = P.strict if mode == "strict" else P.lenient
    return [
        P.lang == (bindparam("lang") if lang is None else lang),
        flag == true(),
        P.visible_from <= bindparam("now"),
        or_(P.visible_until.is_(None), P.visible_until > bindparam("now")),
    ]


_STATEMENTS: dict[tuple[Any, ...], Any] = {}
_PREBUILT: set[int] = set()  # ids of the statements in _STATEMENTS (kept as long)


def prebuilt(key: tuple[Any, ...], build: Callable[[], Any]) -> Any:
    """A statement (or a tuple of them) built once and run with bound values: SQLAlchemy
    compiles it once, and ``_rows`` runs it on the driver's cursor (``core.read.driver``)."""
    stmt = _STATEMENTS.get(key)
    if stmt is None:
        stmt = _STATEMENTS[key] = build()
        for one in stmt if isinstance(stmt, tuple) else (stmt,):
            if one is not None:
                _PREBUILT.add(id(one))
    return stmt


def _rows(stmt: Any, **params: Any) -> list[Sequence[Any]]:
    if id(stmt) in _PREBUILT:
        return db.read(lambda connection: driver.rows(connection, stmt, params))
    return db.read(lambda connection: list(connection.execute(stmt, params)))


def _first(stmt: Any, **params: Any) -> Sequence[Any] | None:
    found = _rows(stmt, **params)
    return found[0] if found else None


def _scalar(stmt: Any, **params: Any) -> Any:
    found = _first(stmt, **params)
    return found[0] if found is not None else None


def _columns(docs: bool = True) -> tuple[Any, ...]:
    """What a read takes of a stored row; without ``docs`` everything but the JSON (enough
    for the ETag, so a revalidation reads no document)."""
    doc = db.utf8_bytes(P.doc).label("doc") if docs else null().label("doc")
    spans = P.spans if docs else null().label("spans")
    return (P.entity_id, doc, P.etag, P.served_lang, P.links, P.type, P.tags, spans)


def _order(spec: ResourceSpec, sort: str | None) -> list[Any]:
    key = sort or spec.default_sort
    direction = P.entity_id.desc() if key.startswith("-") else P.entity_id.asc()
    return [*spec.read.sorts[key](), direction]


def _page_statements(
    spec: ResourceSpec, mode: str, sort: str, docs: bool
) -> tuple[Any, Any, Any, Any]:
    """(count, page, page by ids, page by ids from the end) of a list.

    ``page by ids`` is the unfiltered page: its ``OFFSET`` walks only the list's covering
    index (the ids), and the stored rows are read for the page alone, so a deep page skips
    index entries, not rows. ``from the end`` is the same in the opposite order (None when an
    ordering cannot be turned round): a page past the middle walks from the far end. Filters
    extend ``page`` (they must run before the offset).
    """
    order = _order(spec, sort)
    base = select(*_columns(docs)).where(P.type == spec.type, *_visible(mode))
    count = base.with_only_columns(func.count(P.id))
    page = base.order_by(*order).limit(bindparam("limit")).offset(bindparam("offset"))
    backwards = [_reversed(term) for term in order]
    return (
        count,
        page,
        _by_ids(spec, mode, order, docs),
        _by_ids(spec, mode, backwards, docs) if all(t is not None for t in backwards) else None,
    )


def _by_ids(spec: ResourceSpec, mode: str, order: list[Any], docs: bool) -> Any:
    ids = (
        select(P.id)
        .where(P.type == spec.type, *_visible(mode))
        .order_by(*order)
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )
    return select(*_columns(docs)).where(P.id.in_(ids.scalar_subquery())).order_by(*order)


def _by_ids_from_mark(spec: ResourceSpec, mode: str, docs: bool) -> Any:
    """``page by ids`` in the default order starting at a mark (``core.read.marks``): an
    index range from the mark's keys, so ``OFFSET`` walks less than the marks' spacing."""
    order = _order(spec, None)
    keys = marks.keyed(spec.key)
    assert keys is not None
    ids = (
        select(P.id)
        .where(P.type == spec.type, *_visible(mode), marks.from_mark(keys))
        .order_by(*order)
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )
    return select(*_columns(docs)).where(P.id.in_(ids.scalar_subquery())).order_by(*order)


_TURNED = {operators.asc_op: "desc", operators.desc_op: "asc"}


def _reversed(term: Any) -> Any | None:
    """An ``ORDER BY`` term turned round, NULLs included (None: not a plain ordering).

    Without an explicit NULLS clause the databases' own NULL placement mirrors by itself.
    """
    if not isinstance(term, UnaryExpression):
        return None
    if term.modifier in _TURNED:
        return getattr(term.element, _TURNED[term.modifier])()
    inner = _reversed(term.element)
    if inner is None:
        return None
    if term.modifier is operators.nulls_last_op:
        return inner.nulls_first()
    if term.modifier is operators.nulls_first_op:
        return inner.nulls_last()
    return None


def _marked(spec: ResourceSpec, sort: str, offset: int) -> bool:
    """Whether a page of the unfiltered list may start at a mark: the default order of a
    keyed type, past the first marks' distance (page 1 reads the plain stored total)."""
    return sort == spec.default_sort and offset >= marks.EVERY // 2 and bool(marks.keyed(spec.key))


def _from_the_end(offset: int, page_size: int, total: int) -> tuple[int, int] | None:
    """(offset, limit) of the same page counted from the end, when that walks fewer index
    entries; None otherwise."""
    end = min(offset + page_size, total)
    if offset <= total - end:
        return None
    return total - end, end - offset


def list_rows(
    spec: ResourceSpec,
    ctx: ReadContext,
    *,
    page: int,
    page_size: int,
    sort: str | None = None,
    filters: dict[str, Any] | None = None,
    docs: bool = True,
) -> tuple[list[Stored], int]:
    """One page of stored rows and the total: the stored count (or, filtered, a count of the
    range) and one range over the read model. Without ``docs`` the rows' ``doc`` is None."""
    mode, key = _mode(ctx), sort or spec.default_sort
    count, ranged, by_ids, by_ids_backwards = prebuilt(
        ("page", spec.key, mode, key, docs), lambda: _page_statements(spec, mode, key, docs)
    )
    values = {"lang": ctx.lang, "now": ctx.now}
    filtered = spec.read.filters(count, filters, ctx) if spec.read.filters and filters else count
    total, mark = None, None
    if filtered is count and _marked(spec, key, (page - 1) * page_size):
        stored = prebuilt(("total and mark",), marks.total_and_mark_statement)
        row = _first(stored, type=spec.type, mode=mode, offset=(page - 1) * page_size, **values)
        total, mark, ranged = (row[0] if row else None), marks.usable_mark(row), by_ids
    elif filtered is count:  # no filter applies: the stored total
        first = _first_page(spec, mode, key, docs, values, page_size) if page == 1 else None
        if first is not None:
            return first
        stored = prebuilt(("total",), stored_total_statement)
        total = _scalar(stored, type=spec.type, mode=mode, **values)
        ranged = by_ids
    else:
        ranged = spec.read.filters(ranged, filters, ctx)  # type: ignore[misc]
    if total is None:
        total = _scalar(filtered, **values) or 0
    tags.note([tags.type_tag(spec.type), tags.list_tag(spec.type)])
    if total == 0 or (page - 1) * page_size >= total:
        return [], total
    offset, limit, backwards = (page - 1) * page_size, page_size, False
    turned = None
    if ranged is by_ids and by_ids_backwards is not None:
        turned = _from_the_end(offset, page_size, total)
    if mark is not None and (turned is None or offset - mark[0] <= turned[0]):
        ranged = prebuilt(
            ("page from mark", spec.key, mode, docs),
            lambda: _by_ids_from_mark(spec, mode, docs),
        )
        values, offset = {**values, **mark[1]}, offset - mark[0]
    elif turned is not None:
        (offset, limit), ranged, backwards = turned, by_ids_backwards, True
    found = [Stored._make(row) for row in _rows(ranged, **values, limit=limit, offset=offset)]
    if backwards:
        found.reverse()
    tags.note_rows(spec.type, ctx.lang, ((row.entity_id, row.tags) for row in found))
    return found, total


def _first_page_statement(spec: ResourceSpec, mode: str, sort: str, docs: bool) -> Any:
    """Page 1 of the unfiltered list with the stored total beside every row: one statement
    (a round trip fewer, and on PostgreSQL one snapshot for the rows and their total)."""
    total = stored_total_statement().scalar_subquery().label("total")
    return _by_ids(spec, mode, _order(spec, sort), docs).add_columns(total)


def _first_page(
    spec: ResourceSpec,
    mode: str,
    sort: str,
    docs: bool,
    values: dict[str, Any],
    page_size: int,
) -> tuple[list[Stored], int] | None:
    """Page 1 and the stored total in one statement; None when that cannot tell the total
    (no row visible, or no stored count: the caller counts as for any other page)."""
    stmt = prebuilt(
        ("first page", spec.key, mode, sort, docs),
        lambda: _first_page_statement(spec, mode, sort, docs),
    )
    found = _rows(stmt, type=spec.type, mode=mode, limit=page_size, offset=0, **values)
    if not found or found[0][-1] is None:
        return None
    rows = [Stored._make(row[:-1]) for row in found]
    tags.note([tags.type_tag(spec.type), tags.list_tag(spec.type)])
    tags.note_rows(spec.type, values["lang"], ((row.entity_id, row.tags) for row in rows))
    return rows, found[0][-1]


def get_row(spec: ResourceSpec, ctx: ReadContext, entity_id: int) -> Stored | None:
    mode = _mode(ctx)
    stmt = prebuilt(
        ("row", mode),
        lambda: select(*_columns()).where(
            P.entity_id == bindparam("entity_id"), P.type == bindparam("type"), *_visible(mode)
        ),
    )
    row = _first(stmt, entity_id=entity_id, type=spec.type, lang=ctx.lang, now=ctx.now)
    if row is None:
        return None
    found = Stored._make(row)
    tags.note([tags.type_tag(spec.type)])
    tags.note_rows(spec.type, ctx.lang, [(found.entity_id, found.tags)])
    return found


def _slug_statement() -> Any:
    preference = case(
        (P.lang == bindparam("lang"), 0), (P.lang == bindparam("default"), 1), else_=2
    )
    return (
        select(P.entity_id, P.lang)
        .where(
            P.type == bindparam("type"),
            P.slug == bindparam("slug"),
            P.lenient == true(),
            P.visible_from <= bindparam("now"),
            or_(P.visible_until.is_(None), P.visible_until > bindparam("now")),
        )
        .order_by(preference, P.entity_id)
        .limit(1)
    )


def _slug_row_statement(mode: str) -> Any:
    """The stored row a current slug names, in one statement: the read language is the
    request's ``lang=`` (``:asked``) or, without one, the slug's own language."""
    found = _slug_statement().subquery("found")
    read_language = func.coalesce(bindparam("asked", type_=String()), found.c.lang)
    return (
        select(*_columns(), P.lang)
        .join(found, P.entity_id == found.c.entity_id)
        .where(P.type == bindparam("type"), *_visible(mode, read_language))
    )


def row_by_slug(
    spec: ResourceSpec, ctx: ReadContext, slug: str, *, asked: bool
) -> tuple[Stored, str] | None:
    """The stored row (and its read language) a current slug names; ``asked``: the request
    chose the language (``lang=``), else the slug's own language is read. None when there
    is no such public row (a former slug, a draft, none at all: see ``find_by_slug``)."""
    if not SLUG.fullmatch(slug):
        return None
    mode = _mode(ctx)
    stmt = prebuilt(("slug row", mode), lambda: _slug_row_statement(mode))
    row = _first(
        stmt,
        type=spec.type,
        slug=slug,
        lang=ctx.lang,
        asked=ctx.lang if asked else None,
        default=default_language(),
        now=ctx.now,
    )
    if row is None:
        return None
    found, lang = Stored._make(row[:-1]), row[-1]
    tags.note([tags.type_tag(spec.type)])
    tags.note_rows(spec.type, lang, [(found.entity_id, found.tags)])
    return found, lang


def find_by_slug(spec: ResourceSpec, ctx: ReadContext, slug: str) -> SlugMatch | None:
    """The item a current slug names and the slug's language (the read's language first,
    where two languages share a slug)."""
    if not SLUG.fullmatch(slug):
        return None
    stmt = prebuilt(("slug",), _slug_statement)
    found = _first(
        stmt, type=spec.type, slug=slug, lang=ctx.lang, default=default_language(), now=ctx.now
    )
    return SlugMatch(found[0], found[1]) if found is not None else None


def feed_rows(
    spec: ResourceSpec, ctx: ReadContext, fmt: str, limit: int
) -> list[tuple[bytes, datetime]]:
    """The stored ``fmt`` entries (and their ``updated``) of the newest ``limit`` items with
    a public translation in ``ctx.lang`` (no fallback of the item)."""
    stmt = prebuilt(
        ("feed", spec.key, fmt),
        lambda: (
            select(getattr(F, fmt), F.updated)
            .select_from(P)
            .join(F, F.item_id == P.id)
            .where(P.type == spec.type, P.served_lang == bindparam("lang"), *_visible("lenient"))
            .order_by(*_order(spec, None))
            .limit(bindparam("limit"))
        ),
    )
    tags.note([tags.type_tag(spec.type), tags.list_tag(spec.type)])
    return [tuple(row) for row in _rows(stmt, lang=ctx.lang, now=ctx.now, limit=limit)]  # type: ignore[misc]


def sitemap_rows(now: Any) -> list[tuple[str, int, str, str, Any]]:
    """(type, id, lang, website URL, lastmod) of every language version public at ``now``."""
    stmt = select(P.type, P.entity_id, P.lang, P.web_url, P.lastmod).where(
        P.slug.is_not(None),
        P.lenient == true(),
        P.visible_from <= now,
        or_(P.visible_until.is_(None), P.visible_until > now),
    )
    found = [tuple(row) for row in db.session().execute(stmt)]
    tags.note(tags.list_tag(spec.type) for spec in REGISTRY.values())
    return found  # type: ignore[return-value]


def document_changed_at(type_: str | None = None, lang: str | None = None) -> datetime | None:
    """When public rows (of a type, in a read language) last changed, removals included."""
    stmt = prebuilt(("changed", type_ is None, lang is None), lambda: _changed_at(type_, lang))
    values = {"type": type_, "lang": lang}
    return _scalar(stmt, **{name: value for name, value in values.items() if value is not None})


def _changed_at(type_: str | None, lang: str | None) -> Any:
    D = PublicDocumentChange
    stmt = select(func.max(D.changed_at))
    if type_ is not None:
        stmt = stmt.where(D.type == bindparam("type"))
    if lang is not None:
        stmt = stmt.where(D.lang == bindparam("lang"))
    return stmt


# --- include -------------------------------------------------------------------------------


def _parse(doc: bytes, root: str) -> dict[str, Any]:
    return orjson.loads(doc.replace(API_ROOT_BYTES, root.encode()))


def _targets_of(spec: ResourceSpec, item: dict[str, Any], include: frozenset[str]) -> set[int]:
    ids: set[int] = set()
    for relation in spec.relations:
        if relation.name in include:
            for summary in _summaries(relation.kind, item.get(relation.name)):
                ids.add(summary["id"])
    return ids


def _summaries(kind: str, value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    if kind == "item":
        return [value]
    if kind in ("authors", "members"):
        return [entry["person"] for entry in value if entry.get("person")]
    return list(value) if kind == "items" else []


def _embed(
    spec: ResourceSpec, item: dict[str, Any], include: frozenset[str], embedded: dict[int, Any]
) -> None:
    """Replace the summaries of included relations by the stored items (as the content read
    path does: the embedded item without its own relations)."""
    for relation in spec.relations:
        if relation.name not in include or relation.kind == "names":
            continue
        value = item.get(relation.name)
        if relation.kind == "item":
            item[relation.name] = embedded.get(value["id"], value) if value else None
        elif relation.kind == "items":
            item[relation.name] = [embedded.get(s["id"], s) for s in value]
        elif relation.kind == "members":
            for entry in value:
                entry["person"] = embedded.get(entry["person"]["id"], entry["person"])
        else:
            for entry in value:
                if entry.get("person"):
                    person = embedded.get(entry["person"]["id"], entry["person"])
                    entry["person"] = person
                    entry["name"] = person.get("name") or person.get("title")


def _id_slots(count: int) -> int:
    """Placeholders for ``count`` ids: the next power of two, so a handful of prebuilt
    statements serve every count (the last id fills the rest; ``IN`` ignores repeats)."""
    return 1 << max(count - 1, 0).bit_length()


def _embedded_columns() -> tuple[Any, ...]:
    """An embedded row: its document without relations (``bare``) where stored, and in
    ``spans`` whether that is what ``doc`` holds."""
    bare = db.utf8_bytes(func.coalesce(P.bare, P.doc)).label("doc")
    is_bare = case((P.bare.is_not(None), "bare"), else_=None).label("spans")
    return (P.entity_id, bare, P.etag, P.served_lang, P.links, P.type, P.tags, is_bare)


def embedded_rows(ctx: ReadContext, ids: set[int]) -> list[Stored]:
    """The stored rows of ``ids`` an ``include=`` embeds (``spans`` is ``"bare"`` where
    ``doc`` is already without relations)."""
    if not ids:
        return []
    mode, wanted = _mode(ctx), sorted(ids)
    slots = _id_slots(len(wanted))
    stmt = prebuilt(
        ("embedded", mode, slots),
        lambda: select(*_embedded_columns()).where(
            P.entity_id.in_([bindparam(f"id_{n}") for n in range(slots)]), *_visible(mode)
        ),
    )
    padded = wanted + [wanted[-1]] * (slots - len(wanted))
    values = {f"id_{n}": entity_id for n, entity_id in enumerate(padded)}
    rows = _rows(stmt, **values, lang=ctx.lang, now=ctx.now)
    found = [Stored._make(row) for row in rows]
    tags.note(tags.embedded_tags(((row.type, row.entity_id) for row in found), ctx.lang))
    return found


def _without_relations(doc: dict[str, Any]) -> dict[str, Any]:
    spec = next(s for s in REGISTRY.values() if s.type == doc["type"])
    for relation in spec.relations:
        doc.pop(relation.name, None)
    return doc


def with_includes(
    spec: ResourceSpec, ctx: ReadContext, rows: list[Stored], root: str
) -> tuple[list[bytes], list[str]]:
    """The rows' JSON with the included relations embedded, and the embedded rows' ETags.

    Rows with stored spans are spliced as bytes (``core.read.splice``); others (a search
    hit, a row stored before spans) are parsed, embedded and written again."""
    if not _has_relations(spec) or all(row.spans is not None for row in rows):
        return _spliced(ctx, rows, root)
    items = [_parse(row.doc, root) for row in rows]
    wanted: set[int] = set()
    for item in items:
        wanted |= _targets_of(spec, item, ctx.include)
    targets = embedded_rows(ctx, wanted)
    embedded = {row.entity_id: _bare(row, root) for row in targets}
    for item in items:
        _embed(spec, item, ctx.include, embedded)
    return [orjson.dumps(item) for item in items], sorted(row.etag for row in targets)


def _has_relations(spec: ResourceSpec) -> bool:
    return any(relation.target for relation in spec.relations)


def _bare(row: Stored, root: str) -> dict[str, Any]:
    parsed = _parse(row.doc, root)
    return parsed if row.spans == "bare" else _without_relations(parsed)


def _spliced(ctx: ReadContext, rows: list[Stored], root: str) -> tuple[list[bytes], list[str]]:
    wanted = {
        target
        for row in rows
        if row.spans
        for relation, _start, _end, target in orjson.loads(row.spans)
        if relation in ctx.include
    }
    targets = embedded_rows(ctx, wanted)
    embedded = {
        row.entity_id: row.doc if row.spans == "bare" else orjson.dumps(_bare(row, API_ROOT))
        for row in targets
    }
    placeholder, api_root = API_ROOT_BYTES, root.encode()
    docs = [
        (splice.spliced(row.doc, row.spans, ctx.include, embedded) if row.spans else row.doc)
        for row in rows
    ]
    return [doc.replace(placeholder, api_root) for doc in docs], sorted(r.etag for r in targets)


def body_etag(parts: Sequence[Any]) -> str:
    """An ETag from stored ETags and whatever else shapes the body (no body needed)."""
    return hashlib.sha1(orjson.dumps(list(parts))).hexdigest()
