"""Research projects: declaration, filters (status from dates), sorts."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, or_

from ifm_api.core.content import (
    ReadContext,
    Relation,
    ResourceSpec,
    linked,
    register,
    translated_value,
)
from ifm_api.core.errors import ValidationFailed
from ifm_api.core.messages import N_
from ifm_api.core.read.keys import ReadKeys, label_text, midnight, parse_date, shows, text_order
from ifm_api.core.read.model import PublicItem as P
from ifm_api.projects.models import Project, ProjectTranslation

STATUSES = ("planned", "ongoing", "completed")


def project_status(start: date | None, end: date | None, today: date) -> str:
    if start is not None and start > today:
        return "planned"
    if end is not None and end < today:
        return "completed"
    return "ongoing"


def _filters(stmt: Select[Any], args: dict[str, Any], ctx: ReadContext) -> Select[Any]:
    today: date = args["today"]
    status = args.get("status")
    if status == "planned":
        stmt = stmt.where(Project.start_date > today)
    elif status == "completed":
        stmt = stmt.where(Project.end_date < today)
    elif status == "ongoing":
        stmt = stmt.where(
            or_(Project.start_date.is_(None), Project.start_date <= today),
            or_(Project.end_date.is_(None), Project.end_date >= today),
        )
    if args.get("research_area") is not None:
        stmt = stmt.where(linked("research_area", args["research_area"], Project, ctx))
    if args.get("person") is not None:
        stmt = stmt.where(linked("members", args["person"], Project, ctx))
    if args.get("year") is not None:
        year = args["year"]
        stmt = stmt.where(
            or_(Project.start_date.is_(None), Project.start_date <= date(year, 12, 31)),
            or_(Project.end_date.is_(None), Project.end_date >= date(year, 1, 1)),
        )
    return stmt


def _check_dates(row: Project) -> None:
    """An end before the start is an error, however the two dates arrived (POST or PATCH)."""
    if row.start_date and row.end_date and row.end_date < row.start_date:
        raise ValidationFailed(errors={"end_date": [N_("The end date is before the start date.")]})


def _derived(row: Project, ctx: ReadContext) -> dict[str, Any]:
    return {"status": project_status(row.start_date, row.end_date, ctx.now.date())}


def _read_columns(doc: dict[str, Any], lang: str) -> dict[str, Any]:
    return {
        "date_1": parse_date(doc.get("start_date")),
        "date_2": parse_date(doc.get("end_date")),
        "sort_text": label_text(doc, lang, "title"),
    }


def _status_changes(doc: dict[str, Any]) -> list[datetime]:
    """The status (planned, ongoing, completed) turns on the start day and after the end day."""
    start, end = parse_date(doc.get("start_date")), parse_date(doc.get("end_date"))
    return [*([midnight(start)] if start else []), *([midnight(end, 1)] if end else [])]


def _read_filters(stmt: Select[Any], args: dict[str, Any], ctx: ReadContext) -> Select[Any]:
    today: date = args["today"]
    status = args.get("status")
    if status == "planned":
        stmt = stmt.where(P.date_1 > today)
    elif status == "completed":
        stmt = stmt.where(P.date_2 < today)
    elif status == "ongoing":
        stmt = stmt.where(
            or_(P.date_1.is_(None), P.date_1 <= today), or_(P.date_2.is_(None), P.date_2 >= today)
        )
    if args.get("research_area") is not None:
        stmt = stmt.where(shows("research_area", args["research_area"]))
    if args.get("person") is not None:
        stmt = stmt.where(shows("members", args["person"]))
    if args.get("year") is not None:
        year = args["year"]
        stmt = stmt.where(
            or_(P.date_1.is_(None), P.date_1 <= date(year, 12, 31)),
            or_(P.date_2.is_(None), P.date_2 >= date(year, 1, 1)),
        )
    return stmt


READ_KEYS = ReadKeys(
    columns=_read_columns,
    sorts={
        "-start_date": lambda: [P.date_1.desc().nulls_last()],
        "start_date": lambda: [P.date_1.asc().nulls_last()],
        "-end_date": lambda: [P.date_2.desc().nulls_first()],
        "end_date": lambda: [P.date_2.asc().nulls_last()],
        "title": lambda: text_order(),
        "-title": lambda: text_order(descending=True),
    },
    filters=_read_filters,
    changes_at=_status_changes,
)


def _by_title(ctx: ReadContext) -> list[Any]:
    return [translated_value(SPEC, ctx, "title")]


SPEC = register(
    ResourceSpec(
        key="projects",
        type="project",
        model=Project,
        translation_model=ProjectTranslation,
        translated_fields=("title", "summary", "description"),
        rich_fields=("description",),
        label_field="title",
        fields=("start_date", "end_date", "funders", "partners"),
        relations=(
            Relation("research_area", "item", "research_areas"),
            Relation("members", "members", "people"),
        ),
        sorts={
            # The same on every database: no start date last; an open end is the latest end.
            "-start_date": lambda ctx: [Project.start_date.desc().nulls_last()],
            "start_date": lambda ctx: [Project.start_date.asc().nulls_last()],
            "-end_date": lambda ctx: [Project.end_date.desc().nulls_first()],
            "end_date": lambda ctx: [Project.end_date.asc().nulls_last()],
            "title": _by_title,
            "-title": lambda ctx: [_by_title(ctx)[0].desc()],
        },
        default_sort="-start_date",
        filters=_filters,
        display_date_field="start_date",
        derived=_derived,
        required_translated=("title",),
        before_save=_check_dates,
        read=READ_KEYS,
    )
)
