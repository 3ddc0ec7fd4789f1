"""Research areas (teams): declaration and sorts."""

from __future__ import annotations

from typing import Any

from ifm_api.core.content import ReadContext, ResourceSpec, register, translated_value
from ifm_api.core.read.keys import ReadKeys, label_text, text_order
from ifm_api.core.read.model import PublicItem as P
from ifm_api.research_areas.models import ResearchArea, ResearchAreaTranslation


def _by_name(ctx: ReadContext) -> list[Any]:
    return [translated_value(SPEC, ctx, "name")]


def _read_columns(doc: dict[str, Any], lang: str) -> dict[str, Any]:
    return {"number": doc.get("sort_order"), "sort_text": label_text(doc, lang, "name")}


READ_KEYS = ReadKeys(
    columns=_read_columns,
    sorts={
        "sort_order": lambda: [P.number.asc(), *text_order()],
        "name": lambda: text_order(),
        "-name": lambda: text_order(descending=True),
    },
)


SPEC = register(
    ResourceSpec(
        key="research_areas",
        type="research_area",
        model=ResearchArea,
        translation_model=ResearchAreaTranslation,
        translated_fields=("name", "description"),
        rich_fields=("description",),
        label_field="name",
        fields=("sort_order",),
        sorts={
            "sort_order": lambda ctx: [ResearchArea.sort_order.asc(), *_by_name(ctx)],
            "name": _by_name,
            "-name": lambda ctx: [_by_name(ctx)[0].desc()],
        },
        default_sort="sort_order",
        required_translated=("name",),
        read=READ_KEYS,
    )
)
