"""Translation status per item and language: missing, draft, published, scheduled, outdated.

Computed from what is stored, never stored itself: the working copy's and the public
version's translations (only whether each field is empty, never the texts) and the per-field
timestamps of ``translation.models``. A few queries per content type, whatever the number
of items; the editors' list filters, counts and pages the result in Python (an institute
has thousands of items, not millions).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from ifm_api.core import db
from ifm_api.core.content import REGISTRY, ResourceSpec
from ifm_api.core.db import utcnow
from ifm_api.core.i18n import fallback_chain, supported_languages
from ifm_api.core.models import DRAFT, LIVE, ContentEntity
from ifm_api.translation.models import FieldChange
from ifm_api.translation.tracking import source_language

STATUSES = ("missing", "draft", "published", "scheduled", "outdated")


@dataclass
class ItemFacts:
    """What the status of one item is computed from."""

    entity: ContentEntity
    label: str | None = None
    draft: dict[str, set[str]] = field(default_factory=dict)  # lang -> non-empty fields
    live: dict[str, tuple[datetime | None, set[str]]] = field(default_factory=dict)
    stamps: dict[str, dict[str, datetime]] = field(default_factory=lambda: defaultdict(dict))


def _filled(spec: ResourceSpec) -> list[Any]:
    """Per translated field: the length of its trimmed text (0 when empty)."""
    T = spec.translation_model
    return [
        func.coalesce(func.length(func.trim(getattr(T, name))), 0).label(name)
        for name in spec.translated_fields
    ]


def load_facts(spec: ResourceSpec, entity_ids: list[int] | None = None) -> list[ItemFacts]:
    """The facts of every (or the given) non-deleted item of one type, in four queries."""
    M, T = spec.model, spec.translation_model
    session = db.session()
    entities = select(ContentEntity).where(
        ContentEntity.type == spec.type, ContentEntity.deleted_at.is_(None)
    )
    if entity_ids is not None:
        entities = entities.where(ContentEntity.id.in_(entity_ids))
    facts = {entity.id: ItemFacts(entity) for entity in session.scalars(entities)}
    if not facts:
        return []
    ids = list(facts)
    label_in_translation = spec.label is None
    label_column = getattr(T, spec.label_field) if label_in_translation else T.lang
    rows = session.execute(
        select(M.entity_id, M.state, T.lang, T.visible_from, label_column, *_filled(spec))
        .join(T, T.row_pk == M.pk)
        .where(M.entity_id.in_(ids))
    )
    source = source_language()
    for entity_id, state, lang, visible_from, label, *lengths in rows:
        item = facts[entity_id]
        filled = {
            name for name, length in zip(spec.translated_fields, lengths, strict=True) if length
        }
        if state == DRAFT:
            item.draft[lang] = filled
            if label_in_translation and (item.label is None or lang == source):
                item.label = label
        elif state == LIVE:
            item.live[lang] = (visible_from, filled)
    if not label_in_translation:
        for row in session.scalars(select(M).where(M.entity_id.in_(ids), M.state == DRAFT)):
            facts[row.entity_id].label = spec.label_of(row, {})
    for change in session.scalars(select(FieldChange).where(FieldChange.entity_id.in_(ids))):
        facts[change.entity_id].stamps[change.lang][change.field] = change.changed_at
    return list(facts.values())


def _publication(item: ItemFacts, lang: str, now: datetime) -> str | None:
    if lang in item.live and item.live[lang][0] is not None:
        return "published" if item.live[lang][0] <= now else "scheduled"  # type: ignore[operator]
    return "draft" if lang in item.draft else None


def _outdated(spec: ResourceSpec, item: ItemFacts, lang: str) -> list[str]:
    """Fields this translation has whose source text changed after it was last written."""
    source = source_language()
    if lang == source or lang not in item.draft or source not in item.draft:
        return []
    theirs, ours = item.stamps.get(source, {}), item.stamps.get(lang, {})
    return [
        name
        for name in spec.translated_fields
        if name in item.draft[lang]
        and name in theirs
        and (name not in ours or theirs[name] > ours[name])
    ]


def _public_fallback(
    spec: ResourceSpec, item: ItemFacts, lang: str, now: datetime
) -> tuple[str | None, list[str]]:
    """The language a public read in ``lang`` serves, and the fields it takes from another
    language (the same choice as ``core.i18n.pick_translation``)."""
    visible = {
        code: filled
        for code, (since, filled) in item.live.items()
        if since is not None and since <= now
    }
    available = [code for code in (lang, *fallback_chain(lang)) if code in visible]
    if not available:
        return None, []
    served = available[0]
    taken = []
    for name in spec.translated_fields:
        if name in visible[served]:
            if served != lang:
                taken.append(name)
        elif any(name in visible[code] for code in available[1:]):
            taken.append(name)
    return served, taken


def _latest(stamps: dict[str, datetime], names: list[str] | None = None) -> datetime | None:
    values = [at for name, at in stamps.items() if names is None or name in names]
    return max(values) if values else None


def language_status(
    spec: ResourceSpec, item: ItemFacts, lang: str, now: datetime
) -> dict[str, Any]:
    """One language of one item: its status, what is outdated, what falls back, and when
    the source and this translation were last written."""
    publication = _publication(item, lang, now)
    outdated = _outdated(spec, item, lang)
    public_lang, fallback_fields = _public_fallback(spec, item, lang, now)
    source = source_language()
    source_stamps = item.stamps.get(source, {}) if lang != source else {}
    return {
        "status": "outdated" if outdated else publication or "missing",
        "publication": publication,
        "outdated_fields": outdated,
        "public_lang": public_lang,
        "fallback_fields": fallback_fields,
        "source_changed_at": _latest(source_stamps, outdated or None),
        "translation_changed_at": _latest(item.stamps.get(lang, {})),
    }


def statuses_of(spec: ResourceSpec, item: ItemFacts, now: datetime) -> dict[str, Any]:
    return {lang: language_status(spec, item, lang, now) for lang in supported_languages()}


def item_translation_status(spec: ResourceSpec, entity_id: int) -> dict[str, Any]:
    """The per-language status shown in the editing representation."""
    facts = load_facts(spec, [entity_id])
    return statuses_of(spec, facts[0], utcnow()) if facts else {}


@dataclass
class StatusQuery:
    types: list[str]
    lang: str | None
    status: str | None
    page: int
    page_size: int
    api_root: str


def status_list(query: StatusQuery) -> dict[str, Any]:
    """Rows matching the filters (one page), their total, and counts per type and status.

    Counts are of (item, language) pairs under the type and language filters (every
    language when none is given), before the status filter: what the status filter would
    find.
    """
    now = utcnow()
    langs = [query.lang] if query.lang else list(supported_languages())
    counts: dict[str, dict[str, int]] = {}
    rows: list[dict[str, Any]] = []
    for spec in REGISTRY.values():
        if query.types and spec.type not in query.types:
            continue
        by_status = dict.fromkeys(STATUSES, 0)
        for item in load_facts(spec):
            languages = statuses_of(spec, item, now)
            found = {languages[lang]["status"] for lang in langs}
            for lang in langs:
                by_status[languages[lang]["status"]] += 1
            if query.status is None or query.status in found:
                rows.append(_row(spec, item, languages, query.api_root))
        counts[spec.type] = by_status
    rows.sort(key=lambda row: (row["updated_at"], row["id"]), reverse=True)
    start = (query.page - 1) * query.page_size
    totals = {status: sum(c[status] for c in counts.values()) for status in STATUSES}
    return {
        "items": rows[start : start + query.page_size],
        "total": len(rows),
        "counts": counts,
        "totals": totals,
    }


def _row(
    spec: ResourceSpec, item: ItemFacts, languages: dict[str, Any], api_root: str
) -> dict[str, Any]:
    return {
        "id": item.entity.id,
        "type": spec.type,
        "label": item.label,
        "url": f"{api_root}/{spec.segment}/{item.entity.id}?lang=all&version=draft",
        "version": item.entity.version,
        "updated_at": item.entity.updated_at,
        "languages": languages,
    }
