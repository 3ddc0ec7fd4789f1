"""Writes shared by every content type: create, change, delete, publish, revisions.

All of it works on the ``draft`` row (the working copy). ``publish`` copies the draft to the
``live`` row one language at a time; the public only ever reads ``live``. Every write bumps
the entity's ``version`` with a conditional UPDATE, which is the optimistic lock: of two
writers holding the same ETag exactly one wins, the other gets 412.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, inspect, select, update
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.types import TypeDecorator

from ifm_api.core import db
from ifm_api.core.content import (
    REGISTRY,
    ReadContext,
    Relation,
    ResourceSpec,
    render_all_languages,
)
from ifm_api.core.db import utcnow
from ifm_api.core.errors import Conflict, NotFound, PreconditionFailed, ValidationFailed
from ifm_api.core.i18n import ALL, supported_languages
from ifm_api.core.media import media_ids_of, release_media
from ifm_api.core.messages import N_
from ifm_api.core.models import (
    DRAFT,
    LIVE,
    ContentEntity,
    ContentLink,
    Revision,
    SlugRedirect,
)
from ifm_api.core.text import clean_html, make_slug, nfc
from ifm_api.core.write.changes import public_change, removing
from ifm_api.translation.service import item_translation_status
from ifm_api.translation.tracking import record_changes

ROW_BOOKKEEPING = frozenset({"pk", "entity_id", "state", "updated_at"})
TRANSLATION_BOOKKEEPING = frozenset({"pk", "row_pk", "state", "lang", "visible_from"})


# --- loading -------------------------------------------------------------------------------


def get_entity(
    spec: ResourceSpec, entity_id: int, *, include_deleted: bool = False
) -> ContentEntity:
    """The item for an editor (404 when missing, deleted or of another type).

    ``include_deleted`` finds soft-deleted items too (for a later hard delete).
    """
    entity = db.session().get(ContentEntity, entity_id) if _storable(entity_id) else None
    deleted = entity is not None and entity.deleted_at is not None and not include_deleted
    if entity is None or entity.type != spec.type or deleted:
        raise NotFound("item_not_found", detail_args={"resource": spec.segment, "id": entity_id})
    return entity


def _storable(number: int) -> bool:
    """Whether a number from a URL fits the databases' INTEGER (PostgreSQL fails otherwise)."""
    return 0 < number < 2**31


def load_row(spec: ResourceSpec, entity_id: int, state: str) -> Any | None:
    options = [selectinload(spec.model.translations)]
    if spec.extra_load:
        options.extend(spec.extra_load())
    return db.session().scalar(
        select(spec.model)
        .where(spec.model.entity_id == entity_id, spec.model.state == state)
        .options(*options)
        .execution_options(populate_existing=True)
    )


def _links(entity_id: int, state: str) -> dict[str, list[ContentLink]]:
    result: dict[str, list[ContentLink]] = {}
    stmt = (
        select(ContentLink)
        .where(ContentLink.source_id == entity_id, ContentLink.source_state == state)
        .order_by(ContentLink.relation, ContentLink.position, ContentLink.id)
    )
    for link in db.session().scalars(stmt):
        result.setdefault(link.relation, []).append(link)
    return result


def _edit_context(state: str) -> ReadContext:
    return ReadContext(lang=ALL, fallback=False, now=utcnow(), state=state)


def publication_state(spec: ResourceSpec, entity_id: int) -> dict[str, dict[str, Any]]:
    """Per language: ``published``, ``scheduled`` (with the time) or ``draft``."""
    live = load_row(spec, entity_id, LIVE)
    draft = load_row(spec, entity_id, DRAFT)
    now = utcnow()
    live_by_lang = {t.lang: t for t in live.translations} if live else {}
    states: dict[str, dict[str, Any]] = {}
    for t in draft.translations if draft else []:
        published = live_by_lang.get(t.lang)
        if published is None or published.visible_from is None:
            states[t.lang] = {"status": "draft", "visible_from": None}
        else:
            status = "published" if published.visible_from <= now else "scheduled"
            states[t.lang] = {"status": status, "visible_from": published.visible_from}
    for lang, published in live_by_lang.items():
        if lang not in states and published.visible_from is not None:
            status = "published" if published.visible_from <= now else "scheduled"
            states[lang] = {"status": status, "visible_from": published.visible_from}
    return states


def editing_representation(
    spec: ResourceSpec, entity: ContentEntity, *, with_translation_status: bool = True
) -> dict[str, Any]:
    """The working copy in the write shape, with version and per-language publication and
    translation status (revisions snapshot the content without the latter)."""
    row = load_row(spec, entity.id, DRAFT)
    item = render_all_languages(spec, _edit_context(DRAFT), row, entity, _links(entity.id, DRAFT))
    item = item or {"id": entity.id, "type": spec.type, "translations": {}}
    item["version"] = entity.version
    item["created_by"] = entity.created_by
    item["updated_by"] = entity.updated_by
    item["updated_at"] = entity.updated_at
    item["publication"] = publication_state(spec, entity.id)
    if with_translation_status:
        item["translation_status"] = item_translation_status(spec, entity.id)
    return item


def edit_etag_data(entity: ContentEntity) -> list[Any]:
    """What the ETag of the editing representation is computed from."""
    return ["edit", entity.id, entity.version]


# --- the optimistic lock -----------------------------------------------------------------


def _bump_version(entity: ContentEntity, expected: int, author: str | None) -> None:
    """Claim the item for this write; 412 when someone else wrote since ``expected``."""
    now = utcnow()
    result = db.session().execute(
        update(ContentEntity)
        .where(ContentEntity.id == entity.id, ContentEntity.version == expected)
        .values(version=expected + 1, updated_at=now, updated_by=author)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise PreconditionFailed()
    # Already written by the UPDATE above: record the values without a second UPDATE.
    for key, value in (("version", expected + 1), ("updated_at", now), ("updated_by", author)):
        set_committed_value(entity, key, value)


# --- applying a body -----------------------------------------------------------------------


def _column_names(model: Any, skip: frozenset[str]) -> list[str]:
    return [attr.key for attr in inspect(model).column_attrs if attr.key not in skip]


def _slug_taken(spec: ResourceSpec, lang: str, slug: str, entity_id: int) -> bool:
    M, T = spec.model, spec.translation_model
    used = db.session().scalar(
        select(func.count())
        .select_from(T)
        .join(M, M.pk == T.row_pk)
        .where(T.lang == lang, T.slug == slug, M.entity_id != entity_id)
    )
    redirected = db.session().scalar(
        select(func.count())
        .select_from(SlugRedirect)
        .where(
            SlugRedirect.type == spec.type,
            SlugRedirect.lang == lang,
            SlugRedirect.slug == slug,
            SlugRedirect.entity_id != entity_id,
        )
    )
    return bool(used or redirected)


def _unique_slug(spec: ResourceSpec, lang: str, base: str, entity_id: int) -> str:
    candidate, number = base, 1
    while _slug_taken(spec, lang, candidate, entity_id):
        number += 1
        candidate = f"{base[: 120 - len(str(number)) - 1].rstrip('-')}-{number}"
    return candidate


def _assign_slug(
    spec: ResourceSpec, row: Any, translation: Any, values: Mapping[str, Any], entity_id: int
) -> None:
    given = values.get("slug")
    if given:
        slug = make_slug(given)
        if _slug_taken(spec, translation.lang, slug, entity_id):
            raise Conflict("slug_taken", detail_args={"slug": slug, "lang": translation.lang})
        translation.slug = slug
    elif not getattr(translation, "slug", None):
        current = {name: getattr(translation, name) for name in spec.translated_fields}
        source = spec.slug_source(row, current) if spec.slug_source else current[spec.label_field]
        translation.slug = _unique_slug(spec, translation.lang, make_slug(source), entity_id)


def _apply_translations(
    spec: ResourceSpec,
    row: Any,
    given: Mapping[str, Any],
    entity_id: int,
    impact: str | None = None,
) -> None:
    existing = {t.lang: t for t in row.translations}
    errors: dict[str, list[str]] = {}
    changed: dict[str, set[str]] = {}
    removed: list[str] = []
    for lang, values in given.items():
        if lang not in supported_languages():
            errors[f"translations.{lang}"] = [N_("Unsupported language.")]
            continue
        if values is None:
            if lang in existing:
                row.translations.remove(existing[lang])
                removed.append(lang)
            continue
        translation = existing.get(lang)
        if translation is None:
            for name in spec.required_translated:
                if not values.get(name):
                    errors[f"translations.{lang}.{name}"] = [N_("Missing data for required field.")]
            translation = spec.translation_model(lang=lang, state=DRAFT)
            for name in spec.translated_fields:
                setattr(translation, name, None)
            row.translations.append(translation)
            changed[lang] = set(spec.translated_fields)
        for name in spec.translated_fields:
            if name in values:
                value = values[name]
                if name in spec.rich_fields:
                    value = clean_html(value)
                if name in spec.required_translated and not value:
                    errors[f"translations.{lang}.{name}"] = [N_("Field may not be empty.")]
                if getattr(translation, name) != value:
                    changed.setdefault(lang, set()).add(name)
                setattr(translation, name, value)
    if errors:
        raise ValidationFailed(errors=errors)
    if not row.translations:
        raise ValidationFailed(errors={"translations": [N_("At least one translation is needed.")]})
    for translation in row.translations:
        _assign_slug(spec, row, translation, given.get(translation.lang) or {}, entity_id)
    record_changes(entity_id, changed, removed, impact=impact)


def _link_rows(relation: Relation, value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    if relation.kind == "names":
        return [{"name": name} for name in dict.fromkeys(value)]
    if relation.kind == "item":
        return [{"target_id": value}]
    if relation.kind == "items":
        return [{"target_id": target} for target in dict.fromkeys(value)]
    if relation.kind == "members":
        return [{"target_id": m["person"], "role": m.get("role", "member")} for m in value]
    return [
        {"target_id": a.get("person"), "name": None if a.get("person") else a.get("name")}
        for a in value
    ]


def _targets(relation: Relation, value: Any) -> list[tuple[str, int]]:
    """(error path, id) of every item a relation's value points at, in the body's order."""
    if relation.kind == "item":
        return [(relation.name, value)]
    if relation.kind == "items":
        return [(f"{relation.name}.{index}", target) for index, target in enumerate(value)]
    return [
        (f"{relation.name}.{index}.person", entry["person"])
        for index, entry in enumerate(value)
        if entry.get("person") is not None
    ]


def _check_targets(spec: ResourceSpec, data: Mapping[str, Any]) -> None:
    """Every related id must be an existing item of the right type."""
    errors: dict[str, list[str]] = {}
    for relation in spec.relations:
        if relation.target is None or data.get(relation.name) is None:
            continue
        targets = _targets(relation, data[relation.name])
        target_type = REGISTRY[relation.target].type
        found = set(
            db.session().scalars(
                select(ContentEntity.id).where(
                    ContentEntity.id.in_({target for _path, target in targets}),
                    ContentEntity.type == target_type,
                    ContentEntity.deleted_at.is_(None),
                )
            )
        )
        for path, target in targets:
            if target not in found:
                errors[path] = [
                    N_("No {resource} item with this id.").format(
                        resource=relation.target.replace("_", " ")
                    )
                ]
    if errors:
        raise ValidationFailed("invalid_reference", errors=errors)


def _replace_links(
    entity_id: int, state: str, relation: str, rows: Sequence[dict[str, Any]]
) -> None:
    session = db.session()
    session.execute(
        delete(ContentLink).where(
            ContentLink.source_id == entity_id,
            ContentLink.source_state == state,
            ContentLink.relation == relation,
        )
    )
    for position, values in enumerate(rows):
        session.add(
            ContentLink(
                source_id=entity_id,
                source_state=state,
                relation=relation,
                position=position,
                **values,
            )
        )


def _apply(spec: ResourceSpec, row: Any, entity_id: int, data: Mapping[str, Any]) -> None:
    with db.session().no_autoflush:
        _apply_body(spec, row, entity_id, nfc(dict(data)))


def _apply_body(spec: ResourceSpec, row: Any, entity_id: int, data: dict[str, Any]) -> None:
    impact = data.pop("translation_impact", None)
    _check_targets(spec, data)
    for name in _column_names(spec.model, ROW_BOOKKEEPING):
        if name in data:
            setattr(row, name, data[name])
    if spec.write_extra:
        spec.write_extra(row, data)
    if spec.before_save:
        spec.before_save(row)
    if "translations" in data:
        _apply_translations(spec, row, data["translations"], entity_id, impact)
    for relation in spec.relations:
        if relation.name in data:
            _replace_links(
                entity_id, DRAFT, relation.name, _link_rows(relation, data[relation.name])
            )
    row.updated_at = utcnow()


# --- operations ----------------------------------------------------------------------------


def write_revision(
    spec: ResourceSpec, entity: ContentEntity, action: str, author: str | None
) -> Revision:
    session = db.session()
    session.flush()
    number = (
        session.scalar(select(func.max(Revision.number)).where(Revision.entity_id == entity.id))
        or 0
    ) + 1
    snapshot = _jsonable(editing_representation(spec, entity, with_translation_status=False))
    revision = Revision(
        entity_id=entity.id, number=number, action=action, created_by=author, snapshot=snapshot
    )
    session.add(revision)
    return revision


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _new_row(spec: ResourceSpec, entity_id: int, state: str) -> Any:
    """A fresh content row with its collections set empty (they are never lazy-loaded)."""
    row = spec.model(entity_id=entity_id, state=state)
    for relationship in inspect(spec.model).relationships:
        if relationship.uselist:
            setattr(row, relationship.key, [])
    return row


def create_item(
    spec: ResourceSpec, data: Mapping[str, Any], *, author: str | None
) -> ContentEntity:
    """A new item: a draft, invisible to the public until published."""
    session = db.session()
    entity = ContentEntity(type=spec.type, created_by=author, updated_by=author)
    session.add(entity)
    session.flush()
    row = _new_row(spec, entity.id, DRAFT)
    session.add(row)
    _apply(spec, row, entity.id, data)
    write_revision(spec, entity, "create", author)
    return entity


def update_item(
    spec: ResourceSpec,
    entity: ContentEntity,
    data: Mapping[str, Any],
    *,
    expected_version: int,
    author: str | None,
    action: str = "update",
) -> ContentEntity:
    """Change only what ``data`` names, in the working copy (``action`` names the revision:
    ``update``, or ``import`` for a translation brought back from XLIFF)."""
    _bump_version(entity, expected_version, author)
    row = load_row(spec, entity.id, DRAFT)
    _apply(spec, row, entity.id, data)
    write_revision(spec, entity, action, author)
    return entity


def delete_item(
    spec: ResourceSpec,
    entity: ContentEntity,
    *,
    expected_version: int,
    author: str | None,
    hard: bool = False,
) -> None:
    """Take the item down: soft by default (revisions kept), ``hard`` removes every trace.

    The database cascades a hard delete to rows, translations, links (also those of other
    items pointing here), revisions and slug redirects. The item's files go too, row and
    bytes, unless another item uses them; bytes another file row shares stay.
    """
    _bump_version(entity, expected_version, author)
    session = db.session()
    if hard:
        files = media_ids_of(entity.id)
        _announce_showing(entity.id)
        removing(session, spec.key, entity.id)
        session.delete(entity)
        session.flush()
        release_media(files)
        return
    public_change(session, spec.key, entity.id)
    _drop_live(spec, entity.id)
    entity.deleted_at = utcnow()
    write_revision(spec, entity, "delete", author)
    _free_slugs(spec, entity.id)


def _announce_showing(entity_id: int) -> None:
    """Items whose public version shows this one change too; found now, before a hard
    delete cascades their links away."""
    session = db.session()
    by_type = {spec.type: spec.key for spec in REGISTRY.values()}
    rows = session.execute(
        select(ContentEntity.id, ContentEntity.type)
        .join(ContentLink, ContentLink.source_id == ContentEntity.id)
        .where(ContentLink.source_state == LIVE, ContentLink.target_id == entity_id)
        .distinct()
    )
    for source_id, type_ in rows:
        public_change(session, by_type[type_], source_id)


def announce_items(entity_ids: Iterable[int]) -> None:
    """Items written by other means than these services (an import): their public
    versions changed."""
    session = db.session()
    by_type = {spec.type: spec.key for spec in REGISTRY.values()}
    ids = sorted(set(entity_ids))
    for start in range(0, len(ids), 500):
        rows = session.execute(
            select(ContentEntity.id, ContentEntity.type).where(
                ContentEntity.id.in_(ids[start : start + 500])
            )
        )
        for entity_id, type_ in rows:
            public_change(session, by_type[type_], entity_id)


def announce_media_change(media_id: int) -> None:
    """A file's public texts or data changed: so did every published item showing it."""
    session = db.session()
    for spec in REGISTRY.values():
        if spec.media_ids is None:
            continue
        query = spec.media_ids()
        column = query.selected_columns[0]
        users = session.scalars(
            query.with_only_columns(spec.model.entity_id).where(
                column == media_id, spec.model.state == LIVE
            )
        )
        for entity_id in set(users):
            public_change(session, spec.key, entity_id)


def _free_slugs(spec: ResourceSpec, entity_id: int) -> None:
    """A deleted item gives its slugs back, so a new item can use them.

    The revisions keep the old slugs; ``~`` never occurs in a real slug, so the placeholder
    cannot clash with one.
    """
    draft = load_row(spec, entity_id, DRAFT)
    for translation in draft.translations if draft else []:
        translation.slug = f"~deleted-{entity_id}-{translation.lang}"
    db.session().execute(delete(SlugRedirect).where(SlugRedirect.entity_id == entity_id))


def _drop_live(spec: ResourceSpec, entity_id: int) -> None:
    session = db.session()
    live = load_row(spec, entity_id, LIVE)
    if live is not None:
        session.delete(live)
    session.execute(
        delete(ContentLink).where(
            ContentLink.source_id == entity_id, ContentLink.source_state == LIVE
        )
    )


def publish_item(
    spec: ResourceSpec,
    entity: ContentEntity,
    *,
    languages: Sequence[str] | None,
    publish_at: datetime | None,
    expected_version: int,
    author: str | None,
) -> ContentEntity:
    """Copy the working copy to the public version for ``languages``.

    By default every translation of the working copy is published, and a public language
    the working copy no longer has is taken down: the public version becomes the working
    copy. A future ``publish_at`` schedules: the language appears on its own at that time.
    """
    _bump_version(entity, expected_version, author)
    session = db.session()
    now = utcnow()
    when = publish_at or now
    draft = load_row(spec, entity.id, DRAFT)
    draft_by_lang = {t.lang: t for t in draft.translations}
    everything = not languages
    languages = list(languages or draft_by_lang)
    missing = [lang for lang in languages if lang not in draft_by_lang]
    if missing:
        raise ValidationFailed(
            errors={
                "languages": [
                    N_("No translation in {languages} to publish.").format(
                        languages=", ".join(missing)
                    )
                ]
            }
        )
    live = load_row(spec, entity.id, LIVE)
    if live is None:
        live = _new_row(spec, entity.id, LIVE)
        session.add(live)
    live_by_lang = {t.lang: t for t in live.translations}
    if when > now:
        already = [
            lang
            for lang in languages
            if lang in live_by_lang and (live_by_lang[lang].visible_from or when) <= now
        ]
        if already:
            raise Conflict("already_public", detail_args={"languages": ", ".join(already)})
    if spec.publish_date_field and getattr(draft, spec.publish_date_field) is None:
        setattr(draft, spec.publish_date_field, when)
    for name in _column_names(spec.model, ROW_BOOKKEEPING):
        setattr(live, name, getattr(draft, name))
    if spec.copy_extra:
        spec.copy_extra(draft, live)
    for lang in languages:
        _publish_translation(
            spec, entity.id, live, live_by_lang.get(lang), draft_by_lang[lang], when
        )
    if everything:
        for lang, translation in live_by_lang.items():
            if lang not in draft_by_lang:
                live.translations.remove(translation)
    draft_links = _links(entity.id, DRAFT)
    for relation in spec.relations:
        _replace_links(
            entity.id,
            LIVE,
            relation.name,
            [
                {"target_id": link.target_id, "name": link.name, "role": link.role}
                for link in draft_links.get(relation.name, [])
            ],
        )
    live.updated_at = now
    public_change(session, spec.key, entity.id, None if everything else languages)
    write_revision(spec, entity, "publish", author)
    return entity


def _publish_translation(
    spec: ResourceSpec, entity_id: int, live: Any, current: Any | None, draft: Any, when: datetime
) -> None:
    if current is None:
        current = spec.translation_model(lang=draft.lang, state=LIVE)
        live.translations.append(current)
    elif current.slug != draft.slug:
        _remember_slug(spec, entity_id, current.lang, current.slug)
    for name in _column_names(spec.translation_model, TRANSLATION_BOOKKEEPING):
        setattr(current, name, getattr(draft, name))
    current.visible_from = when
    db.session().execute(
        delete(SlugRedirect).where(
            SlugRedirect.type == spec.type,
            SlugRedirect.lang == draft.lang,
            SlugRedirect.slug == draft.slug,
        )
    )


def _remember_slug(spec: ResourceSpec, entity_id: int, lang: str, slug: str) -> None:
    session = db.session()
    exists = session.scalar(
        select(SlugRedirect).where(
            SlugRedirect.type == spec.type, SlugRedirect.lang == lang, SlugRedirect.slug == slug
        )
    )
    if exists is None:
        session.add(SlugRedirect(type=spec.type, lang=lang, slug=slug, entity_id=entity_id))


def unpublish_item(
    spec: ResourceSpec,
    entity: ContentEntity,
    *,
    languages: Sequence[str] | None,
    expected_version: int,
    author: str | None,
) -> ContentEntity:
    """Take languages (default: all) off the public site; the working copy stays."""
    _bump_version(entity, expected_version, author)
    public_change(db.session(), spec.key, entity.id, languages)
    live = load_row(spec, entity.id, LIVE)
    if live is not None:
        for translation in list(live.translations):
            if languages is None or translation.lang in languages:
                live.translations.remove(translation)
        if not live.translations:
            db.session().flush()
            _drop_live(spec, entity.id)
    write_revision(spec, entity, "unpublish", author)
    return entity


def list_revisions(entity: ContentEntity) -> list[Revision]:
    return list(
        db.session().scalars(
            select(Revision).where(Revision.entity_id == entity.id).order_by(Revision.number)
        )
    )


def get_revision(entity: ContentEntity, number: int) -> Revision:
    revision = (
        db.session().scalar(
            select(Revision).where(Revision.entity_id == entity.id, Revision.number == number)
        )
        if _storable(number)
        else None
    )
    if revision is None:
        raise NotFound("revision_not_found", detail_args={"id": entity.id, "number": number})
    return revision


def restore_revision(
    spec: ResourceSpec,
    entity: ContentEntity,
    number: int,
    *,
    expected_version: int,
    author: str | None,
) -> ContentEntity:
    """Make the working copy what it was at revision ``number``; history is kept."""
    snapshot = get_revision(entity, number).snapshot
    _bump_version(entity, expected_version, author)
    row = load_row(spec, entity.id, DRAFT)
    data = restorable_data(spec, snapshot)
    current = {t.lang for t in row.translations}
    data["translations"] = {
        **{lang: None for lang in current - set(snapshot.get("translations", {}))},
        **snapshot.get("translations", {}),
    }
    _apply(spec, row, entity.id, _drop_vanished_targets(spec, data))
    write_revision(spec, entity, f"restore:{number}", author)
    return entity


def _parse_stored(model: Any, key: str, value: Any) -> Any:
    """Snapshots hold dates as ISO strings; turn them back into the column's type."""
    column = inspect(model).columns.get(key)
    if column is None or not isinstance(value, str):
        return value
    column_type = column.type
    if isinstance(column_type, TypeDecorator):  # e.g. UTCDateTime: the type it stores as
        column_type = column_type.impl_instance
    try:
        python_type = column_type.python_type
    except NotImplementedError:
        return value
    if python_type is datetime:
        return datetime.fromisoformat(value)
    if python_type is date:
        return date.fromisoformat(value)
    return value


def restorable_data(spec: ResourceSpec, snapshot: Mapping[str, Any]) -> dict[str, Any]:
    """The content of a snapshot, never its publication history.

    The publication date (``publish_date_field``) stays as it is now: restoring a revision
    taken before the first publish must not empty it, or the next publish would date an old
    item today and move it to the top of lists and feeds.
    """
    writable = set(_column_names(spec.model, ROW_BOOKKEEPING)) | {r.name for r in spec.relations}
    writable.discard(spec.publish_date_field or "")
    data = {
        key: _parse_stored(spec.model, key, value)
        for key, value in snapshot.items()
        if key in writable
    }
    data.update({key: snapshot[key] for key in spec.extra_write_keys if key in snapshot})
    return data


def _drop_vanished_targets(spec: ResourceSpec, data: dict[str, Any]) -> dict[str, Any]:
    """Links in an old revision may point at items deleted since; restore skips those."""
    wanted: set[int] = set()
    for relation in spec.relations:
        if relation.target and data.get(relation.name) is not None:
            wanted |= {
                r["target_id"]
                for r in _link_rows(relation, data[relation.name])
                if r.get("target_id")
            }
    alive = set(
        db.session().scalars(
            select(ContentEntity.id).where(
                ContentEntity.id.in_(wanted), ContentEntity.deleted_at.is_(None)
            )
        )
    )
    for relation in spec.relations:
        value = data.get(relation.name)
        if relation.target is None or value is None:
            continue
        if relation.kind == "item":
            data[relation.name] = value if value in alive else None
        elif relation.kind == "items":
            data[relation.name] = [v for v in value if v in alive]
        else:
            data[relation.name] = [
                v for v in value if v.get("person") is None or v["person"] in alive
            ]
    return data
