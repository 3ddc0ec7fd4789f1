"""Shapes of the search endpoint: its query and its page of hits."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from ifm_api.core.messages import N_
from ifm_api.core.schemas import (
    DB_INT_MAX,
    MAX_PAGE_SIZE,
    LanguageParam,
    OneOf,
    PageMetaSchema,
    QueryArgs,
)
from ifm_api.news.schemas import NewsItemSchema
from ifm_api.people.schemas import PersonSchema
from ifm_api.projects.schemas import ProjectSchema
from ifm_api.reports.schemas import ReportSchema
from ifm_api.research_areas.schemas import ResearchAreaSchema
from ifm_api.search.params import search_param

# The resources searched, by their path segment (as `type=` names them), in the order the
# `type` parameter documents them.
SEARCHED = {
    "news": NewsItemSchema,
    "reports": ReportSchema,
    "projects": ProjectSchema,
    "people": PersonSchema,
    "research-areas": ResearchAreaSchema,
}
_ONE_TYPE = "|".join(SEARCHED)
TYPES_PATTERN = rf"^(?:{_ONE_TYPE})(?:,(?:{_ONE_TYPE}))*$"
UNKNOWN_TYPE = N_("Unknown type {value}; possible: {allowed}.")


def _types(value: str) -> None:
    unknown = [part for part in value.split(",") if part not in SEARCHED]
    if unknown:
        raise ValidationError(
            UNKNOWN_TYPE.format(value=", ".join(unknown), allowed=", ".join(SEARCHED))
        )


class SearchArgs(QueryArgs):
    """The query of `GET /api/v1/search`."""

    q = search_param(required=True)
    type = fields.String(
        validate=_types,
        metadata={
            "description": "Only these resources, comma-separated: "
            f"{', '.join(f'`{name}`' for name in SEARCHED)} (default: all).",
            "pattern": TYPES_PATTERN,
        },
    )
    lang = LanguageParam(
        allow_all=False,
        metadata={
            "description": "Language searched and served (default: Accept-Language, then the "
            "default language). Items without it are found in their fallback language and "
            "say `fallback: true`, unless `fallback=false`."
        },
    )
    fallback = fields.Boolean(
        load_default=True,
        metadata={"description": "Also find items in their fallback language."},
    )
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=DB_INT_MAX))
    page_size = fields.Integer(load_default=20, validate=validate.Range(min=1, max=MAX_PAGE_SIZE))


def hit_schema(item: type[Schema]) -> type[Schema]:
    """An item as its list serves it, with the search's score and highlights."""
    name = item.__name__.removesuffix("Schema").removesuffix("Item")
    attrs: dict[str, Any] = {
        "score": fields.Integer(
            required=True,
            metadata={"description": "Relevance: 2 when the title (or name) matches, else 1."},
        ),
        "highlights": fields.Dict(
            keys=fields.String(),
            values=fields.String(),
            required=True,
            metadata={
                "description": "Per matching field (e.g. `title`, `body`, `authors`): a short "
                "snippet, HTML-escaped, with the matched words in `<mark>…</mark>`."
            },
        ),
    }
    return type(f"{name}SearchHitSchema", (item,), attrs)


HIT_SCHEMAS = {segment: hit_schema(schema) for segment, schema in SEARCHED.items()}


class SearchPageSchema(Schema):
    items = fields.List(
        OneOf(*sorted(HIT_SCHEMAS.values(), key=lambda s: -len(s._declared_fields))),
        required=True,
    )
    meta = fields.Nested(PageMetaSchema, required=True)
