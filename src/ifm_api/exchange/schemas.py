"""Shapes of the exchange's endpoints: old-URL lookups and the admins' redirect rules."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from ifm_api.config import RESOURCES
from ifm_api.core.schemas import (
    DB_INT_MAX,
    MAX_PAGE_SIZE,
    PageMetaSchema,
    QueryArgs,
    ReadArgs,
    Text,
    WholeNumber,
    one_language_read_param,
)
from ifm_api.exchange.models import PATH_MAX

PATH_INPUT_MAX = 2 * PATH_MAX  # before normalising (percent-encoding, host) it may be longer


class RedirectQueryArgs(Schema):
    """Which old URL, and the language of the answer (as for reads)."""

    path = Text(
        required=True,
        validate=validate.Length(min=1, max=PATH_INPUT_MAX),
        metadata={
            "description": "The old URL's path and query, URL-encoded as one parameter "
            "(e.g. `path=%2Faktuelles%2Fnews.php%3Fid%3D12`); a full URL works too. "
            "Percent-encoding, a trailing slash and the order of query parameters do not "
            "matter."
        },
    )
    lang = one_language_read_param()
    fallback = ReadArgs._declared_fields["fallback"]


class RedirectSchema(Schema):
    """Where an old URL lives now: answer it with a 301 to `location`."""

    path = fields.String(required=True, metadata={"description": "The old path, normalized."})
    location = fields.String(
        required=True, metadata={"description": "The item's public website URL in `lang`."}
    )
    status = fields.Integer(required=True, metadata={"description": "Always 301."})
    type = fields.String(required=True)
    id = fields.Integer(required=True)
    lang = fields.String(required=True, metadata={"description": "Language of `location`."})
    fallback = fields.Boolean(
        required=True, metadata={"description": "True when the item fell back to `lang`."}
    )
    slug = fields.String(required=True)


class RedirectRuleSchema(Schema):
    """An old URL and the item it leads to."""

    id = fields.Integer(required=True)
    path = fields.String(required=True)
    resource = fields.String(required=True, metadata={"description": "e.g. `news`."})
    item_id = fields.Integer(required=True)
    created_at = fields.DateTime(required=True)
    created_by = fields.String(allow_none=True)


class RedirectRuleCreateSchema(Schema):
    """A new redirect: the old path (normalized like lookups) and the item."""

    path = Text(required=True, validate=validate.Length(min=1, max=PATH_INPUT_MAX))
    resource = fields.String(required=True, validate=validate.OneOf(RESOURCES))
    item_id = WholeNumber(required=True, validate=validate.Range(min=1, max=DB_INT_MAX))


class RedirectRuleListArgs(QueryArgs):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=DB_INT_MAX))
    page_size = fields.Integer(load_default=20, validate=validate.Range(min=1, max=MAX_PAGE_SIZE))


class RedirectRulePageSchema(Schema):
    items = fields.List(fields.Nested(RedirectRuleSchema), required=True)
    meta = fields.Nested(PageMetaSchema, required=True)
