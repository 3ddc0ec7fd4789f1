"""Shapes of projects: public (one language) and editing (all languages)."""

from __future__ import annotations

from marshmallow import Schema, fields

from ifm_api.core.schemas import ItemBaseSchema, SummarySchema


class MemberSchema(Schema):
    role = fields.String(required=True, metadata={"description": "`lead` or `member`."})
    person = fields.Nested(SummarySchema, required=True)


class ProjectSchema(ItemBaseSchema):
    """A research project in one language."""

    title = fields.String(required=True)
    summary = fields.String(allow_none=True)
    description = fields.String(allow_none=True, metadata={"description": "Cleaned HTML."})
    start_date = fields.Date(allow_none=True)
    end_date = fields.Date(allow_none=True, metadata={"description": "Open end: null."})
    display_date = fields.String(allow_none=True)
    status = fields.String(
        required=True, metadata={"description": "planned, ongoing or completed (from dates)."}
    )
    funders = fields.List(fields.String())
    partners = fields.List(fields.String())
    research_area = fields.Nested(SummarySchema, allow_none=True)
    members = fields.List(fields.Nested(MemberSchema))
