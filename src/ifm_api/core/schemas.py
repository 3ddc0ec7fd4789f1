"""Base schemas: query arguments, the pagination envelope, shared item fields, problems."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

MAX_PAGE_SIZE = 100


class ReadArgs(Schema):
    """Query arguments every read accepts."""

    lang = fields.String(
        metadata={
            "description": "Language of the response (e.g. `de`, `en`; `all` for every "
            "translation in the editing shape). Default: Accept-Language, then the "
            "default language."
        }
    )
    fallback = fields.Boolean(
        load_default=True,
        metadata={"description": "Fall back to another language when a translation is missing."},
    )
    include = fields.String(
        metadata={
            "description": "Comma-separated relations to embed as full items instead of "
            "summaries, e.g. `people,reports`."
        }
    )
    version = fields.String(
        load_default="live",
        validate=validate.OneOf(["live", "draft"]),
        metadata={"description": "`draft` reads the working copy (needs a preview token)."},
    )


class ListArgs(ReadArgs):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    page_size = fields.Integer(load_default=20, validate=validate.Range(min=1, max=MAX_PAGE_SIZE))


def list_args_schema(
    name: str, sorts: list[str], default_sort: str, extra: dict[str, fields.Field]
) -> type[Schema]:
    """The list arguments of one resource: shared ones, its sorts and its filters."""
    attrs: dict[str, Any] = {
        "sort": fields.String(
            load_default=default_sort,
            validate=validate.OneOf(sorts),
            metadata={"description": f"Sort order, one of: {', '.join(sorts)}."},
        ),
        **extra,
    }
    return type(name, (ListArgs,), attrs)


class PageMetaSchema(Schema):
    page = fields.Integer(required=True)
    page_size = fields.Integer(required=True)
    total = fields.Integer(required=True)
    pages = fields.Integer(required=True)


def page_schema(name: str, item_schema: type[Schema]) -> type[Schema]:
    return type(
        name,
        (Schema,),
        {
            "items": fields.List(fields.Nested(item_schema), required=True),
            "meta": fields.Nested(PageMetaSchema, required=True),
        },
    )


class TranslationLinkSchema(Schema):
    """One published language version of an item (for language switches and hreflang)."""

    slug = fields.String(required=True)
    title = fields.String(metadata={"description": "Title (or `name`) in that language."})
    name = fields.String()
    url = fields.Url(required=True, metadata={"description": "API URL of that version."})
    web_url = fields.Url(
        required=True, metadata={"description": "Public website URL of that version."}
    )


class ItemBaseSchema(Schema):
    """Fields every item carries in a one-language read."""

    id = fields.Integer(required=True)
    type = fields.String(required=True)
    lang = fields.String(required=True, metadata={"description": "Language actually served."})
    fallback = fields.Boolean(
        required=True, metadata={"description": "True when the item fell back to `lang`."}
    )
    fallback_fields = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "Fields filled from a fallback language."},
    )
    slug = fields.String(required=True)
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)
    translations = fields.Dict(
        keys=fields.String(), values=fields.Nested(TranslationLinkSchema), required=True
    )
    url = fields.String(required=True)
    web_url = fields.String(required=True)


class SummarySchema(Schema):
    """A related item without `include=`: just enough to link to it."""

    id = fields.Integer(required=True)
    type = fields.String(required=True)
    slug = fields.String(required=True)
    title = fields.String()
    name = fields.String()
    url = fields.String(required=True)


class EditTranslationBase(Schema):
    slug = fields.String(
        validate=validate.Length(min=1, max=200),
        metadata={"description": "Generated from the title when not given."},
    )


class ProblemSchema(Schema):
    """RFC 9457 problem details."""

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    instance = fields.String()
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={"description": "For 422: field path -> messages."},
    )
