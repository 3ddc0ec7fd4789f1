"""Keyset marks (``core.read.marks``): a deep page starts at a mark and is still the page.

With marks every 4 rows, a list of a few dozen items has many of them; every page of the
default order, in every read language and fallback mode, must be the slice of the whole
list (page 1 at page size 100, read without marks) that the content read path renders,
after creates, deletes, unpublishing, a per-language publish, a date that moves an item
across marks, and a scheduled item going public between writes.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from factories import edit_and_publish, news, person
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, func, select, update
from test_read_model import assert_list_matches, problems

from ifm_api.cli import main
from ifm_api.core import db
from ifm_api.core.content import REGISTRY
from ifm_api.core.db import utcnow
from ifm_api.core.editing import delete_item, get_entity, unpublish_item
from ifm_api.core.read import marks
from ifm_api.core.read.model import PublicMark

READS = [("de", True), ("de", False), ("en", True), ("en", False), ("all", True)]
DAY = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _marks_every_four(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(marks, "EVERY", 4)
    yield


def ids(client: FlaskClient, url: str) -> tuple[list[int], dict[str, int]]:
    response = client.get(url)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    return [item["id"] for item in body["items"]], body["meta"]


def assert_every_page(client: FlaskClient, app: Flask, resource: str = "news") -> None:
    """Each page (sizes 3 and 5) of every read is the slice of the whole list."""
    for lang, fallback in READS:
        assert_list_matches(client, app, resource, lang, fallback=fallback)
        base = f"/api/v1/{resource}?lang={lang}" + ("" if fallback else "&fallback=false")
        whole, meta = ids(client, f"{base}&page_size=100")
        for size in (3, 5):
            pages = -(-len(whole) // size)
            paged = []
            for page in range(1, pages + 2):
                found, page_meta = ids(client, f"{base}&page_size={size}&page={page}")
                assert page_meta["total"] == meta["total"], (lang, fallback, size, page)
                paged.extend(found)
            assert paged == whole, (resource, lang, fallback, size)
    assert problems(app) == []


def mark_count(app: Flask) -> int:
    with app.app_context():
        return db.session().scalar(select(func.count(PublicMark.id))) or 0


def many_news(make_item, count: int = 40) -> list[int]:
    """News with ties on the date, some in one language only."""
    made = []
    for n in range(count):
        titles = {"de": f"Nachricht {n}", "en": f"News {n}" if n % 3 else None}
        if n % 7 == 0:
            titles = {"de": None, "en": f"Only English {n}"}
        made.append(news(make_item, **titles, published_at=DAY + (n // 3) * timedelta(days=1)))
    return made


def test_every_page_is_the_slice_of_the_whole_list_across_writes(
    app: Flask, client: FlaskClient, make_item
):
    made = many_news(make_item)
    assert mark_count(app) > 20  # de, en and all, lenient and strict: several marks each
    assert_every_page(client, app)
    spec = REGISTRY["news"]
    with app.app_context(), db.transaction():  # a delete, an unpublish, one language gone
        for entity_id, action in zip(
            made[3:6], ("delete", "unpublish", "unpublish_de"), strict=True
        ):
            entity = get_entity(spec, entity_id)
            if action == "delete":
                delete_item(spec, entity, expected_version=entity.version, author="t")
            else:
                languages = ["de"] if action == "unpublish_de" else None
                unpublish_item(
                    spec, entity, languages=languages, expected_version=entity.version, author="t"
                )
    assert_every_page(client, app)
    # dates that move items across many marks, both ways
    edit_and_publish(app, "news", made[1], {"published_at": DAY + timedelta(days=30)})
    edit_and_publish(app, "news", made[-1], {"published_at": DAY - timedelta(days=30)})
    news(make_item, de="Neu", en="New", published_at=DAY + timedelta(days=5))
    news(make_item, de="Nur Deutsch", published_at=DAY + timedelta(days=2), languages=["de"])
    assert_every_page(client, app)


def test_a_scheduled_item_going_public_between_writes(app: Flask, client: FlaskClient, make_item):
    """Until the next write the marks are as of before it: reads take the OFFSET path."""
    many_news(make_item, 24)
    soon = utcnow() + timedelta(seconds=4)
    news(
        make_item, de="Gleich da", en="Soon", published_at=DAY + timedelta(days=4), publish_at=soon
    )
    assert_every_page(client, app)
    time.sleep(max(0.0, (soon - utcnow()).total_seconds()) + 0.1)
    assert_every_page(client, app)
    news(make_item, de="Danach", published_at=DAY + timedelta(days=1))  # rebuilds moved marks
    assert_every_page(client, app)


def test_a_list_whose_sort_key_can_be_null_holds_no_marks_and_pages_right(
    app: Flask, client: FlaskClient, make_item
):
    for n in range(12):
        person(make_item, f"Vorname{n}", f"Name{n:02d}")
    assert_every_page(client, app, "people")
    with app.app_context():
        people = db.session().scalar(
            select(func.count(PublicMark.id)).where(PublicMark.type == "person")
        )
    assert people and people > 0  # people sort by family name: never NULL, keyed


def test_a_deep_page_is_still_two_statements(
    app: Flask, client: FlaskClient, make_item, count_queries
):
    many_news(make_item, 30)
    client.get("/api/v1/news?page_size=3&page=5")
    with count_queries() as counter:
        response = client.get("/api/v1/news?page_size=3&page=6&lang=de")
    assert response.status_code == 200
    assert counter.count == 2, counter.statements
    assert "public_marks" in counter.statements[0]
    assert "public_items.sort_time <=" in counter.statements[1]  # the page starts at a mark


def test_readmodel_check_finds_a_wrong_mark_and_rebuild_repairs_it(
    app: Flask, client: FlaskClient, make_item
):
    many_news(make_item, 20)
    runner = app.test_cli_runner()
    assert runner.invoke(main, ["readmodel", "check"]).exit_code == 0
    with app.app_context(), db.transaction() as session:
        first = session.scalar(select(func.min(PublicMark.id)))
        session.execute(
            update(PublicMark).where(PublicMark.id == first).values(rest=PublicMark.rest + 1)
        )
    result = runner.invoke(main, ["readmodel", "check"])
    assert result.exit_code == 1
    assert "marks news/" in result.output and " is row " in result.output, result.output
    assert len(problems(app)) == 1
    assert runner.invoke(main, ["readmodel", "rebuild"]).exit_code == 0
    assert runner.invoke(main, ["readmodel", "check"]).exit_code == 0
    assert mark_count(app) > 0
    assert_every_page(client, app)


def test_db_upgrade_builds_the_marks_of_existing_content(app: Flask, make_item):
    many_news(make_item, 20)
    with app.app_context(), db.transaction() as session:
        session.execute(delete(PublicMark))
    assert any(problem.startswith("marks news/") for problem in problems(app))
    result = app.test_cli_runner().invoke(main, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert mark_count(app) > 0 and problems(app) == []


def test_a_hard_delete_in_the_middle_of_the_list(app: Flask, client: FlaskClient, make_item):
    """The database cascades the item's rows away: the write notes them before the delete
    and takes them out of the marks."""
    made = many_news(make_item, 24)
    spec = REGISTRY["news"]
    with app.app_context(), db.transaction():
        entity = get_entity(spec, made[10])
        delete_item(spec, entity, expected_version=entity.version, author="t", hard=True)
    assert_every_page(client, app)
