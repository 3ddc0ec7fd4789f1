"""The per-worker response cache: hits are cheap, and nothing it serves is ever stale."""

from __future__ import annotations

import time
from datetime import timedelta

from ifm_api.core import db
from ifm_api.core.content import REGISTRY
from ifm_api.core.db import utcnow
from ifm_api.core.editing import get_entity, publish_item, update_item


def _news(title: str, **extra: object) -> dict[str, object]:
    return {"translations": {"de": {"title": title}}, **extra}


def test_public_repeat_read_is_served_with_one_query(client, make_item, count_queries) -> None:
    make_item("news", _news("Erste Meldung"))
    first = client.get("/api/v1/news?lang=de")
    with count_queries() as counter:
        second = client.get("/api/v1/news?lang=de")
    assert second.status_code == 200
    assert second.data == first.data
    assert second.headers["ETag"] == first.headers["ETag"]
    assert second.headers["Content-Language"] == "de"
    assert counter.count == 1


def test_public_cached_revalidation_answers_304_with_headers(client, make_item) -> None:
    make_item("news", _news("Meldung"))
    etag = client.get("/api/v1/news").headers["ETag"]
    again = client.get("/api/v1/news", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.headers["ETag"] == etag
    assert "max-age" in again.headers["Cache-Control"]
    assert again.data == b""


def test_person_rename_shows_in_news_that_embed_the_person(app, client, make_item) -> None:
    person = make_item(
        "people", {"given_name": "Bettina", "family_name": "Müller", "translations": {"de": {}}}
    )
    make_item("news", _news("Mit Person", people=[person]))
    before = client.get("/api/v1/news?include=people").get_json()
    assert before["items"][0]["people"][0]["family_name"] == "Müller"

    spec = REGISTRY["people"]
    with app.app_context(), db.transaction():
        entity = get_entity(spec, person)
        update_item(
            spec, entity, {"family_name": "Schmidt"}, expected_version=entity.version, author="t"
        )
        publish_item(
            spec,
            entity,
            languages=None,
            publish_at=None,
            expected_version=entity.version,
            author="t",
        )
    after = client.get("/api/v1/news?include=people").get_json()
    assert after["items"][0]["people"][0]["family_name"] == "Schmidt"
    assert after["items"][0]["people"][0]["name"] == "Bettina Schmidt"


def test_scheduled_item_appears_at_its_time_without_any_write(client, make_item) -> None:
    make_item("news", _news("Schon da"))
    make_item("news", _news("Geplant"), publish_at=utcnow() + timedelta(seconds=1.5))
    early = client.get("/api/v1/news").get_json()
    assert [item["title"] for item in early["items"]] == ["Schon da"]
    assert client.get("/api/v1/news").get_json()["meta"]["total"] == 1
    time.sleep(1.6)
    later = client.get("/api/v1/news").get_json()
    assert {item["title"] for item in later["items"]} == {"Schon da", "Geplant"}
    assert later["meta"]["total"] == 2


def test_requests_with_a_token_are_never_served_from_cache(
    client, make_item, token, count_queries
) -> None:
    make_item("news", _news("Öffentlich"))
    headers = token("preview")
    client.get("/api/v1/news", headers=headers)
    with count_queries() as counter:
        response = client.get("/api/v1/news", headers=headers)
    assert response.status_code == 200
    assert counter.count > 1
