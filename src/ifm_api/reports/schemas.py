"""Shapes of reports: public (one language) and editing (all languages)."""

from __future__ import annotations

from marshmallow import Schema, fields

from ifm_api.core.schemas import ItemBaseSchema, SummarySchema


class ReportFileSchema(Schema):
    media_id = fields.Integer(required=True)
    lang = fields.String(required=True, metadata={"description": "The document's language."})
    label = fields.String(allow_none=True)
    filename = fields.String(required=True)
    content_type = fields.String(required=True)
    size = fields.Integer(required=True)
    url = fields.String(required=True)


class AuthorSchema(Schema):
    name = fields.String(required=True)
    person = fields.Nested(
        SummarySchema,
        allow_none=True,
        metadata={"description": "The institute's person (full item with include=authors)."},
    )


class ReportSchema(ItemBaseSchema):
    """A report in one language."""

    title = fields.String(required=True)
    abstract = fields.String(allow_none=True, metadata={"description": "Cleaned HTML."})
    publication_date = fields.Date(allow_none=True)
    display_date = fields.String(allow_none=True)
    report_type = fields.String(required=True)
    series = fields.String(allow_none=True)
    number = fields.String(allow_none=True)
    doi = fields.String(allow_none=True)
    isbn = fields.String(allow_none=True)
    external_url = fields.String(allow_none=True, metadata={"description": "Publisher's URL."})
    files = fields.List(fields.Nested(ReportFileSchema))
    authors = fields.List(fields.Nested(AuthorSchema))
    project = fields.Nested(SummarySchema, allow_none=True)
