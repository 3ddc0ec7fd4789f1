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


# --- changing items after creation (the editor's services, as the write API uses them) ------


def edit_and_publish(app: Any, resource: str, entity_id: int, data: dict[str, Any]) -> None:
    """Change the working copy and publish it (all its languages)."""
    from ifm_api.core import db
    from ifm_api.core.content import REGISTRY
    from ifm_api.core.editing import get_entity, publish_item, update_item

    spec = REGISTRY[resource]
    with app.app_context(), db.transaction():
        entity = get_entity(spec, entity_id)
        update_item(spec, entity, data, expected_version=entity.version, author="tests")
        publish_item(
            spec,
            entity,
            languages=None,
            publish_at=None,
            expected_version=entity.version,
            author="tests",
        )


def edit_draft(app: Any, resource: str, entity_id: int, data: dict[str, Any]) -> None:
    """Change only the working copy (the public keeps the published version)."""
    from ifm_api.core import db
    from ifm_api.core.content import REGISTRY
    from ifm_api.core.editing import get_entity, update_item

    spec = REGISTRY[resource]
    with app.app_context(), db.transaction():
        entity = get_entity(spec, entity_id)
        update_item(spec, entity, data, expected_version=entity.version, author="tests")


def unpublish(app: Any, resource: str, entity_id: int, languages: list[str] | None = None) -> None:
    from ifm_api.core import db
    from ifm_api.core.content import REGISTRY
    from ifm_api.core.editing import get_entity, unpublish_item

    spec = REGISTRY[resource]
    with app.app_context(), db.transaction():
        entity = get_entity(spec, entity_id)
        unpublish_item(
            spec, entity, languages=languages, expected_version=entity.version, author="tests"
        )


def publish_then_fail(app: Any) -> None:
    """Create and publish a news item in a transaction that then fails: nothing may remain
    of it (no item, no change event, no webhook delivery)."""
    import pytest

    from ifm_api.core import db
    from ifm_api.core.content import REGISTRY
    from ifm_api.core.editing import create_item, publish_item

    spec = REGISTRY["news"]
    with pytest.raises(RuntimeError), app.app_context(), db.transaction():
        entity = create_item(spec, {"translations": {"de": {"title": "Nie"}}}, author="tests")
        publish_item(
            spec,
            entity,
            languages=None,
            publish_at=None,
            expected_version=entity.version,
            author="tests",
        )
        db.session().flush()
        raise RuntimeError("the write fails after the publish")


def links(response: Any) -> dict[str, str]:
    """The RFC 8288 ``Link`` header as ``{rel: url}``, without ``alternate`` links (feeds)."""
    result = {}
    for part in response.headers.get("Link", "").split(","):
        if not part.strip():
            continue
        url, _sep, params = part.partition(";")
        rel = params.split("rel=", 1)[1].split(";")[0].strip().strip('"')
        if rel != "alternate":
            result[rel] = url.strip().strip("<>")
    return result
