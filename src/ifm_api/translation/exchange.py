"""The exchange with translators: items out as XLIFF, translated XLIFF back in.

An import is checked whole before anything is written: well-formed XLIFF, the expected
languages, known items and unit ids, and per unit inline codes that are exactly the
source's, HTML that is clean after nh3, text within the field's limits. Any fault is a 422
naming the unit ids, and nothing is written. Then, per item, units whose source text
changed since the export, or whose translation someone changed since, are conflicts and
stay as they are; the rest go into the working copy as one revision per item (drafts until
published).
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from typing import Any

from lxml import etree
from sqlalchemy import select

from ifm_api.core import db
from ifm_api.core.content import REGISTRY, ResourceSpec
from ifm_api.core.db import utcnow
from ifm_api.core.editing import get_entity, load_row, update_item
from ifm_api.core.errors import ApiError
from ifm_api.core.i18n import supported_languages
from ifm_api.core.messages import N_
from ifm_api.core.models import DRAFT, ContentEntity
from ifm_api.core.schemas import RICH_TEXT_MAX, SHORT_TEXT_MAX, is_blank, storable_text
from ifm_api.core.text import clean_html, nfc
from ifm_api.translation.inline import (
    Code,
    InlineError,
    Names,
    fingerprint,
    html_to_segment,
    plain_text,
    segment_to_html,
)
from ifm_api.translation.models import FieldChange
from ifm_api.translation.service import item_translation_status, load_facts, statuses_of
from ifm_api.translation.tracking import source_language
from ifm_api.translation.xliff import (
    FILE_ID,
    UNIT_ID,
    VERSIONS,
    ExportFile,
    ExportUnit,
    ParsedDocument,
    ParsedFile,
    XliffInvalid,
    build_document,
)

FORMATS = {"xliff": "2.0", "xliff-1.2": "1.2"}


class NothingToTranslate(ApiError):
    status, default_key = 409, "nothing_to_translate"


def _spec_of_type(type_name: str) -> ResourceSpec | None:
    return next((spec for spec in REGISTRY.values() if spec.type == type_name), None)


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and is_blank(value))


# --- export ----------------------------------------------------------------------------------


def _existing_target(source: str, target: Any, rich: bool) -> str | None:
    """The current translation as a target, if it can be written with the source's codes."""
    if _empty(target):
        return None
    if not rich:
        return target
    names = VERSIONS["2.0"]
    codes = html_to_segment(source, etree.Element("probe"), names)
    try:
        html_to_segment(target, etree.Element("probe"), names, reuse=codes)
    except InlineError:
        return None
    return target


def export_file(spec: ResourceSpec, entity: ContentEntity, target: str) -> ExportFile | None:
    """One item's units (fields with source text); None when it has no source text."""
    row = load_row(spec, entity.id, DRAFT)
    by_lang = {t.lang: t for t in row.translations} if row is not None else {}
    source = by_lang.get(source_language())
    if source is None:
        return None
    translation = by_lang.get(target)
    outdated = set(item_translation_status(spec, entity.id)[target]["outdated_fields"])
    units = []
    for name in spec.translated_fields:
        text = getattr(source, name)
        if _empty(text):
            continue
        rich = name in spec.rich_fields
        current = getattr(translation, name) if translation is not None else None
        units.append(
            ExportUnit(
                f"{spec.type}.{entity.id}.{name}",
                name,
                text,
                _existing_target(text, current, rich),
                rich,
                outdated=name in outdated,
            )
        )
    if not units:
        return None
    return ExportFile(
        f"{spec.type}.{entity.id}", f"{spec.segment}/{entity.id}", entity.version, utcnow(), units
    )


def export_item(spec: ResourceSpec, entity: ContentEntity, target: str, version: str) -> bytes:
    found = export_file(spec, entity, target)
    if found is None:
        raise NothingToTranslate(detail_args={"lang": source_language()})
    return build_document([found], source_language(), target, version)


@dataclass
class Selection:
    target: str
    ids: list[int] | None = None
    types: list[str] = field(default_factory=list)
    status: str | None = None


def select_items(selection: Selection) -> list[tuple[ResourceSpec, ContentEntity]]:
    """The items of a translation job: by id, or by type and status in the target."""
    if selection.ids is not None:
        return _by_ids(selection.ids)
    now = utcnow()
    chosen = []
    for spec in REGISTRY.values():
        if selection.types and spec.type not in selection.types:
            continue
        for item in load_facts(spec):
            if selection.status is not None:
                status = statuses_of(spec, item, now)[selection.target]["status"]
                if status != selection.status:
                    continue
            chosen.append((spec, item.entity))
    return sorted(chosen, key=lambda pair: pair[1].id)


def _by_ids(ids: list[int]) -> list[tuple[ResourceSpec, ContentEntity]]:
    entities = {
        entity.id: entity
        for entity in db.session().scalars(
            select(ContentEntity).where(
                ContentEntity.id.in_(ids), ContentEntity.deleted_at.is_(None)
            )
        )
    }
    unknown = {
        f"ids.{index}": [N_("No item with this id.")]
        for index, entity_id in enumerate(ids)
        if entity_id not in entities
    }
    if unknown:
        raise XliffInvalid(unknown)
    chosen = []
    for entity_id in dict.fromkeys(ids):
        entity = entities[entity_id]
        spec = _spec_of_type(entity.type)
        assert spec is not None
        chosen.append((spec, entity))
    return chosen


def export_job(selection: Selection, version: str, package: str) -> tuple[bytes, int]:
    """The selected items as one XLIFF document or a zip of one per item; and how many."""
    files = [
        found
        for spec, entity in select_items(selection)
        if (found := export_file(spec, entity, selection.target)) is not None
    ]
    if not files:
        raise NothingToTranslate(detail_args={"lang": source_language()})
    source = source_language()
    if package == "file":
        return build_document(files, source, selection.target, version), len(files)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in files:
            name = f"{item.file_id.replace('.', '-')}-{source}-{selection.target}.xlf"
            archive.writestr(name, build_document([item], source, selection.target, version))
    return buffer.getvalue(), len(files)


# --- import ----------------------------------------------------------------------------------


@dataclass
class UnitPlan:
    unit_id: str
    field: str
    value: str | None  # None: no target, nothing to import
    source_changed: bool


@dataclass
class ItemPlan:
    spec: ResourceSpec
    entity: ContentEntity
    file: ParsedFile
    units: list[UnitPlan] = field(default_factory=list)


@dataclass
class ItemResult:
    id: int
    type: str
    version: int
    changed_since_export: bool
    imported: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    untranslated: list[str] = field(default_factory=list)
    conflicts: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class _Errors:
    def __init__(self) -> None:
        self.by_place: dict[str, list[str]] = {}

    def add(self, place: str, message: str) -> None:
        self.by_place.setdefault(place or "_document", []).append(message)

    def raise_any(self) -> None:
        if self.by_place:
            raise XliffInvalid(self.by_place)


def _check_languages(doc: ParsedDocument, target: str | None, errors: _Errors) -> str:
    source = source_language()
    if doc.source_lang != source:
        errors.add("srcLang", N_("The source language must be {lang}.").format(lang=source))
    wanted = target or doc.target_lang
    allowed = [lang for lang in supported_languages() if lang != source]
    if doc.target_lang != wanted or wanted not in allowed:
        errors.add(
            "trgLang",
            N_("The target language must be one of: {languages}.").format(
                languages=", ".join([target] if target else allowed)
            ),
        )
    return wanted or ""


def _limit(spec: ResourceSpec, name: str) -> int:
    length = getattr(spec.translation_model.__table__.columns[name].type, "length", None)
    if length:
        return int(length)
    return RICH_TEXT_MAX if name in spec.rich_fields else SHORT_TEXT_MAX


def plan_import(
    doc: ParsedDocument, *, target: str | None, only: tuple[ResourceSpec, int] | None
) -> tuple[str, list[ItemPlan]]:
    """Check the whole document (``XliffInvalid`` naming every fault) and plan the writes."""
    errors = _Errors()
    lang = _check_languages(doc, target, errors)
    if not doc.files:
        errors.add("_document", N_("The document has no file element."))
    if only is not None and len(doc.files) > 1:
        errors.add("_document", N_("This endpoint takes the file of one item."))
    plans: list[ItemPlan] = []
    seen: set[str] = set()
    for parsed in doc.files:
        plan = _plan_file(parsed, only, seen, errors)
        if plan is not None:
            plans.append(plan)
    errors.raise_any()
    for plan in plans:
        _plan_units(plan, lang, errors)
    errors.raise_any()
    return lang, plans


def _plan_file(
    parsed: ParsedFile,
    only: tuple[ResourceSpec, int] | None,
    seen: set[str],
    errors: _Errors,
) -> ItemPlan | None:
    match = FILE_ID.fullmatch(parsed.file_id)
    spec = _spec_of_type(match.group(1)) if match else None
    place = parsed.file_id or "_document"
    if match is None or spec is None:
        errors.add(place, N_("Not the file of an item (type.id)."))
        return None
    entity_id = int(match.group(2))
    if only is not None and (only[0].type, only[1]) != (spec.type, entity_id):
        errors.add(place, N_("This file belongs to another item."))
        return None
    if parsed.file_id in seen:
        errors.add(place, N_("The item's file is in the document twice."))
        return None
    seen.add(parsed.file_id)
    try:
        entity = get_entity(spec, entity_id)
    except ApiError:
        errors.add(place, N_("No such item (or it was deleted)."))
        return None
    return ItemPlan(spec, entity, parsed)


def _plan_units(plan: ItemPlan, lang: str, errors: _Errors) -> None:
    spec, entity = plan.spec, plan.entity
    row = load_row(spec, entity.id, DRAFT)
    by_lang = {t.lang: t for t in row.translations} if row is not None else {}
    source = by_lang.get(source_language())
    seen: set[str] = set()
    for unit in plan.file.units:
        match = UNIT_ID.fullmatch(unit.unit_id)
        known = (
            match is not None
            and (match.group(1), int(match.group(2))) == (spec.type, entity.id)
            and match.group(3) in spec.translated_fields
        )
        if not known or match is None:
            errors.add(unit.unit_id, N_("Unknown unit id."))
            continue
        if unit.unit_id in seen:
            errors.add(unit.unit_id, N_("The unit is in the file twice."))
            continue
        seen.add(unit.unit_id)
        name = match.group(3)
        current = getattr(source, name) if source is not None else None
        planned = _plan_unit(spec, unit.unit_id, name, current, unit, errors, plan)
        if planned is not None:
            plan.units.append(planned)
    if lang not in by_lang:
        given = {u.field for u in plan.units if u.value and not u.source_changed}
        for name in spec.required_translated:
            if name not in given:
                place = f"{spec.type}.{entity.id}.{name}"
                errors.add(place, N_("A new translation needs this unit translated."))


def _plan_unit(
    spec: ResourceSpec,
    unit_id: str,
    name: str,
    current_source: str | None,
    unit: Any,
    errors: _Errors,
    plan: ItemPlan,
) -> UnitPlan | None:
    names: Names = VERSIONS["2.0"] if unit.source is None else _names_of(unit.source)
    if unit.source is None:
        errors.add(unit_id, N_("The unit has no source (or more than one segment)."))
        return None
    rich = name in spec.rich_fields
    probe = etree.Element(names.q("source"))
    codes: list[Code] = []
    if rich:
        codes = html_to_segment(current_source or "", probe, names)
    else:
        probe.text = current_source or ""
    source_changed = fingerprint(probe, names) != fingerprint(unit.source, names)
    if unit.target is None or source_changed:
        return UnitPlan(unit_id, name, None, source_changed)
    try:
        if rich:
            value = segment_to_html(unit.target, {c.id: c for c in codes}, names)
            value = clean_html(value) or ""
        else:
            value = plain_text(unit.target, names)
    except InlineError as exc:
        for message in exc.messages:
            errors.add(unit_id, message)
        return None
    value = nfc(value)
    if not storable_text(value):
        errors.add(unit_id, N_("Contains characters that are not allowed."))
    elif len(value) > _limit(spec, name):
        errors.add(unit_id, N_("Longer than maximum length {max}.").format(max=_limit(spec, name)))
    return UnitPlan(unit_id, name, None if is_blank(value) else value, False)


def _names_of(element: etree._Element) -> Names:
    namespace = etree.QName(element).namespace
    return next(n for n in VERSIONS.values() if n.namespace == namespace)


def apply_import(plans: list[ItemPlan], lang: str, *, author: str | None) -> list[ItemResult]:
    """Write each item's importable units as one revision; report per unit."""
    results = []
    for plan in plans:
        results.append(_apply_item(plan, lang, author))
    return results


def _apply_item(plan: ItemPlan, lang: str, author: str | None) -> ItemResult:
    spec, entity = plan.spec, plan.entity
    row = load_row(spec, entity.id, DRAFT)
    existing = next((t for t in row.translations if t.lang == lang), None) if row else None
    stamps = {
        change.field: change.changed_at
        for change in db.session().scalars(
            select(FieldChange).where(FieldChange.entity_id == entity.id, FieldChange.lang == lang)
        )
    }
    result = ItemResult(
        entity.id,
        spec.type,
        entity.version,
        changed_since_export=plan.file.version != entity.version,
    )
    values: dict[str, str] = {}
    for unit in plan.units:
        current = getattr(existing, unit.field) if existing is not None else None
        if unit.source_changed:
            result.conflicts.append({"unit": unit.unit_id, "reason": "source_changed"})
        elif unit.value is None:
            result.untranslated.append(unit.unit_id)
        elif unit.value == current:
            result.unchanged.append(unit.unit_id)
        elif _changed_since(stamps.get(unit.field), plan.file):
            result.conflicts.append({"unit": unit.unit_id, "reason": "translation_changed"})
        else:
            values[unit.field] = unit.value
            result.imported.append(unit.unit_id)
    if values:
        update_item(
            spec,
            entity,
            {"translations": {lang: values}},
            expected_version=entity.version,
            author=author,
            action="import",
        )
        result.version = entity.version
    return result


def _changed_since(stamp: Any, parsed: ParsedFile) -> bool:
    """The translation was written after the export (someone else translated meanwhile)."""
    return stamp is not None and parsed.exported_at is not None and stamp > parsed.exported_at
