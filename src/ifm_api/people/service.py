"""People: declaration, German name sorting, filters."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.interfaces import LoaderOption

from ifm_api.core.content import ReadContext, Relation, ResourceSpec, linked, register
from ifm_api.core.media import IMAGE_TYPES, check_media, image_representation
from ifm_api.core.models import Media
from ifm_api.core.read.keys import ReadKeys, shows
from ifm_api.core.read.model import PublicItem as P
from ifm_api.core.sorting import bytewise, sort_text
from ifm_api.people.models import Person, PersonTranslation

_NAME_PARTICLES = ("von der ", "von ", "van der ", "van ", "de ", "zu ")


def sort_key(family_name: str, given_name: str) -> str:
    """Key that orders people the way German lists do: by family name, DIN 5007-1.

    Name particles ("von", "van", "de") are ignored for sorting, as German lists do.
    """
    family = family_name.strip().lower()
    for particle in _NAME_PARTICLES:
        if family.startswith(particle):
            family = family.removeprefix(particle)
            break
    return sort_text(f"{family}\x1f{given_name.strip()}") or ""


def display_name(row: Person) -> str:
    parts = [row.honorific_prefix, row.given_name, row.family_name]
    return " ".join(part for part in parts if part)


def _filters(stmt: Select[Any], args: dict[str, Any], ctx: ReadContext) -> Select[Any]:
    status = args.get("status")
    if status == "current":
        stmt = stmt.where(Person.is_current.is_(True))
    elif status == "alumni":
        stmt = stmt.where(Person.is_current.is_(False))
    if args.get("research_area") is not None:
        stmt = stmt.where(linked("research_area", args["research_area"], Person, ctx))
    return stmt


def _extra_load() -> Iterable[LoaderOption]:
    return [selectinload(Person.portrait).joinedload(Media.translations)]


def _derived(row: Person, ctx: ReadContext) -> dict[str, Any]:
    return {"status": "current" if row.is_current else "alumni"}


def _portrait(row: Person, ctx: ReadContext) -> dict[str, Any]:
    """The portrait with its alt text and caption in the read's language, and renditions."""
    media = row.portrait
    return {"portrait": image_representation(media, ctx) if media is not None else None}


def _portrait_id(row: Person) -> dict[str, Any]:
    return {"portrait_id": row.portrait_id}


def _check_portrait(row: Person, data: dict[str, Any]) -> None:
    if data.get("portrait_id") is not None:
        check_media([data["portrait_id"]], IMAGE_TYPES, "portrait_id")


def _update_sort_key(row: Person) -> None:
    row.sort_key = sort_key(row.family_name or "", row.given_name or "")


def _read_columns(doc: dict[str, Any], lang: str) -> dict[str, Any]:
    return {
        "sort_text": sort_key(doc.get("family_name") or "", doc.get("given_name") or ""),
        "kind": "current" if doc.get("is_current") else "alumni",
    }


def _read_filters(stmt: Select[Any], args: dict[str, Any], ctx: ReadContext) -> Select[Any]:
    status = args.get("status")
    if status in ("current", "alumni"):
        stmt = stmt.where(P.kind == status)
    if args.get("research_area") is not None:
        stmt = stmt.where(shows("research_area", args["research_area"]))
    return stmt


READ_KEYS = ReadKeys(
    columns=_read_columns,
    sorts={
        "family_name": lambda: [bytewise(P.sort_text).asc()],
        "-family_name": lambda: [bytewise(P.sort_text).desc()],
    },
    filters=_read_filters,
)


SPEC = register(
    ResourceSpec(
        key="people",
        type="person",
        model=Person,
        translation_model=PersonTranslation,
        translated_fields=("position", "biography"),
        rich_fields=("biography",),
        label_field="name",
        label=lambda row, values: display_name(row),
        fields=(
            "honorific_prefix",
            "given_name",
            "family_name",
            "email",
            "phone",
            "orcid",
            "is_current",
        ),
        relations=(Relation("research_area", "item", "research_areas"),),
        sorts={
            "family_name": lambda ctx: [bytewise(Person.sort_key).asc()],
            "-family_name": lambda ctx: [bytewise(Person.sort_key).desc()],
        },
        default_sort="family_name",
        filters=_filters,
        derived=_derived,
        extra_load=_extra_load,
        render_extra=_portrait,
        slug_source=lambda row, values: f"{row.given_name} {row.family_name}",
        before_save=_update_sort_key,
        edit_extra=_portrait_id,
        write_extra=_check_portrait,
        media_ids=lambda: select(Person.portrait_id),
        read=READ_KEYS,
    )
)
