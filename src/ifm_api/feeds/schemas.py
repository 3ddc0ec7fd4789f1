"""Query arguments of the feeds and the documented shape of a JSON Feed."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from ifm_api.core.feeds import DEFAULT_LIMIT, MAX_LIMIT
from ifm_api.core.schemas import LanguageParam, QueryArgs


class FeedArgs(QueryArgs):
    lang = LanguageParam(
        allow_all=False,
        metadata={
            "description": "Language of the feed (e.g. `de`, `en`). Default: the default "
            "language. Only items published in this language are listed (no fallback)."
        },
    )
    limit = fields.Integer(
        load_default=DEFAULT_LIMIT,
        validate=validate.Range(min=1, max=MAX_LIMIT),
        metadata={"description": f"Number of newest items, at most {MAX_LIMIT}."},
    )


class JsonFeedAuthorSchema(Schema):
    name = fields.String(required=True)


class JsonFeedAttachmentSchema(Schema):
    url = fields.Url(required=True)
    mime_type = fields.String(required=True)
    size_in_bytes = fields.Integer(required=True)
    title = fields.String()


class JsonFeedItemSchema(Schema):
    id = fields.String(required=True, metadata={"description": "Stable tag URI."})
    url = fields.Url(required=True, metadata={"description": "Public website URL."})
    title = fields.String(required=True)
    language = fields.String(required=True)
    content_html = fields.String()
    content_text = fields.String()
    summary = fields.String(metadata={"description": "Teaser or abstract, plain text."})
    date_published = fields.DateTime(required=True)
    date_modified = fields.DateTime(required=True)
    authors = fields.List(fields.Nested(JsonFeedAuthorSchema))
    tags = fields.List(fields.String())
    attachments = fields.List(fields.Nested(JsonFeedAttachmentSchema))


class JsonFeedSchema(Schema):
    """A JSON Feed 1.1 document (https://jsonfeed.org/version/1.1)."""

    version = fields.String(required=True)
    title = fields.String(required=True)
    home_page_url = fields.Url(required=True)
    feed_url = fields.Url(required=True)
    description = fields.String(required=True)
    language = fields.String(required=True)
    authors = fields.List(fields.Nested(JsonFeedAuthorSchema), required=True)
    items = fields.List(fields.Nested(JsonFeedItemSchema), required=True)
