"""Feeds (RSS 2.0, Atom 1.0, JSON Feed 1.1) of news and reports, and the sitemap."""

from __future__ import annotations

import re
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from importlib import resources
from typing import Any

import feedparser
import pytest
from factories import edit_and_publish, edit_draft, news, person, report
from flask import Flask
from flask.testing import FlaskClient

from ifm_api.core import db
from ifm_api.core.content import REGISTRY
from ifm_api.core.editing import get_entity, update_item
from ifm_api.core.media import store_file

SITE = "https://www.ifm.example"
XML_FEEDS = [(resource, fmt) for resource in ("news", "reports") for fmt in ("rss", "atom")]
ALL_FEEDS = [(resource, fmt) for resource in ("news", "reports") for fmt in ("rss", "atom", "json")]
MEDIA_TYPES = {
    "rss": "application/rss+xml",
    "atom": "application/atom+xml",
    "json": "application/feed+json",
}
SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
XHTML_NS = "{http://www.w3.org/1999/xhtml}"
RFC_822 = re.compile(r"^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}$")
RFC_3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2}|Z)$")


DEMO_PDF = "kurzbericht-integrationsmanagement-bw.pdf"


@pytest.fixture
def pdf(app: Flask) -> dict[str, Any]:
    """A stored PDF: its media id and its bytes."""
    data = resources.files("ifm_api.demo").joinpath(DEMO_PDF).read_bytes()
    with app.app_context(), db.transaction():
        media = store_file(data, "kurzbericht.pdf", "application/pdf", author="tests")
        db.session().flush()
        media_id = media.id
    return {"id": media_id, "data": data}


@pytest.fixture
def content(make_item: Callable[..., int], pdf: dict[str, Any]) -> dict[str, int]:
    """A bilingual news item and a bilingual report with authors, tags, body and a PDF."""
    author = person(make_item, "Bettina", "Müller", honorific_prefix="Dr.")
    news_id = news(
        make_item,
        {
            "title": "Kurzbericht veröffentlicht",
            "teaser": "Erste Erkenntnisse & Ergebnisse.",
            "body": "<p>Der <strong>Kurzbericht</strong> steht bereit.</p>",
        },
        {
            "title": "Short report published",
            "teaser": "First insights & results.",
            "body": "<p>The <strong>short report</strong> is available.</p>",
        },
        people=[author],
        tags=["integration", "evaluation"],
    )
    report_id = report(
        make_item,
        {"title": "Kurzbericht Integrationsmanagement", "abstract": "<p>Der Bericht …</p>"},
        {"title": "Short report on integration management", "abstract": "<p>The report …</p>"},
        authors=[{"person": author}, {"name": "Annika Götz"}],
        files=[{"media_id": pdf["id"], "lang": "de", "label": "Kurzbericht (PDF)"}],
    )
    return {"news": news_id, "report": report_id, "person": author}


def edit_and_republish(app: Flask, resource: str, entity_id: int, data: dict[str, Any]) -> None:
    edit_and_publish(app, resource, entity_id, data)


def parsed(client: FlaskClient, url: str) -> feedparser.FeedParserDict:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)
    feed = feedparser.parse(response.get_data())
    assert feed.bozo == 0, feed.get("bozo_exception")
    return feed


def titles(client: FlaskClient, resource: str, fmt: str, lang: str = "de") -> list[str]:
    url = f"/feeds/{resource}.{fmt}?lang={lang}"
    if fmt == "json":
        return [item["title"] for item in client.get(url).get_json()["items"]]
    return [entry.title for entry in parsed(client, url).entries]


# --- validity ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("resource", "fmt"), XML_FEEDS)
@pytest.mark.parametrize("lang", ["de", "en"])
def test_reader_xml_feed_parses_without_errors(
    client: FlaskClient, content: dict[str, int], resource: str, fmt: str, lang: str
):
    response = client.get(f"/feeds/{resource}.{fmt}?lang={lang}")
    assert response.status_code == 200
    assert response.mimetype == MEDIA_TYPES[fmt]
    assert response.headers["Content-Language"] == lang
    feed = feedparser.parse(response.get_data())
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.version == ("rss20" if fmt == "rss" else "atom10")
    assert feed.feed.language == lang
    assert feed.feed.title
    self_links = [link.href for link in feed.feed.links if link.rel == "self"]
    assert self_links == [f"http://localhost/feeds/{resource}.{fmt}?lang={lang}"]
    assert len(feed.entries) == 1


def test_reader_rss_uses_rfc_822_dates_and_atom_rfc_3339(
    client: FlaskClient, content: dict[str, int]
):
    rss = ET.fromstring(client.get("/feeds/news.rss?lang=de").get_data())
    pub_date = rss.findtext("channel/item/pubDate")
    assert RFC_822.match(pub_date)
    assert parsedate_to_datetime(pub_date) == datetime(2019, 12, 27, 10, tzinfo=UTC)
    assert RFC_822.match(rss.findtext("channel/lastBuildDate"))

    atom = ET.fromstring(client.get("/feeds/news.atom?lang=de").get_data())
    ns = {"a": "http://www.w3.org/2005/Atom"}
    assert atom.get("{http://www.w3.org/XML/1998/namespace}lang") == "de"
    for path in ("a:updated", "a:entry/a:updated", "a:entry/a:published"):
        assert RFC_3339.match(atom.findtext(path, namespaces=ns)), path


def test_reader_json_feed_has_the_required_json_feed_fields(
    client: FlaskClient, content: dict[str, int]
):
    response = client.get("/feeds/news.json?lang=en")
    assert response.status_code == 200
    assert response.mimetype == "application/feed+json"
    feed = response.get_json()
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["title"]
    assert feed["language"] == "en"
    assert feed["feed_url"] == "http://localhost/feeds/news.json?lang=en"
    assert feed["home_page_url"].startswith(SITE)
    [item] = feed["items"]
    assert isinstance(item["id"], str) and item["id"]
    assert "content_html" in item or "content_text" in item
    assert item["content_html"] == "<p>The <strong>short report</strong> is available.</p>"
    assert item["summary"] == "First insights & results."
    assert item["tags"] == ["integration", "evaluation"]
    assert item["authors"] == [{"name": "Dr. Bettina Müller"}]
    assert RFC_3339.match(item["date_published"])


def test_reader_json_feed_item_without_body_has_content_text(client: FlaskClient, make_item):
    news(make_item, "Nur ein Titel")
    [item] = client.get("/feeds/news.json").get_json()["items"]
    assert item["content_text"] == "Nur ein Titel"
    assert "content_html" not in item


# --- language ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("resource", "fmt"), ALL_FEEDS)
def test_reader_feed_items_are_in_the_requested_language(
    client: FlaskClient, content: dict[str, int], resource: str, fmt: str
):
    german = titles(client, resource, fmt, "de")
    english = titles(client, resource, fmt, "en")
    assert german == [
        "Kurzbericht veröffentlicht" if resource == "news" else "Kurzbericht Integrationsmanagement"
    ]
    assert english == [
        "Short report published" if resource == "news" else "Short report on integration management"
    ]


@pytest.mark.parametrize(
    ("lang", "title"), [("de", "ifm Mannheim: Aktuelles"), ("en", "ifm Mannheim: News")]
)
def test_reader_feed_title_is_in_the_feeds_language(client: FlaskClient, lang: str, title: str):
    assert parsed(client, f"/feeds/news.rss?lang={lang}").feed.title == title
    assert parsed(client, f"/feeds/news.atom?lang={lang}").feed.title == title
    assert client.get(f"/feeds/news.json?lang={lang}").get_json()["title"] == title


def test_reader_feed_without_lang_is_in_the_default_language_whatever_accept_language(
    client: FlaskClient, content: dict[str, int]
):
    response = client.get("/feeds/news.json", headers={"Accept-Language": "en"})
    assert response.headers["Content-Language"] == "de"
    assert response.get_json()["language"] == "de"
    assert [i["title"] for i in response.get_json()["items"]] == ["Kurzbericht veröffentlicht"]


def test_reader_feed_leaves_out_items_without_translation(client: FlaskClient, make_item):
    news(make_item, "Nur auf Deutsch", published_at=datetime(2020, 1, 2, tzinfo=UTC))
    news(make_item, "Zweisprachig", "Bilingual", published_at=datetime(2020, 1, 1, tzinfo=UTC))
    assert titles(client, "news", "rss", "en") == ["Bilingual"]
    assert titles(client, "news", "rss", "de") == ["Nur auf Deutsch", "Zweisprachig"]


def test_reader_feed_never_fills_fields_from_another_language(client: FlaskClient, make_item):
    news(
        make_item,
        {"title": "Titel", "teaser": "Deutscher Anriss", "body": "<p>Deutsch</p>"},
        {"title": "Title", "body": "<p>English</p>"},
    )
    [item] = client.get("/feeds/news.json?lang=en").get_json()["items"]
    assert item["content_html"] == "<p>English</p>"
    assert "summary" not in item
    [entry] = parsed(client, "/feeds/news.atom?lang=en").entries
    assert "Deutsch" not in str(entry)


def test_reader_feed_in_unsupported_language_is_400_problem(client: FlaskClient):
    response = client.get("/feeds/news.rss?lang=fr")
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["supported"] == ["de", "en"]


# --- links and ids -----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_reader_feed_links_point_to_the_public_website(
    client: FlaskClient, content: dict[str, int], fmt: str
):
    feed = parsed(client, f"/feeds/news.{fmt}?lang=en")
    assert feed.feed.link == f"{SITE}/"
    [entry] = feed.entries
    assert entry.link == f"{SITE}/en/news/short-report-published"
    assert "/api/" not in entry.link


def test_reader_json_feed_links_point_to_the_public_website(
    client: FlaskClient, content: dict[str, int]
):
    [item] = client.get("/feeds/reports.json?lang=de").get_json()["items"]
    assert item["url"] == f"{SITE}/de/reports/kurzbericht-integrationsmanagement"


def test_reader_guids_are_unique_per_item_and_language(client: FlaskClient, make_item):
    for n in range(3):
        news(make_item, f"Nachricht {n}", f"News {n}")
    ids = [
        entry.id
        for lang in ("de", "en")
        for entry in parsed(client, f"/feeds/news.rss?lang={lang}").entries
    ]
    assert len(ids) == 6 == len(set(ids))
    assert all(
        re.match(r"^tag:www\.ifm\.example,\d{4}-\d{2}-\d{2}:news/\d+/(de|en)$", i) for i in ids
    )


@pytest.mark.parametrize("fmt", ["rss", "atom", "json"])
def test_reader_guid_is_unchanged_after_edit_and_republish(
    app: Flask, client: FlaskClient, content: dict[str, int], fmt: str
):
    def entry_ids() -> list[str]:
        url = f"/feeds/news.{fmt}?lang=de"
        if fmt == "json":
            return [item["id"] for item in client.get(url).get_json()["items"]]
        return [entry.id for entry in parsed(client, url).entries]

    before = entry_ids()
    edit_and_republish(
        app,
        "news",
        content["news"],
        {"translations": {"de": {"title": "Neuer Titel", "slug": "neuer-titel"}}},
    )
    assert titles(client, "news", fmt, "de") == ["Neuer Titel"]
    assert entry_ids() == before


# --- visibility --------------------------------------------------------------------------------


@pytest.mark.parametrize(("resource", "fmt"), ALL_FEEDS)
def test_reader_feed_hides_drafts_and_scheduled_items(
    client: FlaskClient, make_item, resource: str, fmt: str
):
    build = news if resource == "news" else report
    build(make_item, "Öffentlich")
    build(make_item, "Entwurf", publish=False)
    build(make_item, "Geplant", publish_at=datetime.now(UTC) + timedelta(days=1))
    assert titles(client, resource, fmt, "de") == ["Öffentlich"]


def test_reader_feed_hides_working_copy_changes(app: Flask, client: FlaskClient, make_item):
    news_id = news(make_item, "Veröffentlicht")
    spec = REGISTRY["news"]
    with app.app_context(), db.transaction():
        entity = get_entity(spec, news_id)
        update_item(
            spec,
            entity,
            {"translations": {"de": {"title": "Entwurfstitel"}}},
            expected_version=entity.version,
            author="tests",
        )
    assert titles(client, "news", "atom", "de") == ["Veröffentlicht"]


def test_reader_scheduled_item_appears_on_time_and_changes_the_etag(client: FlaskClient, make_item):
    news(make_item, "Schon da", published_at=datetime(2020, 1, 1, tzinfo=UTC))
    news(
        make_item,
        "Geplant",
        published_at=None,
        publish_at=datetime.now(UTC) + timedelta(seconds=1.5),
    )
    first = client.get("/feeds/news.rss")
    assert [e.title for e in feedparser.parse(first.get_data()).entries] == ["Schon da"]
    time.sleep(1.6)
    later = client.get("/feeds/news.rss", headers={"If-None-Match": first.headers["ETag"]})
    assert later.status_code == 200
    assert later.headers["ETag"] != first.headers["ETag"]
    assert [e.title for e in feedparser.parse(later.get_data()).entries] == ["Geplant", "Schon da"]
    assert parsedate_to_datetime(later.headers["Last-Modified"]) >= parsedate_to_datetime(
        first.headers["Last-Modified"]
    )


# --- authors, summaries, enclosures -------------------------------------------------------------


def test_reader_rss_has_summary_content_authors_and_categories(
    client: FlaskClient, content: dict[str, int]
):
    [entry] = parsed(client, "/feeds/news.rss?lang=de").entries
    assert entry.summary == "Erste Erkenntnisse & Ergebnisse."
    assert entry.content[0].value == "<p>Der <strong>Kurzbericht</strong> steht bereit.</p>"
    assert entry.author == "Dr. Bettina Müller"
    assert [tag.term for tag in entry.tags] == ["integration", "evaluation"]


def test_reader_atom_report_lists_people_and_external_authors(
    client: FlaskClient, content: dict[str, int]
):
    [entry] = parsed(client, "/feeds/reports.atom?lang=en").entries
    assert [a.name for a in entry.authors] == ["Dr. Bettina Müller", "Annika Götz"]
    assert entry.summary == "<p>The report …</p>"


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_reader_report_enclosure_has_the_files_real_length_and_type(
    client: FlaskClient, content: dict[str, int], pdf: dict[str, Any], fmt: str
):
    [entry] = parsed(client, f"/feeds/reports.{fmt}?lang=en").entries
    [enclosure] = entry.enclosures
    assert int(enclosure.length) == len(pdf["data"])
    assert enclosure.type == "application/pdf"
    assert enclosure.href.startswith("http://localhost/api/v1/media/")
    download = client.get(enclosure.href)
    assert download.status_code == 200
    assert download.mimetype == "application/pdf"
    assert download.get_data() == pdf["data"]


@pytest.mark.parametrize("fmt", ["rss", "atom", "json"])
def test_stored_entries_take_the_asking_hosts_api_root(
    client: FlaskClient, content: dict[str, int], fmt: str
):
    """Entries are rendered at write time; the API root of each request goes in at read time."""
    body = client.get(f"/feeds/reports.{fmt}?lang=en", base_url="https://api.other.example").data
    text = body.decode()
    assert "https://api.other.example/api/v1/media/" in text
    assert "http://localhost/api/v1/media/" not in text
    assert "Müller" in text and "\x01" not in text


def test_reader_json_feed_report_has_attachments(
    client: FlaskClient, content: dict[str, int], pdf: dict[str, Any]
):
    [item] = client.get("/feeds/reports.json?lang=de").get_json()["items"]
    [attachment] = item["attachments"]
    assert attachment["mime_type"] == "application/pdf"
    assert attachment["size_in_bytes"] == len(pdf["data"])
    assert attachment["url"] == f"http://localhost/api/v1/media/{pdf['id']}/kurzbericht.pdf"
    assert item["content_html"] == "<p>Der Bericht …</p>"
    assert item["summary"] == "Der Bericht …"
    assert item["authors"] == [{"name": "Dr. Bettina Müller"}, {"name": "Annika Götz"}]


# --- caching -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["/feeds/news.rss?lang=en", "/feeds/reports.atom", "/feeds/news.json", "/sitemap.xml"]
)
def test_reader_conditional_repeat_is_304(client: FlaskClient, content: dict[str, int], url: str):
    first = client.get(url)
    assert first.status_code == 200
    assert first.headers["Cache-Control"].startswith("public")
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]

    by_etag = client.get(url, headers={"If-None-Match": etag})
    assert by_etag.status_code == 304
    assert by_etag.headers["ETag"] == etag
    assert by_etag.get_data() == b""

    by_date = client.get(url, headers={"If-Modified-Since": modified})
    assert by_date.status_code == 304

    earlier = parsedate_to_datetime(modified) - timedelta(seconds=1)
    stale = client.get(
        url, headers={"If-Modified-Since": earlier.strftime("%a, %d %b %Y %H:%M:%S GMT")}
    )
    assert stale.status_code == 200


def test_reader_feed_etag_changes_after_republish(
    app: Flask, client: FlaskClient, content: dict[str, int]
):
    first = client.get("/feeds/news.atom")
    edit_and_republish(app, "news", content["news"], {"translations": {"de": {"title": "Neu"}}})
    again = client.get("/feeds/news.atom", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200
    assert again.headers["ETag"] != first.headers["ETag"]


# --- limit -------------------------------------------------------------------------------------


def test_reader_feed_lists_newest_fifty_by_default_and_limit_up_to_200(
    client: FlaskClient, make_item
):
    start = datetime(2020, 1, 1, tzinfo=UTC)
    for n in range(52):
        news(make_item, f"Nachricht {n:02d}", published_at=start + timedelta(days=n))
    items = client.get("/feeds/news.json").get_json()["items"]
    assert len(items) == 50
    assert items[0]["title"] == "Nachricht 51"
    assert len(client.get("/feeds/news.json?limit=200").get_json()["items"]) == 52
    assert titles(client, "news", "rss", "de")[:2] == ["Nachricht 51", "Nachricht 50"]
    assert len(parsed(client, "/feeds/news.atom?limit=3").entries) == 3


@pytest.mark.parametrize("limit", ["201", "0", "many"])
def test_reader_feed_with_bad_limit_is_400_problem(client: FlaskClient, limit: str):
    response = client.get(f"/feeds/news.rss?limit={limit}")
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert "limit" in response.get_json()["errors"]


def test_reader_feed_query_count_does_not_grow_with_items(
    client: FlaskClient, make_item, pdf: dict[str, Any], count_queries
):
    author = person(make_item)

    def add(n: int) -> None:
        for i in range(n):
            news(make_item, f"Nachricht {i}", f"News {i}", people=[author], tags=["a", "b"])
            report(
                make_item,
                f"Bericht {i}",
                authors=[{"person": author}, {"name": "Extern"}],
                files=[{"media_id": pdf["id"], "lang": "de"}],
            )

    def counts() -> list[int]:
        result = []
        for url in ("/feeds/news.rss", "/feeds/reports.atom", "/feeds/reports.json"):
            with count_queries() as counter:
                response = client.get(url)
                assert response.status_code == 200
            result.append(counter.count)
        return result

    add(2)
    few = counts()
    add(8)
    assert counts() == few


# --- discovery ---------------------------------------------------------------------------------


@pytest.mark.parametrize("resource", ["news", "reports"])
def test_reader_list_advertises_its_feeds_in_the_link_header(
    client: FlaskClient, content: dict[str, int], resource: str
):
    link = client.get(f"/api/v1/{resource}?lang=en").headers["Link"]
    for fmt, media_type in MEDIA_TYPES.items():
        expected = (
            f'<http://localhost/feeds/{resource}.{fmt}?lang=en>; rel="alternate"; '
            f'type="{media_type}"; hreflang="en"'
        )
        assert expected in link


def test_reader_list_without_feeds_advertises_none(client: FlaskClient, content: dict[str, int]):
    assert "/feeds/" not in client.get("/api/v1/people").headers["Link"]


# --- sitemap -----------------------------------------------------------------------------------


def sitemap(client: FlaskClient) -> ET.Element:
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    return ET.fromstring(response.get_data())


def test_reader_sitemap_lists_every_language_version_with_hreflang_alternates(
    client: FlaskClient, content: dict[str, int], make_item
):
    news(make_item, "Nur auf Deutsch")
    news(make_item, "Entwurf", "Draft", publish=False)
    root = sitemap(client)
    assert root.tag == f"{SITEMAP_NS}urlset"
    urls = {url.findtext(f"{SITEMAP_NS}loc"): url for url in root.findall(f"{SITEMAP_NS}url")}
    german = f"{SITE}/de/news/kurzbericht-veroeffentlicht"
    english = f"{SITE}/en/news/short-report-published"
    assert {german, english, f"{SITE}/de/news/nur-auf-deutsch"} <= set(urls)
    assert f"{SITE}/de/reports/kurzbericht-integrationsmanagement" in urls
    assert f"{SITE}/de/people/bettina-mueller" in urls
    assert not any("entwurf" in loc or "draft" in loc for loc in urls)
    for loc in (german, english):
        alternates = {
            link.get("hreflang"): link.get("href")
            for link in urls[loc].findall(f"{XHTML_NS}link")
            if link.get("rel") == "alternate"
        }
        assert alternates == {"de": german, "en": english, "x-default": german}
        assert RFC_3339.match(urls[loc].findtext(f"{SITEMAP_NS}lastmod"))


def test_reader_sitemap_x_default_of_english_only_item_is_the_english_version(
    client: FlaskClient, make_item
):
    news(make_item, None, "English only")
    [url] = sitemap(client).findall(f"{SITEMAP_NS}url")
    alternates = {link.get("hreflang"): link.get("href") for link in url.findall(f"{XHTML_NS}link")}
    assert alternates == {
        "en": f"{SITE}/en/news/english-only",
        "x-default": f"{SITE}/en/news/english-only",
    }


def test_reader_empty_sitemap_is_valid(client: FlaskClient):
    root = sitemap(client)
    assert root.tag == f"{SITEMAP_NS}urlset"
    assert list(root) == []


# --- Last-Modified never goes backwards ------------------------------------------------------


def delete_item(client: FlaskClient, editor: dict[str, str], item: int, hard: bool = False) -> Any:
    current = client.get(f"/api/v1/news/{item}?lang=all&version=draft", headers=editor)
    return client.delete(
        f"/api/v1/news/{item}" + ("?hard=true" if hard else ""),
        headers={**editor, "If-Match": current.headers["ETag"]},
    )


def _http_date(response: Any) -> datetime:
    return parsedate_to_datetime(response.headers["Last-Modified"])


@pytest.mark.parametrize("url", ["/feeds/news.atom?lang=en", "/sitemap.xml"])
@pytest.mark.parametrize("removal", ["unpublish_en", "delete", "hard_delete"])
def test_reader_last_modified_moves_forward_when_an_item_leaves(
    app: Flask, client: FlaskClient, make_item, token, url: str, removal: str
):
    old = news(make_item, "Alt", "Old", published_at=datetime(2018, 1, 1, tzinfo=UTC))
    new = news(make_item, "Neu", "New", published_at=datetime(2019, 1, 1, tzinfo=UTC))
    before = client.get(url)
    assert before.status_code == 200
    modified = before.headers["Last-Modified"]

    editor = token("editor")
    if removal == "delete":
        assert delete_item(client, editor, new).status_code == 204
    elif removal == "hard_delete":  # the database cascades its stored rows away
        assert delete_item(client, token("admin"), new, hard=True).status_code == 204
    else:
        response = client.post(
            f"/api/v1/news/{new}/unpublish", json={"languages": ["en"]}, headers=editor
        )
        assert response.status_code == 200, response.get_json()
    after = client.get(url)
    assert after.get_data() != before.get_data()
    assert _http_date(after) > _http_date(before)
    assert client.get(url, headers={"If-Modified-Since": modified}).status_code == 200
    again = client.get(url, headers={"If-Modified-Since": after.headers["Last-Modified"]})
    assert again.status_code == 304
    assert old


def test_reader_feed_of_items_that_all_left_keeps_a_last_modified(
    client: FlaskClient, make_item, token
):
    only = news(make_item, "Einzig", "Only one")
    before = client.get("/feeds/news.rss?lang=en")
    assert delete_item(client, token("editor"), only).status_code == 204
    after = client.get("/feeds/news.rss?lang=en")
    assert feedparser.parse(after.get_data()).entries == []
    assert _http_date(after) > _http_date(before)
    stale = client.get(
        "/feeds/news.rss?lang=en", headers={"If-Modified-Since": before.headers["Last-Modified"]}
    )
    assert stale.status_code == 200


def test_reader_a_draft_edit_does_not_move_last_modified(
    app: Flask, client: FlaskClient, make_item
):
    item = news(make_item, "Stabil", "Stable")
    before = client.get("/feeds/news.atom")
    edit_draft(app, "news", item, {"translations": {"de": {"title": "Entwurf"}}})
    after = client.get("/feeds/news.atom")
    assert after.headers["Last-Modified"] == before.headers["Last-Modified"]
    assert after.headers["ETag"] == before.headers["ETag"]
