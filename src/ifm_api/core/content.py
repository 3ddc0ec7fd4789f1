"""The shared machinery of every content type: its declaration and the read path.

A resource declares itself once with a ``ResourceSpec``; lists, details, slugs, fallback,
relations and includes are then the same code for all five types. A read makes a constant
number of queries: rows (+count), their translations, their links, and per related type its
rows and translations — whatever the page size or the number of relations.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any, Literal
from zoneinfo import ZoneInfo

from babel.dates import format_date
from flask import current_app
from sqlalchemy import ColumnElement, Select, and_, case, exists, func, select
from sqlalchemy.orm import aliased, selectinload
from sqlalchemy.orm.interfaces import LoaderOption

from ifm_api.core import db
from ifm_api.core.i18n import (
    ALL,
    Picked,
    default_language,
    fallback_chain,
    pick_translation,
    supported_languages,
)
from ifm_api.core.models import DRAFT, LIVE, ContentEntity, ContentLink, SlugRedirect
from ifm_api.core.sorting import sortable

SLUG = re.compile(r"[a-z0-9-]{1,200}")  # what make_slug() and the write schema let through
RelationKind = Literal["items", "item", "names", "authors", "members"]


@dataclass(frozen=True)
class Relation:
    """A field that points at other items (``target``) or holds plain names (tags)."""

    name: str
    kind: RelationKind
    target: str | None = None

    @property
    def embeddable(self) -> bool:
        return self.target is not None


@dataclass
class ResourceSpec:
    """Everything the shared machinery needs to know about one content type."""

    key: str
    type: str
    model: Any
    translation_model: Any
    translated_fields: tuple[str, ...]
    label_field: str
    fields: tuple[str, ...] = ()
    rich_fields: tuple[str, ...] = ()
    relations: tuple[Relation, ...] = ()
    sorts: dict[str, Callable[[ReadContext], Sequence[Any]]] = field(default_factory=dict)
    default_sort: str = ""
    filters: Callable[[Select[Any], dict[str, Any], ReadContext], Select[Any]] | None = None
    display_date_field: str | None = None
    label: Callable[[Any, dict[str, Any]], str] | None = None
    derived: Callable[[Any, ReadContext], dict[str, Any]] | None = None
    extra_load: Callable[[], Iterable[LoaderOption]] | None = None
    render_extra: Callable[[Any, ReadContext], dict[str, Any]] | None = None
    required_translated: tuple[str, ...] = ()
    publish_date_field: str | None = None
    slug_source: Callable[[Any, dict[str, Any]], str] | None = None
    before_save: Callable[[Any], None] | None = None
    edit_extra: Callable[[Any], dict[str, Any]] | None = None
    write_extra: Callable[[Any, dict[str, Any]], None] | None = None
    copy_extra: Callable[[Any, Any], None] | None = None
    extra_write_keys: tuple[str, ...] = ()
    media_ids: Callable[[], Select[Any]] | None = None
    read: Any = None  # core.read.keys.ReadKeys: sorts and filters in the read model

    @property
    def segment(self) -> str:
        return self.key.replace("_", "-")

    def label_of(self, row: Any, values: dict[str, Any]) -> str:
        return self.label(row, values) if self.label else values[self.label_field]

    def relation(self, name: str) -> Relation | None:
        return next((r for r in self.relations if r.name == name), None)


REGISTRY: dict[str, ResourceSpec] = {}


def register(spec: ResourceSpec) -> ResourceSpec:
    REGISTRY[spec.key] = spec
    return spec


@dataclass
class ReadContext:
    """How one request reads: language, fallback, includes, which version, when."""

    lang: str
    fallback: bool
    now: datetime
    state: str = LIVE
    include: frozenset[str] = frozenset()
    api_root: str = "/api/v1"
    site_url: str = ""
    url_templates: dict[str, str] = field(default_factory=dict)

    @property
    def langs(self) -> tuple[str, ...] | None:
        """Languages whose translations count for this read (None: all)."""
        if self.lang == ALL:
            return None
        return (self.lang, *fallback_chain(self.lang)) if self.fallback else (self.lang,)

    def api_url(self, spec: ResourceSpec, entity_id: int, lang: str) -> str:
        return f"{self.api_root}/{spec.segment}/{entity_id}?lang={lang}"

    def web_url(self, spec: ResourceSpec, entity_id: int, lang: str, slug: str) -> str:
        return self.url_templates[spec.key].format(
            site=self.site_url, lang=lang, slug=slug, id=entity_id
        )


# --- queries -----------------------------------------------------------------------------


def visible(translation_model: Any, ctx: ReadContext) -> ColumnElement[bool]:
    """Translations the reader may see: public ones only once their time has come."""
    T = translation_model
    if ctx.state == DRAFT:
        return T.state == DRAFT
    return and_(T.state == LIVE, T.visible_from.is_not(None), T.visible_from <= ctx.now)


def _conditions(spec: ResourceSpec, ctx: ReadContext) -> list[ColumnElement[bool]]:
    M, T = spec.model, spec.translation_model
    conditions: list[ColumnElement[bool]] = [M.state == ctx.state]
    if ctx.state == DRAFT:
        # An alias: the row queries join ContentEntity themselves, which would otherwise be
        # auto-correlated away, leaving this subquery without a FROM.
        entity = aliased(ContentEntity)
        conditions.append(exists().where(entity.id == M.entity_id, entity.deleted_at.is_(None)))
    has_translation = [T.row_pk == M.pk, visible(T, ctx)]
    if ctx.langs is not None:
        has_translation.append(T.lang.in_(ctx.langs))
    conditions.append(exists().where(*has_translation))
    return conditions


def _translations_option(spec: ResourceSpec, ctx: ReadContext) -> LoaderOption:
    return selectinload(spec.model.translations.and_(visible(spec.translation_model, ctx)))


def _row_options(spec: ResourceSpec, ctx: ReadContext) -> list[LoaderOption]:
    options = [_translations_option(spec, ctx)]
    if spec.extra_load:
        options.extend(spec.extra_load())
    return options


def publicly_visible(spec: ResourceSpec, now: datetime) -> ColumnElement[bool]:
    """The (draft or live) row's item has a language the public can read at ``now``."""
    M, T = spec.model, spec.translation_model
    live, live_translation = aliased(M), aliased(T)
    return exists().where(
        live.entity_id == M.entity_id,
        live.state == LIVE,
        live_translation.row_pk == live.pk,
        live_translation.visible_from.is_not(None),
        live_translation.visible_from <= now,
    )


def translated_value(spec: ResourceSpec, ctx: ReadContext, name: str) -> ColumnElement[Any]:
    """Sort key of a translated column in the read's language, falling back along the chain."""
    M, T = spec.model, spec.translation_model
    langs = ctx.langs or supported_languages()
    values = [
        select(getattr(T, name))
        .where(T.row_pk == M.pk, T.lang == code, visible(T, ctx))
        .scalar_subquery()
        for code in langs
    ]
    return sortable(func.coalesce(*values) if len(values) > 1 else values[0])


def linked(relation: str, target_id: int, source: Any, ctx: ReadContext) -> ColumnElement[bool]:
    """Filter: the row links to ``target_id`` through ``relation``.

    Only while the reader may see that target: filtering by a hidden item matches nothing, so
    a filter cannot reveal what unpublished items are linked to.
    """
    L = ContentLink
    spec = next(s for s in REGISTRY.values() if s.model is source)
    relation_spec = spec.relation(relation)
    if relation_spec is None or relation_spec.target is None:
        raise ValueError(f"{spec.key}.{relation} does not link to items")
    target = REGISTRY[relation_spec.target]
    link = exists().where(
        L.source_id == source.entity_id,
        L.source_state == source.state,
        L.relation == relation,
        L.target_id == target_id,
    )
    shown = exists().where(target.model.entity_id == target_id, *_conditions(target, ctx))
    return and_(link, shown)


def named(relation: str, name: str, source: Any) -> ColumnElement[bool]:
    """Filter: the row carries the plain name (e.g. a tag) under ``relation``."""
    L = ContentLink
    return exists().where(
        L.source_id == source.entity_id,
        L.source_state == source.state,
        L.relation == relation,
        func.lower(L.name) == name.lower(),
    )


def list_items(
    spec: ResourceSpec,
    ctx: ReadContext,
    *,
    page: int,
    page_size: int,
    sort: str | None = None,
    filters: dict[str, Any] | None = None,
    extra_conditions: Sequence[ColumnElement[bool]] = (),
) -> tuple[list[dict[str, Any]], int]:
    """One page of rendered items and the total count."""
    M = spec.model
    base = select(M).where(*_conditions(spec, ctx), *extra_conditions)
    if spec.filters and filters:
        base = spec.filters(base, filters, ctx)
    total = db.session().scalar(select(func.count()).select_from(base.subquery())) or 0
    if total == 0 or (page - 1) * page_size >= total:
        return [], total
    sort_key = sort or spec.default_sort
    order = [*spec.sorts[sort_key](ctx)]
    if not _sorts_by(order, M.entity_id):
        order.append(M.entity_id.desc() if sort_key.startswith("-") else M.entity_id.asc())
    stmt = (
        base.add_columns(ContentEntity)
        .join(ContentEntity, ContentEntity.id == M.entity_id)
        .options(*_row_options(spec, ctx))
        .order_by(*order)
        .limit(page_size)
        .offset((page - 1) * page_size)
    )
    rows = db.session().execute(stmt).all()
    return render_rows(spec, ctx, [(row, entity) for row, entity in rows]), total


def _sorts_by(order: Sequence[Any], column: Any) -> bool:
    return any(getattr(o, "element", o) is column for o in order)


def load_rows(
    spec: ResourceSpec, ctx: ReadContext, entity_ids: Iterable[int]
) -> list[tuple[Any, ContentEntity]]:
    ids = list(set(entity_ids))
    if not ids:
        return []
    M = spec.model
    stmt = (
        select(M, ContentEntity)
        .join(ContentEntity, ContentEntity.id == M.entity_id)
        .where(*_conditions(spec, ctx), M.entity_id.in_(ids))
        .options(*_row_options(spec, ctx))
    )
    return [(row, entity) for row, entity in db.session().execute(stmt).all()]


def get_item(spec: ResourceSpec, ctx: ReadContext, entity_id: int) -> dict[str, Any] | None:
    rows = load_rows(spec, ctx, [entity_id])
    rendered = render_rows(spec, ctx, rows)
    return rendered[0] if rendered else None


def _language_preference(lang: Any, ctx: ReadContext) -> ColumnElement[int]:
    """Slugs are unique per language only: one in the read's language wins, then the default's."""
    return case((lang == ctx.lang, 0), (lang == default_language(), 1), else_=2)


@dataclass(frozen=True)
class SlugMatch:
    """What a slug names: an item, the language the slug belongs to, and whether it is a
    former slug (answered with a 301 to the current one)."""

    entity_id: int
    lang: str
    former: bool = False


def find_entity_by_slug(spec: ResourceSpec, ctx: ReadContext, slug: str) -> SlugMatch | None:
    """The item a current or former slug (of any language) names, preferring the read's
    language where two languages share a slug."""
    if not SLUG.fullmatch(slug):  # no stored slug looks otherwise; spares the database
        return None
    M, T = spec.model, spec.translation_model
    stmt = (
        select(M.entity_id, T.lang)
        .join(T, T.row_pk == M.pk)
        .where(M.state == ctx.state, T.slug == slug, visible(T, ctx))
        .order_by(_language_preference(T.lang, ctx), M.entity_id)
        .limit(1)
    )
    found = db.session().execute(stmt).first()
    if found is not None:
        return SlugMatch(found[0], found[1])
    old = (
        db.session()
        .execute(
            select(SlugRedirect.entity_id, SlugRedirect.lang)
            .where(SlugRedirect.type == spec.type, SlugRedirect.slug == slug)
            .order_by(_language_preference(SlugRedirect.lang, ctx), SlugRedirect.id)
            .limit(1)
        )
        .first()
    )
    return SlugMatch(old[0], old[1], former=True) if old is not None else None


# --- rendering -----------------------------------------------------------------------------


def _load_links(
    spec: ResourceSpec, ctx: ReadContext, entity_ids: list[int]
) -> dict[int, dict[str, list[ContentLink]]]:
    links: dict[int, dict[str, list[ContentLink]]] = defaultdict(lambda: defaultdict(list))
    if not spec.relations or not entity_ids:
        return links
    stmt = (
        select(ContentLink)
        .where(ContentLink.source_id.in_(entity_ids), ContentLink.source_state == ctx.state)
        .order_by(ContentLink.relation, ContentLink.position, ContentLink.id)
    )
    for link in db.session().scalars(stmt):
        links[link.source_id][link.relation].append(link)
    return links


def _load_targets(
    spec: ResourceSpec, ctx: ReadContext, links: dict[int, dict[str, list[ContentLink]]]
) -> dict[int, dict[str, Any]]:
    """Render every linked item once, keyed by entity id (only those the reader may see)."""
    wanted: dict[str, set[int]] = defaultdict(set)
    for by_relation in links.values():
        for relation in spec.relations:
            if relation.target:
                wanted[relation.target].update(
                    link.target_id
                    for link in by_relation.get(relation.name, ())
                    if link.target_id is not None
                )
    rendered: dict[int, dict[str, Any]] = {}
    embedded_ctx = ReadContext(**{**ctx.__dict__, "include": frozenset()})
    for target_key, ids in wanted.items():
        target = REGISTRY[target_key]
        rows = load_rows(target, embedded_ctx, ids)
        for item in render_rows(target, embedded_ctx, rows, embedded=True):
            rendered[item["id"]] = item
    return rendered


def summary(item: dict[str, Any], spec: ResourceSpec) -> dict[str, Any]:
    return {
        "id": item["id"],
        "type": item["type"],
        "slug": item["slug"],
        spec.label_field: item[spec.label_field],
        "url": item["url"],
    }


def _render_relation(
    relation: Relation,
    links: list[ContentLink],
    targets: dict[int, dict[str, Any]],
    ctx: ReadContext,
) -> Any:
    if relation.kind == "names":
        return [link.name for link in links]
    target_spec = REGISTRY[relation.target] if relation.target else None

    def shown(target_id: int | None) -> dict[str, Any] | None:
        if target_id is None or target_id not in targets or target_spec is None:
            return None
        item = targets[target_id]
        return item if relation.name in ctx.include else summary(item, target_spec)

    if relation.kind == "item":
        return next((s for s in (shown(link.target_id) for link in links) if s), None)
    if relation.kind == "items":
        return [s for s in (shown(link.target_id) for link in links) if s]
    if relation.kind == "members":
        return [
            {"role": link.role, "person": s}
            for link in links
            if (s := shown(link.target_id)) is not None
        ]
    authors = []
    for link in links:
        person = shown(link.target_id)
        if person is not None:
            name = person.get("name") or person.get("title")
            authors.append({"name": name, "person": person})
        elif link.target_id is None and link.name:
            authors.append({"name": link.name, "person": None})
    return authors


def local_zone() -> ZoneInfo:
    """The institute's time zone: a timestamp's day is the day there (IFM_TIMEZONE)."""
    return ZoneInfo(current_app.config["IFM"].timezone)


def in_year(column: Any, year: int) -> ColumnElement[bool]:
    """Filter: a timestamp falls into ``year`` as counted in the institute's time zone."""
    zone = local_zone()
    return and_(
        column >= datetime(year, 1, 1, tzinfo=zone), column < datetime(year + 1, 1, 1, tzinfo=zone)
    )


def display_date(value: date | datetime | None, lang: str) -> str | None:
    """The long date in ``lang`` ("27. Dezember 2019"); a timestamp's day in the local zone."""
    if value is None:
        return None
    day = value.astimezone(local_zone()).date() if isinstance(value, datetime) else value
    return _long_date(day, lang)


@lru_cache(maxsize=8192)
def _long_date(day: date, lang: str) -> str:
    """babel's long date, remembered: babel parses the locale on every call, and a write
    that re-renders hundreds of items formats the same few days again and again."""
    return format_date(day, format="long", locale=lang)


def render_rows(
    spec: ResourceSpec,
    ctx: ReadContext,
    rows: Sequence[tuple[Any, ContentEntity]],
    *,
    embedded: bool = False,
) -> list[dict[str, Any]]:
    """Render loaded rows in the read's language (or all languages for ``lang=all``)."""
    if not rows:
        return []
    entity_ids = [entity.id for _row, entity in rows]
    links = _load_links(spec, ctx, entity_ids) if not embedded else {}
    targets = _load_targets(spec, ctx, links) if links else {}
    out = []
    for row, entity in rows:
        if ctx.lang == ALL:
            # The public sees ids only of related items it may see; editors see every link.
            shown = set(targets) if ctx.state == LIVE else None
            item = render_all_languages(spec, ctx, row, entity, links.get(entity.id, {}), shown)
        else:
            item = _render_one(spec, ctx, row, entity, links.get(entity.id, {}), targets, embedded)
        if item is not None:
            out.append(item)
    return out


def _translations_map(
    spec: ResourceSpec, ctx: ReadContext, row: Any, entity_id: int
) -> dict[str, dict[str, Any]]:
    result = {}
    for t in row.translations:
        values = {name: getattr(t, name) for name in spec.translated_fields}
        result[t.lang] = {
            "slug": t.slug,
            spec.label_field: spec.label_of(row, values),
            "url": ctx.api_url(spec, entity_id, t.lang),
            "web_url": ctx.web_url(spec, entity_id, t.lang, t.slug),
        }
    return result


def _render_one(
    spec: ResourceSpec,
    ctx: ReadContext,
    row: Any,
    entity: ContentEntity,
    links: dict[str, list[ContentLink]],
    targets: dict[int, dict[str, Any]],
    embedded: bool,
) -> dict[str, Any] | None:
    by_lang = {t.lang: t for t in row.translations}
    picked: Picked | None = pick_translation(
        by_lang, ctx.lang, spec.translated_fields, fallback=ctx.fallback
    )
    if picked is None:
        return None
    primary = by_lang[picked.lang]
    item: dict[str, Any] = {
        "id": entity.id,
        "type": spec.type,
        "lang": picked.lang,
        "fallback": picked.fallback,
        "fallback_fields": picked.fallback_fields,
        "slug": primary.slug,
    }
    if spec.label:
        item[spec.label_field] = spec.label_of(row, picked.values)
    item.update(picked.values)
    for name in spec.fields:
        item[name] = getattr(row, name)
    if spec.derived:
        item.update(spec.derived(row, ctx))
    if spec.display_date_field:
        item["display_date"] = display_date(getattr(row, spec.display_date_field), ctx.lang)
    if spec.render_extra:
        item.update(spec.render_extra(row, ctx))
    if not embedded:
        for relation in spec.relations:
            item[relation.name] = _render_relation(
                relation, links.get(relation.name, []), targets, ctx
            )
    item["created_at"] = entity.created_at
    item["updated_at"] = row.updated_at
    item["translations"] = _translations_map(spec, ctx, row, entity.id)
    item["url"] = ctx.api_url(spec, entity.id, ctx.lang)
    item["web_url"] = ctx.web_url(spec, entity.id, picked.lang, primary.slug)
    return item


def relation_ids(relation: Relation, links: list[ContentLink]) -> Any:
    """A relation in the editing (write) shape: ids, names, authors, members."""
    if relation.kind == "names":
        return [link.name for link in links]
    if relation.kind == "item":
        return links[0].target_id if links else None
    if relation.kind == "items":
        return [link.target_id for link in links]
    if relation.kind == "members":
        return [{"person": link.target_id, "role": link.role} for link in links]
    return [
        {"person": link.target_id} if link.target_id is not None else {"name": link.name}
        for link in links
    ]


def render_all_languages(
    spec: ResourceSpec,
    ctx: ReadContext,
    row: Any,
    entity: ContentEntity,
    links: dict[str, list[ContentLink]],
    shown: set[int] | None = None,
) -> dict[str, Any] | None:
    """The editing representation: every (visible) translation with all its fields.

    ``shown``: when given, links to items outside it are left out (public reads).
    """
    if not row.translations:
        return None
    item: dict[str, Any] = {"id": entity.id, "type": spec.type}
    for name in spec.fields:
        item[name] = getattr(row, name)
    if spec.edit_extra:
        item.update(spec.edit_extra(row))
    for relation in spec.relations:
        chosen = links.get(relation.name, [])
        if shown is not None:
            chosen = [link for link in chosen if link.target_id is None or link.target_id in shown]
        item[relation.name] = relation_ids(relation, chosen)
    item["translations"] = {
        t.lang: {"slug": t.slug, **{name: getattr(t, name) for name in spec.translated_fields}}
        for t in row.translations
    }
    item["created_at"] = entity.created_at
    item["updated_at"] = row.updated_at
    return item


def media_is_public(media_id: int, now: datetime) -> bool:
    """A file is public while a published, visible item uses it (report file, portrait)."""
    ctx = ReadContext(lang=ALL, fallback=False, now=now)
    for spec in REGISTRY.values():
        if spec.media_ids is None:
            continue
        query = spec.media_ids()
        column = query.selected_columns[0]
        stmt = query.where(column == media_id, *_conditions(spec, ctx)).limit(1)
        if db.session().scalar(stmt) is not None:
            return True
    return False
