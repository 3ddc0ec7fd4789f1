"""Reports: declaration, filters, sorts and how their files are shown."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, extract, select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.interfaces import LoaderOption

from ifm_api.core.content import (
    ReadContext,
    Relation,
    ResourceSpec,
    linked,
    register,
    translated_value,
)
from ifm_api.core.media import DOCUMENT_TYPES, check_media, file_texts, media_url
from ifm_api.core.models import Media
from ifm_api.core.read.keys import ReadKeys, label_text, parse_date, shows, text_order
from ifm_api.core.read.model import PublicItem as P
from ifm_api.reports.models import Report, ReportFile, ReportTranslation


def _filters(stmt: Select[Any], args: dict[str, Any], ctx: ReadContext) -> Select[Any]:
    if args.get("type"):
        stmt = stmt.where(Report.report_type == args["type"])
    if args.get("person") is not None:
        stmt = stmt.where(linked("authors", args["person"], Report, ctx))
    if args.get("project") is not None:
        stmt = stmt.where(linked("project", args["project"], Report, ctx))
    if args.get("year") is not None:
        stmt = stmt.where(extract("year", Report.publication_date) == args["year"])
    return stmt


def _extra_load() -> Iterable[LoaderOption]:
    return [
        selectinload(Report.files).selectinload(ReportFile.media).joinedload(Media.translations)
    ]


def _files(row: Report, ctx: ReadContext) -> dict[str, Any]:
    return {
        "files": [
            {
                "media_id": f.media_id,
                "lang": f.lang,
                "label": f.label,
                "filename": f.media.filename,
                "content_type": f.media.content_type,
                "size": f.media.size,
                "page_count": f.media.page_count,
                "url": media_url(ctx.api_root, f.media),
                **file_texts(f.media, ctx),
            }
            for f in row.files
        ]
    }


def _file_entries(row: Report) -> dict[str, Any]:
    return {
        "files": [{"media_id": f.media_id, "lang": f.lang, "label": f.label} for f in row.files]
    }


def _write_files(row: Report, data: dict[str, Any]) -> None:
    if "files" not in data:
        return
    entries = data["files"] or []
    check_media([entry["media_id"] for entry in entries], DOCUMENT_TYPES, "files")
    row.files = [
        ReportFile(
            media_id=entry["media_id"],
            lang=entry["lang"],
            label=entry.get("label"),
            position=position,
        )
        for position, entry in enumerate(entries)
    ]


def _copy_files(draft: Report, live: Report) -> None:
    live.files = [
        ReportFile(media_id=f.media_id, lang=f.lang, label=f.label, position=f.position)
        for f in draft.files
    ]


def _read_columns(doc: dict[str, Any], lang: str) -> dict[str, Any]:
    published = parse_date(doc.get("publication_date"))
    return {
        "date_1": published,
        "kind": doc.get("report_type"),
        "sort_text": label_text(doc, lang, "title"),
        "year": published.year if published else None,
    }


def _read_filters(stmt: Select[Any], args: dict[str, Any], ctx: ReadContext) -> Select[Any]:
    if args.get("type"):
        stmt = stmt.where(P.kind == args["type"])
    if args.get("person") is not None:
        stmt = stmt.where(shows("authors", args["person"]))
    if args.get("project") is not None:
        stmt = stmt.where(shows("project", args["project"]))
    if args.get("year") is not None:
        stmt = stmt.where(P.year == args["year"])
    return stmt


READ_KEYS = ReadKeys(
    columns=_read_columns,
    sorts={
        "-publication_date": lambda: [P.date_1.desc().nulls_last()],
        "publication_date": lambda: [P.date_1.asc().nulls_last()],
        "title": lambda: text_order(),
        "-title": lambda: text_order(descending=True),
    },
    filters=_read_filters,
)


def _by_title(ctx: ReadContext) -> list[Any]:
    return [translated_value(SPEC, ctx, "title")]


SPEC = register(
    ResourceSpec(
        key="reports",
        type="report",
        model=Report,
        translation_model=ReportTranslation,
        translated_fields=("title", "abstract"),
        rich_fields=("abstract",),
        label_field="title",
        fields=(
            "publication_date",
            "report_type",
            "series",
            "number",
            "doi",
            "isbn",
            "external_url",
        ),
        relations=(
            Relation("authors", "authors", "people"),
            Relation("project", "item", "projects"),
        ),
        sorts={
            # The same on every database: undated reports last either way.
            "-publication_date": lambda ctx: [Report.publication_date.desc().nulls_last()],
            "publication_date": lambda ctx: [Report.publication_date.asc().nulls_last()],
            "title": _by_title,
            "-title": lambda ctx: [_by_title(ctx)[0].desc()],
        },
        default_sort="-publication_date",
        filters=_filters,
        display_date_field="publication_date",
        extra_load=_extra_load,
        render_extra=_files,
        required_translated=("title",),
        edit_extra=_file_entries,
        write_extra=_write_files,
        copy_extra=_copy_files,
        extra_write_keys=("files",),
        media_ids=lambda: select(ReportFile.media_id).join(Report, Report.pk == ReportFile.row_pk),
        read=READ_KEYS,
    )
)
