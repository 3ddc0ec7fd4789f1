"""Shapes of news items: public (one language) and editing (all languages)."""

from __future__ import annotations

from marshmallow import fields

from ifm_api.core.schemas import (
    SHORT_TEXT_MAX,
    TITLE_MAX,
    EditSchemaBase,
    EditTranslationBase,
    ItemBaseSchema,
    Related,
    Translations,
    item_ids,
    item_type,
    names,
    plain_text,
    rich_text,
)


class NewsItemSchema(ItemBaseSchema):
    """A news item in one language."""

    type = item_type("news")
    title = fields.String(required=True)
    teaser = fields.String(allow_none=True)
    body = fields.String(allow_none=True, metadata={"description": "Cleaned HTML."})
    published_at = fields.DateTime(allow_none=True)
    display_date = fields.String(
        allow_none=True, metadata={"description": "`published_at` as a date in the language."}
    )
    tags = fields.List(fields.String())
    people = fields.List(
        Related("PersonSummarySchema", "EmbeddedPersonSchema"),
        metadata={"description": "Summaries; full items with `include=people`."},
    )
    projects = fields.List(
        Related("ProjectSummarySchema", "EmbeddedProjectSchema"),
        metadata={"description": "Summaries; full items with `include=projects`."},
    )
    reports = fields.List(
        Related("ReportSummarySchema", "EmbeddedReportSchema"),
        metadata={"description": "Summaries; full items with `include=reports`."},
    )


class NewsItemTranslationEditSchema(EditTranslationBase):
    """The translated fields of a news item."""

    title = plain_text(TITLE_MAX, required=True)
    teaser = plain_text(SHORT_TEXT_MAX, metadata={"description": "Plain text."})
    body = rich_text()


class NewsItemEditSchema(EditSchemaBase):
    """A news item in every language: the write shape (and `lang=all&version=draft`)."""

    translations = Translations(NewsItemTranslationEditSchema, required=True)
    published_at = fields.AwareDateTime(
        allow_none=True,
        metadata={"description": "Date shown (ISO 8601 with offset); set by the first publish."},
    )
    people = item_ids("people")
    projects = item_ids("projects")
    reports = item_ids("reports")
    tags = names(100, "Tags (plain words).")
