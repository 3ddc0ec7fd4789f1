"""Shapes of news items: public (one language) and editing (all languages)."""

from __future__ import annotations

from marshmallow import fields

from ifm_api.core.schemas import ItemBaseSchema, SummarySchema


class NewsItemSchema(ItemBaseSchema):
    """A news item in one language."""

    title = fields.String(required=True)
    teaser = fields.String(allow_none=True)
    body = fields.String(allow_none=True, metadata={"description": "Cleaned HTML."})
    published_at = fields.DateTime(allow_none=True)
    display_date = fields.String(
        allow_none=True, metadata={"description": "`published_at` as a date in the language."}
    )
    tags = fields.List(fields.String())
    people = fields.List(
        fields.Nested(SummarySchema), metadata={"description": "Full items with include=people."}
    )
    projects = fields.List(
        fields.Nested(SummarySchema),
        metadata={"description": "Full items with include=projects."},
    )
    reports = fields.List(
        fields.Nested(SummarySchema), metadata={"description": "Full items with include=reports."}
    )
