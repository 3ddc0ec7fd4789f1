"""Test data in the write shape of each resource, created through ``make_item``.

Each builder takes the ``make_item`` fixture, creates one item and returns its id. Texts are
passed per language (``de=``/``en=``): a string is the title/name, a dict the full translation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from typing import Any

MakeItem = Callable[..., int]
Text = str | dict[str, Any] | None

PUBLISH_KEYS = ("publish", "languages", "publish_at")


def translations(label: str, de: Text, en: Text) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for lang, value in (("de", de), ("en", en)):
        if value is not None:
            out[lang] = {label: value} if isinstance(value, str) else dict(value)
    return out


def _make(make_item: MakeItem, resource: str, data: dict[str, Any], **kwargs: Any) -> int:
    publish = {key: kwargs.pop(key) for key in PUBLISH_KEYS if key in kwargs}
    return make_item(resource, {**data, **kwargs}, **publish)


def news(
    make_item: MakeItem,
    de: Text = "Eine Nachricht",
    en: Text = None,
    *,
    published_at: datetime | None = datetime(2019, 12, 27, 10, 0, tzinfo=UTC),
    **kwargs: Any,
) -> int:
    data = {"published_at": published_at, "translations": translations("title", de, en)}
    return _make(make_item, "news", data, **kwargs)


def report(
    make_item: MakeItem,
    de: Text = "Ein Bericht",
    en: Text = None,
    *,
    publication_date: date | None = date(2019, 12, 27),
    report_type: str = "short_report",
    **kwargs: Any,
) -> int:
    data = {
        "publication_date": publication_date,
        "report_type": report_type,
        "translations": translations("title", de, en),
    }
    return _make(make_item, "reports", data, **kwargs)


def project(
    make_item: MakeItem,
    de: Text = "Ein Projekt",
    en: Text = None,
    *,
    start_date: date | None = date(2018, 5, 1),
    end_date: date | None = None,
    **kwargs: Any,
) -> int:
    data = {
        "start_date": start_date,
        "end_date": end_date,
        "translations": translations("title", de, en),
    }
    return _make(make_item, "projects", data, **kwargs)


def person(
    make_item: MakeItem,
    given_name: str = "Anna",
    family_name: str = "Muster",
    *,
    de: Text = None,
    en: Text = None,
    honorific_prefix: str | None = None,
    is_current: bool = True,
    **kwargs: Any,
) -> int:
    texts = translations("position", de or {"position": "Wissenschaftliche Mitarbeiterin"}, en)
    data = {
        "given_name": given_name,
        "family_name": family_name,
        "honorific_prefix": honorific_prefix,
        "is_current": is_current,
        "translations": texts,
    }
    return _make(make_item, "people", data, **kwargs)


def research_area(
    make_item: MakeItem,
    de: Text = "Neue Selbständigkeit",
    en: Text = None,
    *,
    sort_order: int = 0,
    **kwargs: Any,
) -> int:
    data = {"sort_order": sort_order, "translations": translations("name", de, en)}
    return _make(make_item, "research_areas", data, **kwargs)


def ids(items: Iterable[dict[str, Any]]) -> list[int]:
    return [item["id"] for item in items]
