"""Query arguments and documented shapes of the change feed."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from ifm_api.changes.feed import PAGE_SIZE
from ifm_api.core.schemas import LanguageParam, QueryArgs, Text

TYPES = ("news", "report", "project", "person", "research_area")


class ChangesArgs(QueryArgs):
    since = Text(
        validate=validate.Length(min=1, max=200),
        metadata={
            "description": "The `next_cursor` of the previous answer. Without it: no changes, "
            "only the current cursor (take it before a full sync, then follow from it)."
        },
    )
    type = fields.String(
        validate=validate.OneOf(TYPES),
        metadata={"description": "Only changes of this item type."},
    )
    lang = LanguageParam(
        allow_all=False,
        metadata={
            "description": "Only changes of this read language (also the language of "
            "problem documents). A language version falls back as the public reads do."
        },
    )
    limit = fields.Integer(
        load_default=PAGE_SIZE,
        validate=validate.Range(min=1, max=PAGE_SIZE),
        metadata={"description": f"Changes per page, at most {PAGE_SIZE}."},
    )
    fields_ = fields.String(
        data_key="fields",
        validate=validate.OneOf(["ids"]),
        metadata={"description": "`ids`: the changes without the items' representations."},
    )


class ChangeSchema(Schema):
    type = fields.String(required=True, metadata={"description": "The item's type."})
    id = fields.Integer(required=True)
    lang = fields.String(required=True, metadata={"description": "The read language."})
    change = fields.String(
        required=True,
        validate=validate.OneOf(["published", "updated", "unpublished", "deleted"]),
        metadata={
            "description": "Of the item's version in this language. `published`: reads in "
            "`lang` show the item and did not, or show its own `lang` translation where they "
            "showed a fallback; `updated`: that version changed; `unpublished`: reads in "
            "`lang` show it no more, or no more in `lang` (then `item` and `served_lang` "
            "are the fallback they show instead); `deleted`: the item is gone."
        },
    )
    slug = fields.String(
        allow_none=True, metadata={"description": "The slug reads in `lang` serve it under."}
    )
    served_lang = fields.String(
        allow_none=True,
        metadata={
            "description": "The language of the version reads in `lang` show (`lang`, or "
            "a fallback); null when they show none."
        },
    )
    former_slug = fields.String(
        allow_none=True,
        metadata={"description": "The slug it had, when it stopped answering to it."},
    )
    occurred_at = fields.DateTime(
        required=True, metadata={"description": "When it became public (its scheduled time)."}
    )
    url = fields.String(required=True, metadata={"description": "The item in the API."})
    tags = fields.List(
        fields.String(), required=True, metadata={"description": "Purge tags it made stale."}
    )
    item = fields.Dict(
        allow_none=True,
        metadata={
            "description": "The public representation (as the detail read serves it); null "
            "for a removal; left out with `fields=ids`."
        },
    )


class ChangesPageSchema(Schema):
    changes = fields.List(fields.Nested(ChangeSchema), required=True)
    next_cursor = fields.String(required=True, metadata={"description": "Opaque."})
    has_more = fields.Boolean(required=True, metadata={"description": "Ask again at once."})
