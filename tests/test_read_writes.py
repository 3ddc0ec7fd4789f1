"""A write rewrites only what changed of the read model (``core.read.build.write_rows``).

A stored row with the same identity as a new one is updated in place; its search entry, feed
entry and links are written again only where what they are made of changed. Whatever was
kept, every public read shows the write: details, lists, filters, search, feeds.
"""

from __future__ import annotations

from datetime import timedelta

from factories import edit_and_publish, news, person, unpublish
from flask import Flask
from flask.testing import FlaskClient
from test_read_model import problems

from ifm_api.core.db import utcnow


def searched(client: FlaskClient, words: str) -> set[int]:
    body = client.get(f"/api/v1/search?q={words}&lang=de&type=news").get_json()
    return {item["id"] for item in body["items"]}


def test_a_rename_shows_in_search_feeds_and_filters_of_every_embedding_item(
    app: Flask, client: FlaskClient, make_item
):
    berta = person(make_item, "Berta", "Altname")
    other = person(make_item, "Carl", "Bleibt")
    ids = [news(make_item, de=f"Meldung {n}", people=[berta, other]) for n in range(4)]
    assert searched(client, "Altname") == set(ids)
    edit_and_publish(app, "people", berta, {"family_name": "Neuname"})
    assert searched(client, "Neuname") == set(ids)
    assert searched(client, "Altname") == set()
    assert searched(client, "Bleibt") == set(ids)
    feed = client.get("/feeds/news.json?lang=de").get_json()
    assert {a["name"] for item in feed["items"] for a in item["authors"]} == {
        "Berta Neuname",
        "Carl Bleibt",
    }
    listed = client.get(f"/api/v1/news?person={berta}&page_size=10").get_json()
    assert {item["id"] for item in listed["items"]} == set(ids)
    assert problems(app) == []


def test_an_unlinked_person_leaves_the_filters_and_the_search(
    app: Flask, client: FlaskClient, make_item
):
    """The items' rows are updated in place: their link rows must change with them."""
    dora = person(make_item, "Dora", "Verlinkt")
    item = news(make_item, de="Mit Dora", people=[dora])
    edit_and_publish(app, "news", item, {"people": []})
    assert client.get(f"/api/v1/news?person={dora}").get_json()["items"] == []
    assert searched(client, "Verlinkt") == set()
    assert problems(app) == []


def test_rows_kept_across_a_scheduled_language_and_an_unpublish(
    app: Flask, client: FlaskClient, make_item
):
    item = news(make_item, de="Zuerst", en="First")
    later = utcnow() + timedelta(days=3)
    edit_and_publish(app, "news", item, {"translations": {"de": {"title": "Danach"}}})
    assert client.get(f"/api/v1/news/{item}?lang=de").get_json()["title"] == "Danach"
    news(make_item, de="Geplant", publish_at=later)
    unpublish(app, "news", item, languages=["en"])
    english = client.get(f"/api/v1/news/{item}?lang=en&fallback=false")
    assert english.status_code == 404
    assert client.get(f"/api/v1/news/{item}?lang=en").get_json()["title"] == "Danach"
    assert searched(client, "Danach") == {item}
    assert problems(app) == []
