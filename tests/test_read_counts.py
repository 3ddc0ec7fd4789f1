"""Stored list totals (``core.read.counts``): writes adjust them instead of counting the type.

After each write of a sequence that publishes, unpublishes, schedules and deletes, every
unfiltered list's ``total`` equals what the content read path counts, and ``readmodel check``
(which also compares the stored transitions with the rows') finds nothing.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from factories import edit_and_publish, news, person, unpublish
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from test_read_model import problems, reference_list

from ifm_api.core import db
from ifm_api.core.content import REGISTRY
from ifm_api.core.db import utcnow
from ifm_api.core.editing import delete_item, get_entity, publish_item
from ifm_api.core.read import build
from ifm_api.core.read.model import PublicItem, PublicTransition

READS = [("de", True), ("de", False), ("en", True), ("en", False), ("all", True)]


def assert_totals(client: FlaskClient, app: Flask, resource: str = "news") -> None:
    for lang, fallback in READS:
        url = f"/api/v1/{resource}?lang={lang}" + ("" if fallback else "&fallback=false")
        total = client.get(url).get_json()["meta"]["total"]
        expected = reference_list(app, resource, lang, fallback=fallback)["total"]
        assert total == expected, (resource, lang, fallback)
    assert problems(app) == []


def publish(app: Flask, resource: str, entity_id: int, **kwargs: object) -> None:
    spec = REGISTRY[resource]
    with app.app_context(), db.transaction():
        entity = get_entity(spec, entity_id)
        publish_item(
            spec,
            entity,
            languages=kwargs.get("languages"),  # type: ignore[arg-type]
            publish_at=kwargs.get("publish_at"),  # type: ignore[arg-type]
            expected_version=entity.version,
            author="t",
        )


def remove(app: Flask, resource: str, entity_id: int, *, hard: bool) -> None:
    spec = REGISTRY[resource]
    with app.app_context(), db.transaction():
        entity = get_entity(spec, entity_id)
        delete_item(spec, entity, expected_version=entity.version, author="t", hard=hard)


def test_totals_stay_right_across_publish_unpublish_schedule_and_delete(
    app: Flask, client: FlaskClient, make_item
):
    made = [news(make_item, de=f"N {n}", en=f"E {n}" if n % 2 else None) for n in range(6)]
    assert_totals(client, app)
    unpublish(app, "news", made[0])
    assert_totals(client, app)
    unpublish(app, "news", made[1], languages=["en"])
    assert_totals(client, app)
    publish(app, "news", made[0], languages=["de"])
    assert_totals(client, app)
    later = utcnow() + timedelta(days=2)
    publish(app, "news", made[1], languages=["en"], publish_at=later)  # a future transition
    assert_totals(client, app)
    scheduled = news(make_item, de="Bald", publish_at=later)
    assert_totals(client, app)
    edit_and_publish(app, "news", made[1], {"translations": {"de": {"title": "N 1 neu"}}})
    assert_totals(client, app)
    remove(app, "news", made[2], hard=False)
    assert_totals(client, app)
    remove(app, "news", made[3], hard=True)  # the database cascades its rows away
    assert_totals(client, app)
    remove(app, "news", scheduled, hard=False)  # its future transition goes with it
    assert_totals(client, app)


def test_a_transition_passed_between_writes_is_counted_once(
    app: Flask, client: FlaskClient, make_item
):
    news(make_item, de="Schon da")
    soon = utcnow() + timedelta(seconds=3)
    news(make_item, de="Gleich da", en="Soon", publish_at=soon)
    assert_totals(client, app)
    time.sleep(max(0.0, (soon - utcnow()).total_seconds()) + 0.1)
    assert_totals(client, app)  # read: the stored total plus the transition since
    news(make_item, de="Danach")  # a write folds the transition into the stored total
    assert_totals(client, app)
    with app.app_context():
        passed = db.session().scalar(
            select(func.count(PublicTransition.id)).where(PublicTransition.at <= utcnow())
        )
    assert passed == 0


def _whole_type_aggregates(statements: list[str]) -> list[str]:
    return [
        s
        for s in statements
        if "FROM public_items" in s and "GROUP BY" in s and "public_items.entity_id IN" not in s
    ]


def test_a_write_does_not_count_its_whole_type(app: Flask, make_item, count_queries):
    """A plain edit reads the stored counts, not an aggregate over every row of the type."""
    ids = [news(make_item, de=f"N {n}") for n in range(3)]
    with count_queries() as counter:
        edit_and_publish(app, "news", ids[0], {"translations": {"de": {"teaser": "Neu"}}})
    assert _whole_type_aggregates(counter.statements) == []
    assert problems(app) == []


@pytest.mark.parametrize("hard", [True, False])
def test_a_delete_does_not_count_its_whole_type(app: Flask, make_item, count_queries, hard: bool):
    """A hard delete notes the item's stored rows before the database cascades them away,
    so the counts and marks take them out like a soft delete's, with no count of the type."""
    ids = [news(make_item, de=f"N {n}", en=f"E {n}") for n in range(3)]
    with count_queries() as counter:
        remove(app, "news", ids[1], hard=hard)
    assert _whole_type_aggregates(counter.statements) == []
    assert problems(app) == []


def test_a_rename_updates_every_embedding_item_across_chunks(
    app: Flask, client: FlaskClient, make_item, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(build, "CHUNK", 4)  # the embedding items come in several chunks
    anna = person(make_item, "Anna", "Alt")
    ids = [news(make_item, de=f"N {n}", en=f"E {n}", people=[anna]) for n in range(11)]
    edit_and_publish(app, "people", anna, {"family_name": "Neu"})
    for entity_id in ids:
        for lang in ("de", "en"):
            body = client.get(f"/api/v1/news/{entity_id}?lang={lang}").get_json()
            assert [p["name"] for p in body["people"]] == ["Anna Neu"], (entity_id, lang)
    with app.app_context():
        stale = db.session().scalar(
            select(func.count(PublicItem.id)).where(PublicItem.doc.contains("Anna Alt"))
        )
    assert stale == 0
    assert_totals(client, app)
