"""Shapes of the translation status list and of translation jobs (format only)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from ifm_api.core.content import REGISTRY
from ifm_api.core.schemas import (
    DB_INT_MAX,
    MAX_PAGE_SIZE,
    LanguageMap,
    LanguageParam,
    PageMetaSchema,
    QueryArgs,
    TranslationStatusSchema,
)
from ifm_api.translation.service import STATUSES


def content_types() -> list[str]:
    return sorted(spec.type for spec in REGISTRY.values())


class TranslationStatusArgs(QueryArgs):
    type = fields.List(
        fields.String(validate=validate.OneOf(content_types())),
        load_default=list,
        metadata={
            "description": "Only items of these types (repeatable): "
            + ", ".join(content_types())
            + "."
        },
    )
    lang = LanguageParam(
        allow_all=False,
        metadata={
            "description": "The language whose status counts for `status=` and the counts "
            "(default: every configured language). Also the language of messages."
        },
    )
    status = fields.String(
        validate=validate.OneOf(STATUSES),
        metadata={
            "description": "Only items with this status in `lang` (in any language "
            "when `lang` is not given)."
        },
    )
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=DB_INT_MAX))
    page_size = fields.Integer(load_default=20, validate=validate.Range(min=1, max=MAX_PAGE_SIZE))


class TranslationStatusRowSchema(Schema):
    COMPLETE_OUTPUT = True
    id = fields.Integer(required=True)
    type = fields.String(required=True)
    label = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "Title or name (source language first)."},
    )
    url = fields.String(required=True, metadata={"description": "The editing representation."})
    version = fields.Integer(required=True)
    updated_at = fields.DateTime(required=True)
    languages = LanguageMap(
        fields.Nested(TranslationStatusSchema),
        required=True,
        metadata={"description": "Per configured language: status, outdated fields, times."},
    )


def _counts() -> fields.Dict:
    return fields.Dict(
        keys=fields.String(validate=validate.OneOf(STATUSES)),
        values=fields.Integer(),
        required=True,
    )


class TranslationStatusPageSchema(Schema):
    items = fields.List(fields.Nested(TranslationStatusRowSchema), required=True)
    meta = fields.Nested(PageMetaSchema, required=True)
    counts = fields.Dict(
        keys=fields.String(),
        values=_counts(),
        required=True,
        metadata={
            "description": "Per type, per status: (item, language) pairs under the `type` "
            "and `lang` filters, before the `status` filter."
        },
    )
    totals = _counts()
