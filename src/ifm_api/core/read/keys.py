"""How a content type is sorted and filtered in the read model (``ResourceSpec.read``).

The columns come from the finished representation (``doc``), so they always agree with what
is served; sorts and filters are expressions over ``PublicItem``'s generic columns.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from flask import current_app
from sqlalchemy import ColumnElement, Select, and_, exists, func
from sqlalchemy.orm.attributes import InstrumentedAttribute

from ifm_api.core.read.model import ALL_LANGUAGES, PublicItem, PublicItemLink
from ifm_api.core.sorting import bytewise, sort_text

if TYPE_CHECKING:
    from ifm_api.core.content import ReadContext

P = PublicItem


@dataclass(frozen=True)
class ReadKeys:
    """``columns(doc, lang)``: the generic sort/filter column values of one stored row;
    ``sorts``: per sort name its ORDER BY (the id tie-break is added by the caller);
    ``filters``: the list filters as conditions on ``PublicItem``;
    ``changes_at``: per item (entity id -> row values) the moments its representation
    changes with no write (e.g. a project's status at its start and end dates)."""

    columns: Callable[[dict[str, Any], str], dict[str, Any]]
    sorts: dict[str, Callable[[], list[Any]]]
    filters: Callable[[Select[Any], dict[str, Any], ReadContext], Select[Any]] | None = None
    changes_at: Callable[[dict[str, Any]], list[datetime]] | None = None


def label_text(doc: dict[str, Any], lang: str, label: str) -> str | None:
    """The sort key of a translated label: the served one, or for ``lang=all`` the first
    configured language's (as the content read path's ``translated_value`` does)."""
    if lang != ALL_LANGUAGES:
        return sort_text(doc.get(label))
    translations = doc.get("translations") or {}
    for code in current_app.config["IFM"].languages:
        value = (translations.get(code) or {}).get(label)
        if value is not None:
            return sort_text(value)
    return None


def text_order(descending: bool = False) -> list[Any]:
    column = bytewise(P.sort_text)
    return [column.desc() if descending else column.asc()]


def parse_time(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value)


def parse_date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


def midnight(day: date, days: int = 0) -> datetime:
    """A day's start in UTC (the day of ``ctx.now.date()``), optionally some days later."""
    return datetime.combine(day + timedelta(days=days), time(), tzinfo=UTC)


def shows(relation: str, target_id: int) -> ColumnElement[bool]:
    """Filter: the row's ``relation`` shows the item ``target_id`` (so only while the reader
    may see it)."""
    L = PublicItemLink
    return exists().where(L.item_id == P.id, L.relation == relation, L.target_id == target_id)


def carries(relation: str, name: str) -> ColumnElement[bool]:
    """Filter: the row carries the plain name (a tag) under ``relation``."""
    L = PublicItemLink
    return exists().where(
        L.item_id == P.id, L.relation == relation, func.lower(L.name) == name.lower()
    )


def between(column: InstrumentedAttribute[Any], low: Any, high: Any) -> ColumnElement[bool]:
    return and_(column >= low, column < high)
