"""Shapes of people: public (one language) and editing (all languages)."""

from __future__ import annotations

from marshmallow import Schema, fields

from ifm_api.core.schemas import ItemBaseSchema, SummarySchema


class PortraitSchema(Schema):
    media_id = fields.Integer(required=True)
    content_type = fields.String(required=True)
    url = fields.String(required=True)


class PersonSchema(ItemBaseSchema):
    """A person in one language."""

    name = fields.String(required=True, metadata={"description": "Display name with prefix."})
    honorific_prefix = fields.String(allow_none=True)
    given_name = fields.String(required=True)
    family_name = fields.String(required=True)
    position = fields.String(allow_none=True)
    biography = fields.String(allow_none=True, metadata={"description": "Cleaned HTML."})
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    orcid = fields.String(allow_none=True)
    is_current = fields.Boolean(required=True)
    status = fields.String(required=True, metadata={"description": "current or alumni."})
    portrait = fields.Nested(PortraitSchema, allow_none=True)
    research_area = fields.Nested(SummarySchema, allow_none=True)
