"""Writing the read model: inside every write transaction, and on ``readmodel rebuild``.

``refresh`` is the read model's subscriber to ``core.write.changes``: for every changed item
and every item that shows it in a relation (found through ``content_links``), it renders the
item's rows again with the content read path (``core.content``), which stays the one
reference renderer, and writes what differs from the stored rows (``write_rows``). ``check``
renders everything from scratch and compares.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any
from uuid import uuid4

import orjson
from flask import current_app
from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from ifm_api.core import db
from ifm_api.core.cache import bump_version
from ifm_api.core.content import (
    REGISTRY,
    ReadContext,
    ResourceSpec,
    _load_links,
    _render_one,
    load_rows,
    render_all_languages,
    render_rows,
)
from ifm_api.core.db import utcnow
from ifm_api.core.feeds import entry_texts, feed_types, pack_entry, unpack_entry
from ifm_api.core.i18n import ALL, supported_languages
from ifm_api.core.models import LIVE, ContentEntity, ContentLink
from ifm_api.core.read import marks, splice
from ifm_api.core.read.counts import adjust, check_counts, recount
from ifm_api.core.read.keys import parse_time
from ifm_api.core.read.model import (
    ALL_LANGUAGES,
    API_ROOT,
    FORMAT,
    PublicDocumentChange,
    PublicFeedEntry,
    PublicItem,
    PublicItemLink,
    ReadModelState,
)
from ifm_api.core.read.tags import item_tag
from ifm_api.core.write import changes as write_changes
from ifm_api.search.index import check as check_search
from ifm_api.search.index import index_rows, unindex

# What the renderer is given as the API root; replaced by API_ROOT in the stored text. Random
# per process, so no content can contain it.
ROOT_TOKEN = f"@ifm-api-root-{uuid4().hex}@"
CHUNK = 200


def read_languages() -> tuple[str, ...]:
    return (*supported_languages(), ALL_LANGUAGES)


def _context(lang: str, fallback: bool, now: datetime) -> ReadContext:
    settings = current_app.config["IFM"]
    return ReadContext(
        lang=lang,
        fallback=fallback,
        now=now,
        state=LIVE,
        api_root=ROOT_TOKEN,
        site_url=settings.site_url,
        url_templates=settings.url_templates,
    )


def _chunks(ids: Iterable[int], size: int = CHUNK) -> Iterator[list[int]]:
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), size):
        yield ordered[start : start + size]


# --- rendering -----------------------------------------------------------------------------


Rendered = dict[tuple[int, str, bool], dict[str, Any]]  # (entity, lang, fallback) -> item


def _has_language(row: Any, langs: tuple[str, ...] | None) -> bool:
    return bool(row.translations) and (
        langs is None or any(t.lang in langs for t in row.translations)
    )


def _render(spec: ResourceSpec, ids: Sequence[int], now: datetime, scratch: Session) -> Rendered:
    """Every public read of ``ids`` at ``now``: each read language, fallback on and off.

    The content read path's own loaders and renderers, loading once for all of them: rows
    (with the translations visible at ``now``), links and linked items are the same for every
    language; which of them a read in one language may show is what ``_conditions`` would
    have selected (a visible translation in the read's languages).
    """
    out: Rendered = {}
    with db.using(scratch):
        scratch.expunge_all()  # loads see only what is visible at ``now``
        every = _context(ALL_LANGUAGES, True, now)
        rows = load_rows(spec, every, ids)
        links = _load_links(spec, every, [entity.id for _row, entity in rows])
        wanted: dict[str, set[int]] = defaultdict(set)
        for by_relation in links.values():
            for relation in spec.relations:
                if relation.target:
                    wanted[relation.target].update(
                        link.target_id
                        for link in by_relation.get(relation.name, ())
                        if link.target_id is not None
                    )
        loaded = {key: load_rows(REGISTRY[key], every, ids) for key, ids in wanted.items()}
        for lang in read_languages():
            for fallback in (True,) if lang == ALL_LANGUAGES else (True, False):
                ctx = _context(lang, fallback, now)
                targets: dict[int, dict[str, Any]] = {}
                for key, target_rows in loaded.items():
                    shown = [(r, e) for r, e in target_rows if _has_language(r, ctx.langs)]
                    for item in render_rows(REGISTRY[key], ctx, shown, embedded=True):
                        targets[item["id"]] = item
                for row, entity in rows:
                    if not _has_language(row, ctx.langs):
                        continue
                    item = _render_item(spec, ctx, row, entity, links.get(entity.id, {}), targets)
                    if item is not None:
                        out[(entity.id, lang, fallback)] = item
    return out


def _render_item(
    spec: ResourceSpec,
    ctx: ReadContext,
    row: Any,
    entity: ContentEntity,
    links: dict[str, list[ContentLink]],
    targets: dict[int, dict[str, Any]],
) -> dict[str, Any] | None:
    """One item as ``render_rows`` renders it (its per-item part, with the loads shared)."""
    if ctx.lang == ALL:
        return render_all_languages(spec, ctx, row, entity, links, set(targets))
    return _render_one(spec, ctx, row, entity, links, targets, False)


@dataclass
class Times:
    """When an item's public representation changes with no write."""

    past: datetime | None  # the latest such moment up to now
    future: list[datetime]  # the moments after now, in order
    own: dict[str, datetime]  # when each of its public languages goes (or went) public


def _moments(spec: ResourceSpec, ids: Sequence[int], scratch: Session) -> dict[int, list[Any]]:
    """Per item: visible_from of its own public translations and of those of linked items."""
    M, T = spec.model, spec.translation_model
    found: dict[int, list[Any]] = defaultdict(list)
    rows = scratch.execute(
        select(M.entity_id, T.lang, T.visible_from)
        .join(T, T.row_pk == M.pk)
        .where(M.state == LIVE, M.entity_id.in_(ids), T.visible_from.is_not(None))
    )
    for entity_id, lang, visible_from in rows:
        found[entity_id].append((lang, visible_from))
    by_target: dict[str, list[str]] = defaultdict(list)
    for relation in spec.relations:
        if relation.target:
            by_target[relation.target].append(relation.name)
    for target_key, relations in by_target.items():
        target = REGISTRY[target_key]
        TM, TT = target.model, target.translation_model
        rows = scratch.execute(
            select(ContentLink.source_id, TT.visible_from)
            .join(TM, TM.entity_id == ContentLink.target_id)
            .join(TT, TT.row_pk == TM.pk)
            .where(
                ContentLink.source_id.in_(ids),
                ContentLink.source_state == LIVE,
                ContentLink.relation.in_(relations),
                TM.state == LIVE,
                TT.visible_from.is_not(None),
            )
        )
        for source_id, visible_from in rows:
            found[source_id].append((None, visible_from))
    return found


def _times(
    spec: ResourceSpec, ids: Sequence[int], now: datetime, current: Rendered, scratch: Session
) -> dict[int, Times]:
    moments = _moments(spec, ids, scratch)
    docs = {eid: item for (eid, _lang, _fallback), item in current.items()}
    result = {}
    for entity_id in ids:
        points = [when for _lang, when in moments.get(entity_id, [])]
        own = {lang: when for lang, when in moments.get(entity_id, []) if lang}
        if spec.read.changes_at:
            doc = docs.get(entity_id)
            if doc is None:  # not public now: any of its (future) docs has the same dates
                doc = _any_row_values(spec, entity_id, scratch)
            points.extend(spec.read.changes_at(doc) if doc else [])
        past = max((p for p in points if p <= now), default=None)
        future = sorted({p for p in points if p > now})
        result[entity_id] = Times(past, future, own)
    return result


def _any_row_values(spec: ResourceSpec, entity_id: int, scratch: Session) -> dict[str, Any]:
    row = scratch.scalar(
        select(spec.model).where(spec.model.entity_id == entity_id, spec.model.state == LIVE)
    )
    return {name: getattr(row, name) for name in spec.fields} if row is not None else {}


# --- rows ----------------------------------------------------------------------------------


def _text(item: dict[str, Any]) -> str:
    return orjson.dumps(item).decode().replace(ROOT_TOKEN, API_ROOT)


_ROOT_TOKEN_BYTES, _API_ROOT_BYTES = ROOT_TOKEN.encode(), API_ROOT.encode()


def _dump(value: Any) -> bytes:
    return orjson.dumps(value).replace(_ROOT_TOKEN_BYTES, _API_ROOT_BYTES)


@cache
def embedded_types() -> frozenset[str]:
    """The types whose items other items embed (``include=``): their rows keep ``bare``."""
    return frozenset(
        REGISTRY[relation.target].type
        for spec in REGISTRY.values()
        for relation in spec.relations
        if relation.target
    )


def _embedding(spec: ResourceSpec, item: dict[str, Any]) -> dict[str, Any]:
    """What ``include=`` of a one-language row needs stored (``core.read.splice``): where
    its relation summaries lie, and for an item others embed, its text without relations."""
    kinds = {relation.name: relation.kind for relation in spec.relations if relation.target}
    spans = splice.serialized(item, kinds, _dump)[1] if kinds else None
    bare = None
    if spec.type in embedded_types():
        names = {relation.name for relation in spec.relations}
        bare = _text({key: value for key, value in item.items() if key not in names})
    return {"spans": spans, "bare": bare}


def alternate_links(item: dict[str, Any]) -> str | None:
    """``Link rel=alternate hreflang`` of a detail (as ``core.views.alternate_links``)."""
    from ifm_api.core.views import alternate_links as links_of

    found = links_of(item, None)  # type: ignore[arg-type]
    return ", ".join(found).replace(ROOT_TOKEN, API_ROOT) if found else None


def _shown(spec: ResourceSpec, item: dict[str, Any]) -> list[dict[str, Any]]:
    """What the item's relations show, as ``public_item_links`` rows (for the filters)."""
    rows: list[dict[str, Any]] = []
    for relation in spec.relations:
        value = item.get(relation.name)
        if relation.kind == "names":
            rows.extend({"relation": relation.name, "name": name} for name in value or [])
            continue
        entries = value if isinstance(value, list) else [value]
        for entry in entries:
            if not entry:
                continue
            target = entry.get("person") if relation.kind in ("authors", "members") else entry
            target_id = target.get("id") if isinstance(target, dict) else target
            if isinstance(target_id, int):
                rows.append({"relation": relation.name, "target_id": target_id})
    return rows


def embedded_tags(spec: ResourceSpec, item: dict[str, Any]) -> str | None:
    """The purge tags of the items the representation shows (``core.read.tags``)."""
    types = {r.name: REGISTRY[r.target].type for r in spec.relations if r.target}
    found = {
        item_tag(types[link["relation"]], link["target_id"])
        for link in _shown(spec, item)
        if link.get("target_id") is not None and link["relation"] in types
    }
    return " ".join(sorted(found)) or None


def _row(
    spec: ResourceSpec,
    entity_id: int,
    lang: str,
    item: dict[str, Any],
    text: str,
    *,
    lenient: bool,
    strict: bool,
    start: datetime,
    until: datetime | None,
    times: Times,
) -> dict[str, Any]:
    one = lang != ALL_LANGUAGES
    served = item.get("lang") if one else None
    exact = one and served == lang
    own_from = times.own.get(served) if served else None
    updated = parse_time(item.get("updated_at"))
    values: dict[str, Any] = {
        "type": spec.type,
        "entity_id": entity_id,
        "lang": lang,
        "served_lang": served,
        "lenient": lenient,
        "strict": strict,
        "visible_from": start,
        "visible_until": until,
        "slug": item.get("slug") if exact else None,
        "sort_time": None,
        "date_1": None,
        "date_2": None,
        "number": None,
        "sort_text": None,
        "kind": None,
        "year": None,
        "own_from": own_from,
        "lastmod": max(filter(None, (updated, own_from)), default=None) if exact else None,
        "web_url": item.get("web_url") if exact else None,
        "links": alternate_links(item) if one else None,
        "etag": hashlib.sha1(text.encode()).hexdigest(),
        "doc": text,
    }
    values["tags"] = embedded_tags(spec, item)
    values.update(_embedding(spec, item) if one else {"spans": None, "bare": None})
    values.update(spec.read.columns(item, lang))
    if values["sort_text"] is not None:
        values["sort_text"] = values["sort_text"][:400]
    return values


def _rows_of(
    spec: ResourceSpec,
    entity_id: int,
    times: Times,
    rendered: dict[datetime, Rendered],
    now: datetime,
) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """The stored rows of one item: per read language, its intervals (equal ones merged)."""
    starts = [now, *times.future]
    out = []
    for lang in read_languages():
        spans: list[list[Any]] = []  # [start, until, lenient (text, item), strict (text, item)]
        for index, start in enumerate(starts):
            docs = rendered[start]
            lenient = docs.get((entity_id, lang, True))
            strict = lenient if lang == ALL_LANGUAGES else docs.get((entity_id, lang, False))
            pair = tuple(
                (_text(item), item) if item is not None else None for item in (lenient, strict)
            )
            key = tuple(p[0] if p else None for p in pair)
            if spans and tuple(p[0] if p else None for p in spans[-1][2:]) == key:
                continue
            if spans:
                spans[-1][1] = start
            spans.append([start if index else (times.past or now), None, *pair])
        for start, until, lenient_doc, strict_doc in spans:
            variants: list[tuple[Any, bool, bool]] = []
            if lenient_doc and strict_doc and lenient_doc[0] == strict_doc[0]:
                variants.append((lenient_doc, True, True))
            else:
                if lenient_doc:
                    variants.append((lenient_doc, True, False))
                if strict_doc:
                    variants.append((strict_doc, False, True))
            for (text, item), is_lenient, is_strict in variants:
                row = _row(
                    spec,
                    entity_id,
                    lang,
                    item,
                    text,
                    lenient=is_lenient,
                    strict=is_strict,
                    start=start,
                    until=until,
                    times=times,
                )
                out.append((row, _shown(spec, item)))
    return out


def render_items(
    spec: ResourceSpec, ids: Sequence[int], now: datetime, scratch: Session
) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """The read-model rows (with their link rows) of ``ids``, as of ``now``."""
    current = _render(spec, ids, now, scratch)
    times = _times(spec, ids, now, current, scratch)
    rendered: dict[datetime, Rendered] = {now: current}
    by_moment: dict[datetime, list[int]] = defaultdict(list)
    for entity_id, item_times in times.items():
        for moment in item_times.future:
            by_moment[moment].append(entity_id)
    for moment, moment_ids in by_moment.items():
        rendered[moment] = _render(spec, moment_ids, moment, scratch)
    out = []
    for entity_id in ids:
        out.extend(_rows_of(spec, entity_id, times[entity_id], rendered, now))
    return out


def _scratch(session: Session) -> Session:
    """A session on the write transaction's connection with an empty identity map."""
    return Session(bind=session.connection(), autoflush=False, expire_on_commit=False)


Rows = list[tuple[dict[str, Any], list[dict[str, Any]]]]  # (values, link rows) per row


def _insert(session: Session, rows: Rows) -> None:
    if not rows:
        return
    ids = db.insert_rows(session, PublicItem, [values for values, _links in rows])
    index_rows(session, ids, [values for values, _links in rows])
    _insert_feed_entries(session, ids, [values for values, _links in rows])
    _insert_links(session, ids, [links for _values, links in rows])


def _insert_links(
    session: Session, ids: Sequence[int], links: Sequence[list[dict[str, Any]]]
) -> None:
    found = [
        {"item_id": item_id, "target_id": None, "name": None, **link}
        for item_id, item_links in zip(ids, links, strict=True)
        for link in item_links
    ]
    if found:
        session.execute(insert(PublicItemLink.__table__), found)  # Core: no ORM bulk path


# --- writing what changed ------------------------------------------------------------------

ITEMS = PublicItem.__table__
WRITTEN = tuple(c.name for c in ITEMS.columns if c.name != "id")
Identity = tuple[int, str, bool, bool]  # entity, read language, lenient, strict
# what a row's search entry and feed entry are made of (``search.index.entry``, ``entry_texts``)
SEARCHED = frozenset({"doc", "served_lang", "type", "lang", "lenient", "strict"})
SEARCHED |= {"entity_id", "visible_from", "visible_until"}
FED = frozenset({"doc", "own_from", "type", "lang", "served_lang", "lenient"})


def _stored_rows(session: Session, ids: Sequence[int]) -> list[dict[str, Any]]:
    """The stored rows of ``ids``, every column."""
    stmt = select(ITEMS).where(ITEMS.c.entity_id.in_(ids))
    return [dict(row._mapping) for row in session.execute(stmt)]


def _identity(values: dict[str, Any]) -> Identity:
    return (values["entity_id"], values["lang"], values["lenient"], values["strict"])


Pair = tuple[dict[str, Any], tuple[dict[str, Any], list[dict[str, Any]]]]  # stored, new


def _pair(stored: list[dict[str, Any]], rows: Rows) -> tuple[list[Pair], list[int], Rows]:
    """(stored row, new row) pairs of the same identity, in time order; the ids of the
    stored rows left over; the new rows left over."""
    waiting: dict[Identity, list[dict[str, Any]]] = defaultdict(list)
    for old in sorted(stored, key=lambda row: row["visible_from"]):
        waiting[_identity(old)].append(old)
    pairs: list[Pair] = []
    fresh: Rows = []
    for row in sorted(rows, key=lambda row: row[0]["visible_from"]):
        olds = waiting.get(_identity(row[0]))
        if olds:
            pairs.append((olds.pop(0), row))
        else:
            fresh.append(row)
    gone = [old["id"] for olds in waiting.values() for old in olds]
    return pairs, gone, fresh


def _changes(old: dict[str, Any], values: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The columns a new row changes of the stored row it replaces. A row public by ``now``
    keeps its stored start if that was by ``now`` too: it serves the same from now on (what
    ``check`` compares), and an unchanged row is then not written at all."""
    if values["visible_from"] <= now and old["visible_from"] <= now:
        values["visible_from"] = old["visible_from"]
    return {name: values[name] for name in WRITTEN if values[name] != old[name]}


def write_rows(session: Session, stored: list[dict[str, Any]], rows: Rows, now: datetime) -> None:
    """Replace the stored rows of some items with their new ``rows``: a row with the same
    identity is updated in place (its changed columns only; its search entry, feed entry and
    links written again only where what they are made of changed), the rest deleted or
    inserted. Deleting and inserting every row cost each its five list-index entries, its
    search and feed entries and links, also for rows that did not change."""
    pairs, gone, fresh = _pair(stored, rows)
    if gone:
        session.execute(delete(ITEMS).where(ITEMS.c.id.in_(gone)))
    changed: list[tuple[dict[str, Any], dict[str, Any], dict[str, Any], list[Any]]] = []
    for old, (values, links) in pairs:
        changes = _changes(old, values, now)
        if changes:
            changed.append((old, changes, values, links))
    _update(session, [(old["id"], changes) for old, changes, _values, _links in changed])
    _reindex(session, [(old["id"], v) for old, c, v, _l in changed if SEARCHED & c.keys()])
    _refeed(session, [(old["id"], v) for old, c, v, _l in changed if FED & c.keys()])
    _relink(session, [(old["id"], links) for old, c, _v, links in changed if "doc" in c])
    _insert(session, fresh)


def _update(session: Session, updates: list[tuple[int, dict[str, Any]]]) -> None:
    """One executemany ``UPDATE`` per set of changed columns (a rename changes the same
    columns of every row it writes)."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for row_id, changes in updates:
        params = {f"v_{name}": value for name, value in changes.items()}
        groups[tuple(sorted(changes))].append({"row_id": row_id, **params})
    for names, params in groups.items():
        values = {name: bindparam(f"v_{name}", type_=ITEMS.c[name].type) for name in names}
        stmt = update(ITEMS).where(ITEMS.c.id == bindparam("row_id")).values(values)
        session.execute(stmt, params)


def _reindex(session: Session, rows: list[tuple[int, dict[str, Any]]]) -> None:
    """The search entries of rows whose searched values changed, made again."""
    if rows:
        unindex(session, [row_id for row_id, _values in rows])
        index_rows(session, [row_id for row_id, _v in rows], [values for _id, values in rows])


def _refeed(session: Session, rows: list[tuple[int, dict[str, Any]]]) -> None:
    """The feed entries of rows whose entry's sources changed, made again."""
    if rows:
        F = PublicFeedEntry.__table__
        session.execute(delete(F).where(F.c.item_id.in_([row_id for row_id, _values in rows])))
        ids = [row_id for row_id, _values in rows]
        _insert_feed_entries(session, ids, [values for _id, values in rows])


def _link_key(link: dict[str, Any]) -> tuple[Any, ...]:
    return (link["relation"], link.get("target_id"), link.get("name"))


def _relink(session: Session, rows: list[tuple[int, list[dict[str, Any]]]]) -> None:
    """The link rows of rows whose document changed, written again where they differ from
    the stored ones (a rename shows other names, no other items)."""
    if not rows:
        return
    L = PublicItemLink.__table__
    stored: dict[int, Counter[tuple[Any, ...]]] = defaultdict(Counter)
    found = session.execute(
        select(L.c.item_id, L.c.relation, L.c.target_id, L.c.name).where(
            L.c.item_id.in_([row_id for row_id, _links in rows])
        )
    )
    for item_id, relation, target_id, name in found:
        stored[item_id][(relation, target_id, name)] += 1
    differ = [
        (row_id, links)
        for row_id, links in rows
        if Counter(_link_key(link) for link in links) != stored.get(row_id, Counter())
    ]
    if differ:
        session.execute(delete(L).where(L.c.item_id.in_([row_id for row_id, _l in differ])))
        _insert_links(session, [row_id for row_id, _l in differ], [links for _id, links in differ])


def _insert_feed_entries(
    session: Session, ids: Sequence[int], rows: Sequence[dict[str, Any]]
) -> None:
    """The feed entries of the rows a feed lists: a type with feeds, served in the row's own
    language, with fallback on (what ``feed_rows`` reads)."""
    keys = feed_types()
    site_url = current_app.config["IFM"].site_url
    entries = []
    for item_id, values in zip(ids, rows, strict=True):
        key = keys.get(values["type"])
        if key is None or not values["lenient"] or values["served_lang"] != values["lang"]:
            continue
        item = orjson.loads(values["doc"].replace(API_ROOT, ROOT_TOKEN))
        texts, updated = entry_texts(key, values["lang"], item, values["own_from"], site_url)
        stored = {
            fmt: pack_entry(text.replace(ROOT_TOKEN, API_ROOT)) for fmt, text in texts.items()
        }
        entries.append({"item_id": item_id, "updated": updated, **stored})
    if entries:
        session.execute(insert(PublicFeedEntry.__table__), entries)


def _specs_by_type() -> dict[str, ResourceSpec]:
    return {spec.type: spec for spec in REGISTRY.values()}


def _relation_names() -> list[str]:
    """Every relation that points at items: with them, finding an item's embedders is a range
    of ``ix_content_links_target`` per relation (without, a scan of every link)."""
    return sorted({r.name for spec in REGISTRY.values() for r in spec.relations if r.target})


def affected(session: Session, changed: dict[str, set[int]]) -> dict[str, set[int]]:
    """The changed items and every item whose public version shows one of them."""
    ids = {entity_id for group in changed.values() for entity_id in group}
    result: dict[str, set[int]] = defaultdict(set)
    for key, group in changed.items():
        result[key] |= group
    by_type = _specs_by_type()
    relations = _relation_names()
    for chunk in _chunks(ids):
        rows = session.execute(
            select(ContentEntity.id, ContentEntity.type)
            .join(ContentLink, ContentLink.source_id == ContentEntity.id)
            .where(
                ContentLink.relation.in_(relations),  # the index's leading column
                ContentLink.target_id.in_(chunk),
                ContentLink.source_state == LIVE,
            )
            .distinct()
        )
        for source_id, type_ in rows:
            result[by_type[type_].key].add(source_id)
    return result


# Called with (session, now, the refreshed items per key, their new rows) after a refresh:
# what the change feed diffs against what it told before (``ifm_api.changes``).
Refreshed = Callable[[Session, datetime, dict[str, set[int]], list[dict[str, Any]]], None]
REFRESHED: list[Refreshed] = []


Served = tuple[str, int, str, str | None]  # type, entity id, read language, served language


def _served(rows: Iterable[dict[str, Any]]) -> set[Served]:
    """Which language each of these rows serves, per read language."""
    return {(v["type"], v["entity_id"], v["lang"], v["served_lang"]) for v in rows}


def _left(before: set[Served], after: set[Served]) -> set[tuple[str, str]]:
    """(type, read language) of the documents an item version left: unpublished, deleted,
    or now served from another language. What stays is dated by its own ``updated_at``."""
    return {(type_, lang) for type_, _id, lang, _served in before - after}


def _next_second(moment: datetime) -> datetime:
    """``Last-Modified`` counts whole seconds: a removal in the same second as the last
    publication must still move it forward."""
    return moment.replace(microsecond=0) + timedelta(seconds=1)


def record_document_changes(
    session: Session, documents: set[tuple[str, str]], when: datetime
) -> None:
    """Move the change time of these (type, language) documents forward to ``when``.

    An upsert, so writes that do not take the content lock (a media PATCH) cannot collide.
    """
    if not documents:
        return
    upsert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else pg_insert
    stmt = upsert(PublicDocumentChange).values(
        [{"type": type_, "lang": lang, "changed_at": when} for type_, lang in sorted(documents)]
    )
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=["type", "lang"],
            set_={"changed_at": stmt.excluded.changed_at},
            where=PublicDocumentChange.changed_at < stmt.excluded.changed_at,
        )
    )


REMOVED = "read.removed"  # the note in ``PublicChanges.notes``: (entity id, its stored rows)
Gone = Sequence[tuple[int, list[dict[str, Any]]]]


@write_changes.on_removal
def _note_removed(session: Session, changes: write_changes.PublicChanges, entity_id: int) -> None:
    """The stored rows of an item about to be hard-deleted, which the database cascades away:
    noted, so that the counts and marks take them out like any unpublished row."""
    changes.notes.setdefault(REMOVED, []).append((entity_id, _stored_rows(session, [entity_id])))


def _gone_unnoted(session: Session, changed: dict[str, set[int]], noted: set[int]) -> set[str]:
    """The types of changed items that no longer exist with no note of their rows (gone by
    other means than ``editing.delete_item``): their counts and marks are made again."""
    ids = {entity_id for group in changed.values() for entity_id in group} - noted
    found: set[int] = set()
    for chunk in _chunks(ids):
        found.update(session.scalars(select(ContentEntity.id).where(ContentEntity.id.in_(chunk))))
    gone = ids - found
    return {REGISTRY[key].type for key, group in changed.items() if group & gone}


def refresh_items(session: Session, changed: dict[str, set[int]], gone: Gone = ()) -> None:
    """Render the rows of ``changed`` (and of the items showing them) again; ``gone`` holds
    the hard-deleted items with their stored rows as noted before the delete.

    Takes the content lock first (writes that did not, a media PATCH, wait here), so the
    stored counts are adjusted by one transaction at a time.
    """
    session.flush()
    bump_version()
    now = utcnow()
    everything = affected(session, changed)
    types = {REGISTRY[key].type for key in everything}
    marked = marks.basis(session, types, now)
    removed = [{**row, "doc": None} for _id, rows in gone for row in rows]
    new_rows: list[dict[str, Any]] = []
    scratch = _scratch(session)
    try:
        for key, group in everything.items():
            spec = REGISTRY[key]
            for chunk in _chunks(group):
                stored = _stored_rows(session, chunk)
                rows = render_items(spec, chunk, now, scratch)
                write_rows(session, stored, rows, now)
                removed.extend({**row, "doc": None} for row in stored)  # what is noted of them
                new_rows.extend(values for values, _links in rows)
    finally:
        scratch.close()
    unnoted = _gone_unnoted(session, changed, {entity_id for entity_id, _rows in gone})
    marks.unnoted(marked, unnoted)
    adjust(session, types, removed, new_rows, now, count_again=unnoted)
    marks.maintain(session, marked, removed, new_rows, now)
    record_document_changes(session, _left(_served(removed), _served(new_rows)), _next_second(now))
    for hook in REFRESHED:
        hook(session, now, everything, new_rows)


def refresh(session: Session, changes: write_changes.PublicChanges) -> None:
    """The subscriber: runs in the write transaction, just before it commits."""
    changed = {key: changes.ids(key) for key in changes.items}
    refresh_items(session, changed, changes.notes.get(REMOVED, ()))


write_changes.subscribe(refresh)


# --- rebuild and check ---------------------------------------------------------------------


def _public_ids(session: Session, spec: ResourceSpec) -> list[int]:
    M = spec.model
    return list(session.scalars(select(M.entity_id).where(M.state == LIVE).order_by(M.entity_id)))


def rebuild(session: Session) -> int:
    """Throw the read model away and build it from the content tables; returns its rows."""
    session.execute(delete(PublicItemLink))
    session.execute(delete(PublicFeedEntry))
    session.execute(delete(PublicItem))
    now = utcnow()
    count = 0
    scratch = _scratch(session)
    try:
        for spec in REGISTRY.values():
            for chunk in _chunks(_public_ids(session, spec)):
                rows = render_items(spec, chunk, now, scratch)
                _insert(session, rows)
                count += len(rows)
                for hook in REFRESHED:  # what a new format or setting changed is a change
                    hook(session, now, {spec.key: set(chunk)}, [v for v, _links in rows])
    finally:
        scratch.close()
    recount(session, [spec.type for spec in REGISTRY.values()], now)
    marks.build(session, now)
    session.execute(delete(ReadModelState))
    session.execute(insert(ReadModelState).values(id=1, format=FORMAT, built_at=now))
    return count


def needs_build(session: Session) -> bool:
    return session.scalar(select(ReadModelState.format).where(ReadModelState.id == 1)) != FORMAT


COMPARED = [c.name for c in PublicItem.__table__.columns if c.name not in ("id", "visible_from")]


def _normal(values: dict[str, Any], now: datetime) -> tuple[Any, ...]:
    """A row as compared: what it serves from now on (its start only as "by now")."""
    start = values["visible_from"]
    return (max(start, now) if start is not None else None, *(values[c] for c in COMPARED))


def check(session: Session) -> list[str]:
    """Every difference between the stored read model and a render from scratch."""
    now = utcnow()
    problems: list[str] = []
    stored: dict[int, set[tuple[Any, ...]]] = defaultdict(set)
    columns = [PublicItem.__table__.c[name] for name in ("visible_from", *COMPARED)]
    for row in session.execute(select(*columns).where(_still_relevant(now))):
        values = dict(zip(["visible_from", *COMPARED], row, strict=True))
        stored[values["entity_id"]].add(_normal(values, now))
    expected: dict[int, set[tuple[Any, ...]]] = defaultdict(set)
    scratch = _scratch(session)
    try:
        for spec in REGISTRY.values():
            for chunk in _chunks(_public_ids(session, spec)):
                for values, _links in render_items(spec, chunk, now, scratch):
                    expected[values["entity_id"]].add(_normal(values, now))
    finally:
        scratch.close()
    for entity_id in sorted(set(stored) | set(expected)):
        missing = expected.get(entity_id, set()) - stored.get(entity_id, set())
        extra = stored.get(entity_id, set()) - expected.get(entity_id, set())
        for row in sorted(missing, key=repr):
            problems.append(f"item {entity_id}: missing {_describe(row)}")
        for row in sorted(extra, key=repr):
            problems.append(f"item {entity_id}: stale {_describe(row)}")
    return (
        problems
        + check_feed_entries(session, now)
        + check_search(session)
        + check_counts(session, now)
        + marks.check_marks(session, now)
    )


def check_feed_entries(session: Session, now: datetime) -> list[str]:
    """Every row a feed lists has its entries, as its stored document renders them."""
    P, F = PublicItem, PublicFeedEntry
    keys = feed_types()
    site_url = current_app.config["IFM"].site_url
    stmt = (
        select(P.id, P.entity_id, P.type, P.lang, P.served_lang, P.lenient, P.doc, P.own_from)
        .add_columns(F.item_id, F.updated, F.rss, F.atom, F.json)
        .outerjoin(F, F.item_id == P.id)
        .where(_still_relevant(now))
    )
    problems = []
    for row in session.execute(stmt):
        listed = row.type in keys and row.lenient and row.served_lang == row.lang
        if not listed:
            if row.item_id is not None:
                problems.append(f"item {row.entity_id}: stale feed entry ({row.lang})")
            continue
        try:
            item = orjson.loads(row.doc.replace(API_ROOT, ROOT_TOKEN))
            texts, updated = entry_texts(keys[row.type], row.lang, item, row.own_from, site_url)
        except (KeyError, TypeError, ValueError):  # a broken document: reported by `check`
            continue
        expected = {fmt: text.replace(ROOT_TOKEN, API_ROOT) for fmt, text in texts.items()}
        stored = {fmt: unpack_entry(getattr(row, fmt)) for fmt in ("rss", "atom", "json")}
        if row.item_id is None:
            problems.append(f"item {row.entity_id}: missing feed entry ({row.lang})")
        elif stored != expected or row.updated != updated:
            problems.append(f"item {row.entity_id}: stale feed entry ({row.lang})")
    return problems


def _still_relevant(now: datetime) -> Any:
    return (PublicItem.visible_until.is_(None)) | (PublicItem.visible_until > now)


def _describe(row: tuple[Any, ...]) -> str:
    values = dict(zip(["from", *COMPARED], row, strict=True))
    doc = values.pop("doc")
    head = ", ".join(
        f"{k}={v}"
        for k, v in values.items()
        if k in ("type", "lang", "lenient", "strict", "from", "visible_until")
    )
    return f"row ({head}): {doc[:300]}"
