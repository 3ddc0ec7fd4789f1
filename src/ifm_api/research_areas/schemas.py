"""Shapes of research areas: public (one language) and editing (all languages)."""

from __future__ import annotations

from marshmallow import fields

from ifm_api.core.schemas import ItemBaseSchema


class ResearchAreaSchema(ItemBaseSchema):
    """A research area (team) in one language."""

    name = fields.String(required=True)
    description = fields.String(allow_none=True, metadata={"description": "Cleaned HTML."})
    sort_order = fields.Integer(required=True)
