"""The change feed (issue 13): every public change after a cursor, exactly once, in order."""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from factories import edit_and_publish, news, person, publish_then_fail, unpublish
from flask import Flask
from flask.testing import FlaskClient

from ifm_api.core import db
from ifm_api.core.content import REGISTRY
from ifm_api.core.db import utcnow
from ifm_api.core.editing import create_item, publish_item

PROBLEM = "application/problem+json"


def cursor(client: FlaskClient) -> str:
    response = client.get("/api/v1/changes")
    assert response.status_code == 200
    body = response.get_json()
    assert body["changes"] == [] and body["has_more"] is False
    return body["next_cursor"]


def follow(client: FlaskClient, since: str, query: str = "") -> tuple[list[dict[str, Any]], str]:
    """Every change after ``since`` (all pages), and the cursor to go on from."""
    seen: list[dict[str, Any]] = []
    for _ in range(1000):
        response = client.get(f"/api/v1/changes?since={since}{query}")
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        seen.extend(body["changes"])
        since = body["next_cursor"]
        if not body["has_more"]:
            return seen, since
    raise AssertionError("the feed never ends")


def summary(changes: list[dict[str, Any]]) -> list[tuple[str, int, str, str]]:
    return [(c["type"], c["id"], c["lang"], c["change"]) for c in changes]


def test_first_call_returns_the_current_cursor_and_no_changes(client: FlaskClient, make_item):
    news(make_item, de="Alt")
    since = cursor(client)
    assert follow(client, since)[0] == []
    item = news(make_item, de="Neu")
    changes, _ = follow(client, since)
    assert summary(changes) == [
        ("news", item, "de", "published"),
        ("news", item, "en", "published"),
    ]


def test_publish_carries_the_public_representation(client: FlaskClient, make_item):
    since = cursor(client)
    item = news(make_item, de="Eine Nachricht", en="A news item")
    changes, _ = follow(client, since)
    by_lang = {c["lang"]: c for c in changes}
    detail_de = client.get(f"/api/v1/news/{item}?lang=de").get_json()
    assert by_lang["de"]["item"] == detail_de
    assert by_lang["en"]["item"]["title"] == "A news item"
    assert by_lang["de"]["slug"] == detail_de["slug"]
    assert by_lang["de"]["url"] == f"http://localhost/api/v1/news/{item}?lang=de"
    assert by_lang["de"]["tags"] == ["news:list", f"news:{item}", f"news:{item}:de"]
    ids_only, _ = follow(client, since, "&fields=ids")
    assert all("item" not in c for c in ids_only)
    assert summary(ids_only) == summary(changes)


def test_update_slug_change_unpublish_and_delete(
    app: Flask, client: FlaskClient, make_item, token: Callable[..., dict[str, str]]
):
    item = news(make_item, de={"title": "Titel", "slug": "titel"})
    since = cursor(client)
    edit_and_publish(app, "news", item, {"translations": {"de": {"title": "Neuer Titel"}}})
    edit_and_publish(app, "news", item, {"translations": {"de": {"slug": "neuer-titel"}}})
    unpublish(app, "news", item)
    changes, since = follow(client, since, "&lang=de")
    assert [(c["change"], c["slug"], c["former_slug"]) for c in changes] == [
        ("updated", "titel", None),
        ("updated", "neuer-titel", "titel"),
        ("unpublished", None, "neuer-titel"),
    ]
    assert changes[0]["item"]["title"] == "Neuer Titel"
    assert changes[2]["item"] is None
    other = news(make_item, de="Weg damit")
    editor = token("editor")
    response = client.delete(f"/api/v1/news/{other}", headers={**editor, "If-Match": "*"})
    assert response.status_code == 204
    changes, _ = follow(client, since, "&lang=de")
    assert [(c["id"], c["change"]) for c in changes] == [(other, "published"), (other, "deleted")]


def test_hard_delete_shows_as_deletion(client: FlaskClient, make_item, token):
    item = news(make_item, de="Ganz weg")
    since = cursor(client)
    admin = token("admin")
    response = client.delete(f"/api/v1/news/{item}?hard=true", headers={**admin, "If-Match": "*"})
    assert response.status_code == 204
    changes, _ = follow(client, since)
    assert summary(changes) == [("news", item, "de", "deleted"), ("news", item, "en", "deleted")]


def test_embedded_item_change_updates_the_items_showing_it(
    app: Flask, client: FlaskClient, make_item
):
    anna = person(make_item, "Anna", "Alt")
    item = news(make_item, de="Mit Anna", people=[anna])
    since = cursor(client)
    edit_and_publish(app, "people", anna, {"family_name": "Neu"})
    changes, _ = follow(client, since, "&lang=de")
    assert sorted((c["type"], c["id"]) for c in changes) == [("news", item), ("person", anna)]


def test_scheduled_item_enters_the_feed_when_its_time_comes(client: FlaskClient, make_item):
    since = cursor(client)
    soon = utcnow() + timedelta(seconds=3)
    item = news(make_item, de="Gleich", publish_at=soon)
    now_item = news(make_item, de="Jetzt")
    changes, since = follow(client, since, "&lang=de")
    assert summary(changes) == [("news", now_item, "de", "published")]
    time.sleep(max(0.0, (soon - utcnow()).total_seconds()) + 0.2)
    changes, since = follow(client, since, "&lang=de")
    assert summary(changes) == [("news", item, "de", "published")]
    assert changes[0]["occurred_at"].startswith(soon.isoformat()[:19])
    assert changes[0]["item"]["title"] == "Gleich"
    assert follow(client, since)[0] == []


def test_rescheduling_replaces_the_scheduled_change(app: Flask, client: FlaskClient, make_item):
    since = cursor(client)
    later = utcnow() + timedelta(seconds=2)
    item = news(make_item, de="Geplant", publish_at=later)
    unpublish(app, "news", item)  # the schedule is cancelled before its time
    time.sleep(max(0.0, (later - utcnow()).total_seconds()) + 0.2)
    assert follow(client, since)[0] == []


def test_pages_of_the_feed_join_to_the_whole(client: FlaskClient, make_item):
    since = cursor(client)
    made = [news(make_item, de=f"Nachricht {n}") for n in range(5)]
    whole, end = follow(client, since)
    paged, paged_end = follow(client, since, "&limit=3")
    assert summary(paged) == summary(whole)
    assert [c["id"] for c in whole if c["lang"] == "de"] == made
    first = client.get(f"/api/v1/changes?since={since}&limit=3").get_json()
    assert first["has_more"] is True and len(first["changes"]) == 3
    assert paged_end == end


def test_filters_by_type_and_language(client: FlaskClient, make_item):
    since = cursor(client)
    item = news(make_item, de="Nachricht")
    anna = person(make_item, "Anna", "Muster")
    assert summary(follow(client, since, "&type=person&lang=en")[0]) == [
        ("person", anna, "en", "published")
    ]
    assert summary(follow(client, since, "&type=news&lang=de")[0]) == [
        ("news", item, "de", "published")
    ]


@pytest.mark.parametrize(
    "query",
    ["since=nonsense", "since=" + base64.urlsafe_b64encode(b"c1.x.y").decode(), "limit=501",
     "limit=0", "type=nothing", "lang=xx", "fields=all", "since="],
)  # fmt: skip
def test_bad_cursor_or_parameter_is_a_400_problem(client: FlaskClient, query: str):
    response = client.get(f"/api/v1/changes?{query}")
    assert response.status_code == 400
    assert response.mimetype == PROBLEM


def test_cursor_of_another_database_is_a_410_telling_to_start_again(client: FlaskClient):
    since = cursor(client)
    raw = base64.urlsafe_b64decode(since + "=" * (-len(since) % 4)).decode()
    version, _epoch, position = raw.split(".")
    forged = base64.urlsafe_b64encode(f"{version}.0000.{position}".encode()).decode()
    response = client.get(f"/api/v1/changes?since={forged}&lang=en")
    assert response.status_code == 410
    assert response.mimetype == PROBLEM
    assert "full sync" in response.get_json()["detail"]


def test_failed_write_emits_nothing(app: Flask, client: FlaskClient):
    since = cursor(client)
    publish_then_fail(app)
    assert follow(client, since)[0] == []


def apply(state: dict[tuple[int, str], dict[str, Any]], changes: list[dict[str, Any]]) -> None:
    for change in changes:
        key = (change["id"], change["lang"])
        if change["item"] is None:
            state.pop(key, None)
        else:
            state[key] = change["item"]


def public_list(client: FlaskClient, lang: str) -> dict[tuple[int, str], dict[str, Any]]:
    body = client.get(f"/api/v1/news?lang={lang}&page_size=100").get_json()
    return {(item["id"], lang): item for item in body["items"]}


def test_full_sync_then_deltas_reproduce_the_public_list(
    app: Flask, client: FlaskClient, make_item
):
    kept = news(make_item, de="Bleibt", en="Stays")
    changed = news(make_item, de="Ändert sich")
    gone = news(make_item, de="Geht")
    since = cursor(client)
    state = {**public_list(client, "de"), **public_list(client, "en")}
    edit_and_publish(app, "news", changed, {"translations": {"en": {"title": "Now English"}}})
    unpublish(app, "news", gone)
    unpublish(app, "news", kept, languages=["en"])
    news(make_item, de="Neu")
    changes, _ = follow(client, since, "&type=news")
    apply(state, changes)
    assert state == {**public_list(client, "de"), **public_list(client, "en")}


def test_feed_reads_make_a_constant_number_of_queries(
    client: FlaskClient, make_item, count_queries
):
    since = cursor(client)
    news(make_item, de="Eins")
    with count_queries() as one:
        assert len(client.get(f"/api/v1/changes?since={since}").get_json()["changes"]) == 2
    for n in range(5):
        news(make_item, de=f"Mehr {n}")
    with count_queries() as many:
        assert len(client.get(f"/api/v1/changes?since={since}").get_json()["changes"]) == 12
    assert one.count == many.count <= 3


def test_concurrent_writers_every_change_seen_exactly_once(
    app: Flask, client: FlaskClient, is_postgres: bool
):
    """Writers commit concurrently while a client polls with small pages: each change is
    seen once, and the feed's order is the order of each writer's own commits."""
    if not is_postgres:
        pytest.skip("concurrent commits: PostgreSQL")
    since = cursor(client)
    spec = REGISTRY["news"]
    per_writer, writers = 8, 4
    made: dict[int, list[int]] = {}
    errors: list[BaseException] = []

    def write(number: int) -> None:
        made[number] = []
        try:
            for n in range(per_writer):
                with app.app_context(), db.transaction():
                    entity = create_item(
                        spec, {"translations": {"de": {"title": f"W{number} {n}"}}}, author="t"
                    )
                    publish_item(
                        spec, entity, languages=["de"], publish_at=None,
                        expected_version=entity.version, author="t",
                    )  # fmt: skip
                    made[number].append(entity.id)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    seen: list[dict[str, Any]] = []
    poller = app.test_client()
    while any(thread.is_alive() for thread in threads):
        changes, since = follow(poller, since, "&lang=de&limit=3&fields=ids")
        seen.extend(changes)
    for thread in threads:
        thread.join()
    changes, since = follow(poller, since, "&lang=de&limit=3&fields=ids")
    seen.extend(changes)
    assert errors == []
    ids = [c["id"] for c in seen]
    assert sorted(ids) == sorted(i for group in made.values() for i in group)
    assert len(ids) == len(set(ids)) == writers * per_writer
    for group in made.values():
        assert [i for i in ids if i in group] == group


# --- purge tags ----------------------------------------------------------------------------


def tag_set(response: Any) -> set[str]:
    cache_tag = response.headers["Cache-Tag"].split(",")
    assert response.headers["Surrogate-Key"].split(" ") == cache_tag
    return set(cache_tag)


def test_cache_tags_on_lists_details_and_includes_name_every_embedded_item(
    client: FlaskClient, make_item
):
    anna = person(make_item, "Anna", "Muster")
    ben = person(make_item, "Ben", "Beispiel")
    item = news(make_item, de="Mit zweien", people=[anna, ben])
    other = news(make_item, de="Allein")
    listed = client.get("/api/v1/news?lang=de")
    assert tag_set(listed) == {
        "news", "news:list", f"news:{item}", f"news:{item}:de", f"news:{other}",
        f"news:{other}:de", f"person:{anna}", f"person:{ben}",
    }  # fmt: skip
    detail = client.get(f"/api/v1/news/{item}?lang=en")
    assert tag_set(detail) == {
        "news",
        f"news:{item}",
        f"news:{item}:en",
        f"person:{anna}",
        f"person:{ben}",
    }
    slug = detail.get_json()["slug"]
    assert tag_set(client.get(f"/api/v1/news/slug/{slug}?lang=en")) == tag_set(detail)
    included = client.get(f"/api/v1/news/{item}?lang=de&include=people")
    assert {f"person:{anna}:de", f"person:{ben}:de"} <= tag_set(included)
    etag = detail.headers["ETag"]
    cached = client.get(f"/api/v1/news/{item}?lang=en", headers={"If-None-Match": etag})
    assert cached.status_code == 304 and tag_set(cached) == tag_set(detail)
    assert {"news", "news:list"} <= tag_set(client.get("/feeds/news.rss"))
    assert "person:list" in tag_set(client.get("/sitemap.xml"))


def test_no_cache_tags_on_problems_and_drafts(client: FlaskClient, make_item, token):
    item = news(make_item, de="Entwurf", publish=False)
    assert "Cache-Tag" not in client.get(f"/api/v1/news/{item}").headers
    preview = client.get(f"/api/v1/news/{item}?version=draft", headers=token("preview"))
    assert preview.status_code == 200 and "Cache-Tag" not in preview.headers


def test_change_events_carry_the_tags_a_cached_response_holds(
    app: Flask, client: FlaskClient, make_item
):
    anna = person(make_item, "Anna", "Alt")
    item = news(make_item, de="Mit Anna", people=[anna])
    cached = tag_set(client.get(f"/api/v1/news/{item}?lang=de"))
    since = cursor(client)
    edit_and_publish(app, "people", anna, {"family_name": "Neu"})
    changes, _ = follow(client, since)
    stale = {tag for change in changes for tag in change["tags"]}
    assert cached & stale  # a purge of the event's tags drops the cached detail
    assert f"person:{anna}" in stale


def test_rebuild_logs_what_a_new_setting_changed_and_nothing_else(
    app: Flask, client: FlaskClient, make_item
):
    import dataclasses

    from ifm_api.core.read.build import rebuild

    item = news(make_item, de="Eine Nachricht")
    since = cursor(client)
    with app.app_context(), db.transaction() as session:
        rebuild(session)
    assert follow(client, since)[0] == []
    settings = app.config["IFM"]
    app.config["IFM"] = dataclasses.replace(settings, site_url="https://neu.ifm.example")
    try:
        with app.app_context(), db.transaction() as session:
            rebuild(session)
    finally:
        app.config["IFM"] = settings
    changes, _ = follow(client, since)
    assert summary(changes) == [("news", item, "de", "updated"), ("news", item, "en", "updated")]
    assert changes[0]["item"]["web_url"].startswith("https://neu.ifm.example/")


def test_language_versions_are_published_and_unpublished_on_their_own(
    client: FlaskClient, make_item, token: Callable[..., dict[str, str]]
):
    """English taken down while German stays is ``unpublished`` in ``lang=en`` (the former
    slug; ``item`` and ``served_lang`` say that English reads show the German version now);
    English published again, now or scheduled, is ``published`` there; a slug change is
    ``updated`` with the former slug."""
    editor = token("editor")
    item = news(
        make_item, de={"title": "Hallo", "slug": "hallo"}, en={"title": "Hello", "slug": "hello"}
    )
    since = cursor(client)

    entries: dict[str, dict[str, Any]] = {}

    def step(action: str, **body: Any) -> dict[str, tuple[Any, ...]]:
        nonlocal since
        if action:
            response = client.post(f"/api/v1/news/{item}/{action}", json=body, headers=editor)
            assert response.status_code == 200, response.get_json()
        changes, since = follow(client, since)
        entries.clear()
        entries.update({c["lang"]: c for c in changes})
        assert len(entries) == len(changes)
        return {
            c["lang"]: (c["change"], c["slug"], c["former_slug"], c["served_lang"]) for c in changes
        }

    unpublished = step("unpublish", languages=["en"])
    assert unpublished["en"] == ("unpublished", "hallo", "hello", "de")
    assert unpublished["de"][0] == "updated"
    assert entries["en"]["item"] == client.get(f"/api/v1/news/{item}?lang=en").get_json()
    assert entries["en"]["item"]["lang"] == "de"
    assert client.get("/api/v1/news/slug/hello?lang=en").status_code == 404
    assert step("publish", languages=["en"])["en"] == ("published", "hello", "hallo", "en")
    etag = client.get(f"/api/v1/news/{item}?lang=all&version=draft", headers=editor).headers["ETag"]
    response = client.patch(
        f"/api/v1/news/{item}",
        json={"translations": {"de": {"slug": "hallo-neu"}}},
        headers={**editor, "If-Match": etag},
    )
    assert response.status_code == 200
    assert step("publish", languages=["de"])["de"] == ("updated", "hallo-neu", "hallo", "de")
    assert step("unpublish", languages=["en"])["en"][0] == "unpublished"
    soon = utcnow() + timedelta(seconds=3)
    assert step("publish", languages=["en"], publish_at=soon.isoformat())["en"][0] == "updated"
    time.sleep(max(0.0, (soon - utcnow()).total_seconds()) + 0.2)
    assert step("")["en"] == ("published", "hello", "hallo-neu", "en")
    assert entries["en"]["item"]["title"] == "Hello"
