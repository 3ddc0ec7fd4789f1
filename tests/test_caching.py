"""Caching headers of reads: ETag everywhere, 304 for If-None-Match, Cache-Control, Vary."""

from __future__ import annotations

import pytest
from factories import edit_and_publish, news, person, project, report, research_area
from flask import Flask
from flask.testing import FlaskClient

HEADERS_OF_304 = ("ETag", "Cache-Control", "Vary")


@pytest.fixture
def paths(make_item) -> list[str]:
    """A list, a detail and a slug read of every resource."""
    items = {
        "news": news(make_item, de="Nachricht", en="News"),
        "reports": report(make_item, de="Bericht", en="Report"),
        "projects": project(make_item, de="Projekt", en="Project"),
        "people": person(make_item, "Anna", "Arendt"),
        "research-areas": research_area(make_item, de="Team", en="Team EN"),
    }
    slugs = {
        "news": "nachricht",
        "reports": "bericht",
        "projects": "projekt",
        "people": "anna-arendt",
        "research-areas": "team",
    }
    return [
        path
        for resource, item in items.items()
        for path in (
            f"/api/v1/{resource}",
            f"/api/v1/{resource}/{item}",
            f"/api/v1/{resource}/slug/{slugs[resource]}",
        )
    ]


def test_public_reads_send_etag_and_public_cache_control(client: FlaskClient, paths: list[str]):
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["ETag"].startswith('"'), path
        assert response.headers["Cache-Control"] == "public, max-age=60", path
        assert "Accept-Language" in response.headers["Vary"], path


def test_public_read_with_matching_etag_is_304_with_same_headers(
    client: FlaskClient, paths: list[str]
):
    for path in paths:
        first = client.get(path)
        again = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304, path
        assert again.data == b""
        for name in HEADERS_OF_304:
            assert again.headers.get(name) == first.headers[name], (path, name)


def test_a_list_revalidation_answers_without_building_its_links(client: FlaskClient):
    """Pagination and feed links are representation metadata a 304 need not repeat."""
    first = client.get("/api/v1/news?page_size=1")
    assert 'rel="first"' in first.headers["Link"]
    again = client.get("/api/v1/news?page_size=1", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert again.headers["ETag"] == first.headers["ETag"]
    assert "Link" not in again.headers


@pytest.mark.parametrize("variant", ["", "?fallback=true"])
def test_public_read_with_weak_or_listed_etag_is_304(
    client: FlaskClient, paths: list[str], variant: str
):
    """Also on a first request for a URL (``?fallback=true``: same body, new URL)."""
    path = paths[1]
    etag = client.get(path).headers["ETag"]
    for value in (f"W/{etag}", f'"other", {etag}', "*"):
        response = client.get(f"{path}{variant}", headers={"If-None-Match": value})
        assert response.status_code == 304, value
        assert response.headers["ETag"] == etag


def test_public_read_with_stale_etag_is_200(client: FlaskClient, paths: list[str]):
    response = client.get(paths[1], headers={"If-None-Match": '"stale"'})
    assert response.status_code == 200
    assert response.get_json()["title"] == "Nachricht"


def test_public_read_in_other_language_has_other_etag(client: FlaskClient, paths: list[str]):
    for path in paths:
        german = client.get(f"{path}?lang=de").headers["ETag"]
        english = client.get(f"{path}?lang=en").headers["ETag"]
        assert german != english, path
        by_header = client.get(path, headers={"Accept-Language": "en"})
        # a slug names its own language version, whatever Accept-Language says
        expected = german if "/slug/" in path else english
        assert by_header.headers["ETag"] == expected, path
        stale = client.get(path, headers={"Accept-Language": "en", "If-None-Match": german})
        assert stale.status_code == (304 if "/slug/" in path else 200), path


def test_public_etag_changes_when_published_content_changes(
    app: Flask, client: FlaskClient, make_item
):
    item = news(make_item, "Vorher")
    before = client.get(f"/api/v1/news/{item}").headers["ETag"]
    listed_before = client.get("/api/v1/news").headers["ETag"]
    edit_and_publish(app, "news", item, {"translations": {"de": {"title": "Nachher"}}})
    after = client.get(f"/api/v1/news/{item}", headers={"If-None-Match": before})
    assert after.status_code == 200
    assert after.get_json()["title"] == "Nachher"
    assert after.headers["ETag"] != before
    assert client.get("/api/v1/news").headers["ETag"] != listed_before


def test_public_etag_changes_when_a_related_item_changes(
    app: Flask, client: FlaskClient, make_item
):
    anna = person(make_item, "Anna", "Arendt")
    item = news(make_item, "Nachricht", people=[anna])
    before = client.get(f"/api/v1/news/{item}").headers["ETag"]
    edit_and_publish(app, "people", anna, {"honorific_prefix": "Dr."})
    after = client.get(f"/api/v1/news/{item}")
    assert after.get_json()["people"][0]["name"] == "Dr. Anna Arendt"
    assert after.headers["ETag"] != before


def test_public_lang_all_read_has_etag_and_304(client: FlaskClient, paths: list[str]):
    first = client.get(f"{paths[1]}?lang=all")
    assert first.status_code == 200
    again = client.get(f"{paths[1]}?lang=all", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_public_former_slug_redirect_is_cacheable(app: Flask, client: FlaskClient, make_item):
    item = news(make_item, "Alter Titel")
    edit_and_publish(app, "news", item, {"translations": {"de": {"slug": "neuer-titel"}}})
    moved = client.get("/api/v1/news/slug/alter-titel")
    assert moved.status_code == 301
    assert moved.headers["Cache-Control"] == "public, max-age=60"
    assert moved.headers["ETag"]


def test_preview_reads_are_not_publicly_cacheable(client: FlaskClient, make_item, token):
    item = news(make_item, "Entwurf", publish=False)
    response = client.get(f"/api/v1/news/{item}?version=draft", headers=token("preview"))
    assert response.status_code == 200
    assert "public" not in response.headers["Cache-Control"]
    assert "Authorization" in response.headers["Vary"]


def test_a_stale_list_revalidation_gets_the_whole_new_page(
    app: Flask, client: FlaskClient, make_item
):
    """A revalidation reads the page without its documents; when the list changed since,
    the answer is the full page, with the ETag of what it now shows."""
    first_id = news(make_item, de="Erste Nachricht", en="First news")
    news(make_item, de="Zweite Nachricht", en="Second news")
    first = client.get("/api/v1/news?lang=de")
    assert first.status_code == 200
    edit_and_publish(
        app, "news", first_id, {"translations": {"de": {"title": "Erste Nachricht, neu"}}}
    )
    again = client.get("/api/v1/news?lang=de", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200
    assert again.headers["ETag"] != first.headers["ETag"]
    titles = [item["title"] for item in again.get_json()["items"]]
    assert "Erste Nachricht, neu" in titles and "Zweite Nachricht" in titles
    assert again.get_json() == client.get("/api/v1/news?lang=de").get_json()
    assert again.headers["ETag"] == client.get("/api/v1/news?lang=de").headers["ETag"]
    assert 'rel="first"' in again.headers["Link"]
    fresh = client.get("/api/v1/news?lang=de", headers={"If-None-Match": again.headers["ETag"]})
    assert fresh.status_code == 304


@pytest.mark.parametrize(
    "query", ["?lang=de", "?lang=de&include=people", "?lang=de&fallback=false"]
)
def test_a_list_revalidates_with_a_weak_or_listed_etag(client: FlaskClient, make_item, query):
    """A proxy's W/ form, or the ETag among others, answers 304 on every list variant
    (those read without documents and those read whole), with the ETag of the 200."""
    anna = person(make_item, "Anna", "Ärger")
    news(make_item, de="Förderung für Gründungen", en="Funding", people=[anna])
    path = f"/api/v1/news{query}"
    etag = client.get(path).headers["ETag"]
    for value in (f"W/{etag}", f'"other", {etag}'):
        again = client.get(path, headers={"If-None-Match": value})
        assert again.status_code == 304, (path, value)
        assert again.headers["ETag"] == etag
