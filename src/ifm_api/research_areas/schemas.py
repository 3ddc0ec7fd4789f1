"""Shapes of research areas: public (one language) and editing (all languages)."""

from __future__ import annotations

from marshmallow import fields, validate

from ifm_api.core.schemas import (
    TITLE_MAX,
    EditSchemaBase,
    EditTranslationBase,
    ItemBaseSchema,
    Translations,
    WholeNumber,
    item_type,
    plain_text,
    rich_text,
    summary_schema,
)


class ResearchAreaSchema(ItemBaseSchema):
    """A research area (team) in one language."""

    type = item_type("research_area")
    name = fields.String(required=True)
    description = fields.String(allow_none=True, metadata={"description": "Cleaned HTML."})
    sort_order = fields.Integer(required=True)


ResearchAreaSummarySchema = summary_schema("ResearchAreaSummarySchema", "research_area", "name")


class ResearchAreaTranslationEditSchema(EditTranslationBase):
    """The translated fields of a research area."""

    name = plain_text(TITLE_MAX, required=True)
    description = rich_text()


class ResearchAreaEditSchema(EditSchemaBase):
    """A research area in every language: the write shape (and `lang=all&version=draft`)."""

    translations = Translations(ResearchAreaTranslationEditSchema, required=True)
    sort_order = WholeNumber(
        validate=validate.Range(min=-1_000_000, max=1_000_000),
        metadata={"description": "Position in lists (ascending). Default 0."},
    )
