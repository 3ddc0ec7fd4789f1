"""News items: declaration, filters and sorts (the shared machinery does the rest)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select

from ifm_api.core.content import (
    ReadContext,
    Relation,
    ResourceSpec,
    in_year,
    linked,
    local_zone,
    named,
    register,
    translated_value,
)
from ifm_api.core.read.keys import ReadKeys, carries, label_text, parse_time, shows, text_order
from ifm_api.core.read.model import PublicItem as P
from ifm_api.news.models import NewsItem, NewsItemTranslation

LINK_FILTERS = {"person": "people", "project": "projects", "report": "reports"}


def _filters(stmt: Select[Any], args: dict[str, Any], ctx: ReadContext) -> Select[Any]:
    if args.get("tag"):
        stmt = stmt.where(named("tags", args["tag"], NewsItem))
    for arg, relation in LINK_FILTERS.items():
        if args.get(arg) is not None:
            stmt = stmt.where(linked(relation, args[arg], NewsItem, ctx))
    if args.get("year") is not None:
        stmt = stmt.where(in_year(NewsItem.published_at, args["year"]))
    return stmt


def _read_columns(doc: dict[str, Any], lang: str) -> dict[str, Any]:
    published = parse_time(doc.get("published_at"))
    return {
        "sort_time": published,
        "sort_text": label_text(doc, lang, "title"),
        "year": published.astimezone(local_zone()).year if published else None,
    }


def _read_filters(stmt: Select[Any], args: dict[str, Any], ctx: ReadContext) -> Select[Any]:
    if args.get("tag"):
        stmt = stmt.where(carries("tags", args["tag"]))
    for arg, relation in LINK_FILTERS.items():
        if args.get(arg) is not None:
            stmt = stmt.where(shows(relation, args[arg]))
    if args.get("year") is not None:
        stmt = stmt.where(P.year == args["year"])
    return stmt


READ_KEYS = ReadKeys(
    columns=_read_columns,
    sorts={
        "-published_at": lambda: [P.sort_time.desc()],
        "published_at": lambda: [P.sort_time.asc()],
        "title": lambda: text_order(),
        "-title": lambda: text_order(descending=True),
    },
    filters=_read_filters,
)


def _by_title(ctx: ReadContext) -> list[Any]:
    return [translated_value(SPEC, ctx, "title")]


SPEC = register(
    ResourceSpec(
        key="news",
        type="news",
        model=NewsItem,
        translation_model=NewsItemTranslation,
        translated_fields=("title", "teaser", "body"),
        rich_fields=("body",),
        label_field="title",
        fields=("published_at",),
        relations=(
            Relation("people", "items", "people"),
            Relation("projects", "items", "projects"),
            Relation("reports", "items", "reports"),
            Relation("tags", "names"),
        ),
        sorts={
            "-published_at": lambda ctx: [NewsItem.published_at.desc()],
            "published_at": lambda ctx: [NewsItem.published_at.asc()],
            "title": _by_title,
            "-title": lambda ctx: [_by_title(ctx)[0].desc()],
        },
        default_sort="-published_at",
        filters=_filters,
        display_date_field="published_at",
        required_translated=("title",),
        publish_date_field="published_at",
        read=READ_KEYS,
    )
)
