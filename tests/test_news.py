"""News reads: pagination, filters, sorts, detail and slug, include, and what the public sees."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from factories import (
    edit_and_publish,
    edit_draft,
    ids,
    links,
    news,
    person,
    project,
    report,
    unpublish,
)
from flask import Flask
from flask.testing import FlaskClient


def day(n: int) -> datetime:
    return datetime(2020, 1, 1, 12, tzinfo=UTC) + timedelta(days=n)


def query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlparse(url).query)


# --- pagination --------------------------------------------------------------------------------


@pytest.fixture
def many(make_item) -> list[int]:
    """25 news items, newest last created."""
    return [news(make_item, f"Nachricht {n:02d}", published_at=day(n)) for n in range(25)]


def test_public_list_defaults_to_twenty_per_page(client: FlaskClient, many: list[int]):
    response = client.get("/api/v1/news")
    assert response.status_code == 200
    body = response.get_json()
    assert body["meta"] == {"page": 1, "page_size": 20, "total": 25, "pages": 2}
    assert ids(body["items"]) == list(reversed(many))[:20]
    rels = links(response)
    assert set(rels) == {"first", "next", "last"}
    assert query(rels["first"])["page"] == ["1"]
    assert query(rels["next"])["page"] == ["2"]
    assert query(rels["last"])["page"] == ["2"]


def test_public_list_last_page_links_back(client: FlaskClient, many: list[int]):
    response = client.get("/api/v1/news?page=2")
    body = response.get_json()
    assert body["meta"] == {"page": 2, "page_size": 20, "total": 25, "pages": 2}
    assert ids(body["items"]) == list(reversed(many))[20:]
    rels = links(response)
    assert set(rels) == {"first", "prev", "last"}
    assert query(rels["prev"])["page"] == ["1"]


def test_public_list_links_keep_other_query_parameters(client: FlaskClient, many: list[int]):
    response = client.get("/api/v1/news?lang=en&page_size=5&page=2&sort=title&year=2020")
    assert response.get_json()["meta"] == {"page": 2, "page_size": 5, "total": 25, "pages": 5}
    rels = links(response)
    assert set(rels) == {"first", "prev", "next", "last"}
    for rel, page in (("first", "1"), ("prev", "1"), ("next", "3"), ("last", "5")):
        params = query(rels[rel])
        assert params["page"] == [page]
        assert params["page_size"] == ["5"]
        assert params["lang"] == ["en"]
        assert params["sort"] == ["title"]
        assert params["year"] == ["2020"]
        assert urlparse(rels[rel]).path == "/api/v1/news"


def test_public_list_page_past_the_end_is_empty_with_total(client: FlaskClient, many: list[int]):
    response = client.get("/api/v1/news?page=9&page_size=10")
    assert response.status_code == 200
    body = response.get_json()
    assert body["items"] == []
    assert body["meta"] == {"page": 9, "page_size": 10, "total": 25, "pages": 3}
    assert query(links(response)["last"])["page"] == ["3"]
    assert query(links(response)["prev"])["page"] == ["3"]


def test_public_list_accepts_page_size_one_hundred(client: FlaskClient, many: list[int]):
    body = client.get("/api/v1/news?page_size=100").get_json()
    assert len(body["items"]) == 25
    assert body["meta"]["pages"] == 1


@pytest.mark.parametrize(
    "params", ["page_size=101", "page_size=0", "page=0", "page=-1", "page=abc", "page_size=x"]
)
def test_public_list_with_bad_paging_is_400_problem(client: FlaskClient, params: str):
    response = client.get(f"/api/v1/news?{params}")
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == 400
    assert params.split("=")[0] in body["errors"]


def test_public_empty_list_has_zero_pages(client: FlaskClient):
    response = client.get("/api/v1/news")
    assert response.get_json() == {
        "items": [],
        "meta": {"page": 1, "page_size": 20, "total": 0, "pages": 0},
    }
    assert set(links(response)) == {"first", "last"}


# --- filters and sorts -------------------------------------------------------------------------


def test_public_list_filters_by_tag_ignoring_case(client: FlaskClient, make_item):
    tagged = news(make_item, "Mit Schlagwort", tags=["Integration", "evaluation"])
    news(make_item, "Ohne", tags=["other"])
    for value in ("integration", "INTEGRATION", "Evaluation"):
        body = client.get(f"/api/v1/news?tag={value}").get_json()
        assert ids(body["items"]) == [tagged]
        assert body["meta"]["total"] == 1
    assert client.get("/api/v1/news?tag=nothing").get_json()["meta"]["total"] == 0


def test_public_list_filters_by_person_project_and_report(client: FlaskClient, make_item):
    anna = person(make_item, "Anna", "Arendt")
    bert = person(make_item, "Bert", "Brecht")
    proj = project(make_item, "Projekt")
    rep = report(make_item, "Bericht")
    with_anna = news(make_item, "Anna", people=[anna], projects=[proj])
    with_bert = news(make_item, "Bert", people=[bert, anna], reports=[rep])
    news(make_item, "Keiner")
    assert set(ids(client.get(f"/api/v1/news?person={anna}").get_json()["items"])) == {
        with_anna,
        with_bert,
    }
    assert ids(client.get(f"/api/v1/news?person={bert}").get_json()["items"]) == [with_bert]
    assert ids(client.get(f"/api/v1/news?project={proj}").get_json()["items"]) == [with_anna]
    assert ids(client.get(f"/api/v1/news?report={rep}").get_json()["items"]) == [with_bert]
    combined = client.get(f"/api/v1/news?person={anna}&report={rep}").get_json()
    assert ids(combined["items"]) == [with_bert]
    assert client.get("/api/v1/news?person=999999").get_json()["meta"]["total"] == 0


def test_public_list_filters_by_year(client: FlaskClient, make_item):
    old = news(make_item, "Alt", published_at=datetime(2019, 12, 27, 10, tzinfo=UTC))
    new = news(make_item, "Neu", published_at=datetime(2020, 1, 2, 10, tzinfo=UTC))
    assert ids(client.get("/api/v1/news?year=2019").get_json()["items"]) == [old]
    assert ids(client.get("/api/v1/news?year=2020").get_json()["items"]) == [new]
    assert client.get("/api/v1/news?year=2018").get_json()["items"] == []


@pytest.mark.parametrize("params", ["year=abc", "year=20", "person=x", "sort=colour"])
def test_public_list_with_bad_filter_is_400_problem(client: FlaskClient, params: str):
    response = client.get(f"/api/v1/news?{params}")
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert params.split("=")[0] in response.get_json()["errors"]


def test_public_list_sorts_by_date_and_title(client: FlaskClient, make_item):
    b = news(make_item, de="Birnen", en="Pears", published_at=day(1))
    a = news(make_item, de="Äpfel", en="Apples", published_at=day(3))
    c = news(make_item, de="Zitronen", en="Lemons", published_at=day(2))

    def order(params: str) -> list[int]:
        return ids(client.get(f"/api/v1/news?{params}").get_json()["items"])

    assert order("") == [a, c, b]
    assert order("sort=-published_at") == [a, c, b]
    assert order("sort=published_at") == [b, c, a]
    assert order("sort=title") == [a, b, c]
    assert order("sort=-title") == [c, b, a]
    assert order("sort=title&lang=en") == [a, c, b]
    assert order("sort=-title&lang=en") == [b, c, a]


def test_public_title_sort_uses_fallback_title(client: FlaskClient, make_item):
    german_only = news(make_item, de="Kirschen")
    apples = news(make_item, de="Äpfel", en="Apples")
    zebra = news(make_item, de="Zebra", en="Zebras")
    body = client.get("/api/v1/news?sort=title&lang=en").get_json()
    assert ids(body["items"]) == [apples, german_only, zebra]


# --- detail by id and slug ---------------------------------------------------------------------


def test_public_detail_by_id_shows_the_item(client: FlaskClient, make_item):
    item = news(make_item, de={"title": "Titel", "teaser": "Kurz", "body": "<p>Lang</p>"})
    response = client.get(f"/api/v1/news/{item}")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert {k: body[k] for k in ("id", "type", "lang", "title", "teaser", "body", "slug")} == {
        "id": item,
        "type": "news",
        "lang": "de",
        "title": "Titel",
        "teaser": "Kurz",
        "body": "<p>Lang</p>",
        "slug": "titel",
    }
    assert body["url"] == f"http://localhost/api/v1/news/{item}?lang=de"
    assert body["created_at"].endswith("+00:00") and body["updated_at"].endswith("+00:00")


def test_public_detail_of_other_resource_id_is_404(client: FlaskClient, make_item):
    someone = person(make_item)
    response = client.get(f"/api/v1/news/{someone}")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


def test_public_detail_by_slug_in_either_language(client: FlaskClient, make_item):
    item = news(make_item, de="Großer Erfolg", en="Great success")
    german = client.get("/api/v1/news/slug/grosser-erfolg")
    assert german.status_code == 200
    assert (german.get_json()["id"], german.get_json()["lang"]) == (item, "de")
    english = client.get("/api/v1/news/slug/great-success?lang=en")
    assert (english.get_json()["id"], english.get_json()["title"]) == (item, "Great success")


def test_public_detail_by_german_slug_in_english_serves_english(client: FlaskClient, make_item):
    item = news(make_item, de="Großer Erfolg", en="Great success")
    response = client.get("/api/v1/news/slug/grosser-erfolg?lang=en")
    assert response.status_code == 200
    body = response.get_json()
    assert (body["id"], body["lang"], body["slug"]) == (item, "en", "great-success")


def test_public_slug_shared_by_two_languages_prefers_the_read_language(
    client: FlaskClient, make_item
):
    german = news(make_item, de="Integration", en="Inclusion")
    english = news(make_item, de="Eingliederung", en="Integration")
    assert client.get("/api/v1/news/slug/integration?lang=en").get_json()["id"] == english
    assert client.get("/api/v1/news/slug/integration?lang=de").get_json()["id"] == german
    assert client.get("/api/v1/news/slug/integration").get_json()["id"] == german
    by_header = client.get("/api/v1/news/slug/integration", headers={"Accept-Language": "en"})
    assert by_header.get_json()["id"] == english


def test_public_detail_by_unknown_slug_is_404_problem(client: FlaskClient, make_item):
    news(make_item, "Etwas")
    response = client.get("/api/v1/news/slug/gibt-es-nicht")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert "gibt-es-nicht" in response.get_json()["detail"]


def test_public_detail_by_slug_of_other_resource_is_404(client: FlaskClient, make_item):
    person(make_item, "Anna", "Arendt")
    assert client.get("/api/v1/news/slug/anna-arendt").status_code == 404


def test_public_former_slug_redirects_to_current(app: Flask, client: FlaskClient, make_item):
    item = news(make_item, de="Alter Titel", en="Old title")
    edit_and_publish(app, "news", item, {"translations": {"de": {"slug": "neuer-titel"}}})
    response = client.get("/api/v1/news/slug/alter-titel?lang=de&include=people")
    assert response.status_code == 301
    target = urlparse(response.headers["Location"])
    assert target.path == "/api/v1/news/slug/neuer-titel"
    assert query(response.headers["Location"]) == {"lang": ["de"], "include": ["people"]}
    followed = client.get("/api/v1/news/slug/alter-titel", follow_redirects=True)
    assert followed.status_code == 200
    assert followed.get_json()["id"] == item
    assert followed.get_json()["slug"] == "neuer-titel"
    assert client.get("/api/v1/news/slug/old-title").status_code == 200


def test_public_former_slug_keeps_its_language(app: Flask, client: FlaskClient, make_item):
    item = news(make_item, de="Alter Titel", en="Old title")
    edit_and_publish(app, "news", item, {"translations": {"en": {"slug": "new-title"}}})
    response = client.get("/api/v1/news/slug/old-title")
    assert response.status_code == 301
    assert urlparse(response.headers["Location"]).path == "/api/v1/news/slug/new-title"


def test_public_slug_change_in_working_copy_is_not_public(
    app: Flask, client: FlaskClient, make_item
):
    item = news(make_item, de="Alter Titel")
    edit_draft(app, "news", item, {"translations": {"de": {"slug": "neuer-titel"}}})
    assert client.get("/api/v1/news/slug/alter-titel").status_code == 200
    assert client.get("/api/v1/news/slug/neuer-titel").status_code == 404


def test_public_former_slug_of_unpublished_item_is_404(app: Flask, client: FlaskClient, make_item):
    item = news(make_item, de="Alter Titel")
    edit_and_publish(app, "news", item, {"translations": {"de": {"slug": "neuer-titel"}}})
    unpublish(app, "news", item)
    assert client.get("/api/v1/news/slug/alter-titel").status_code == 404
    assert client.get("/api/v1/news/slug/neuer-titel").status_code == 404


# --- relations and include ---------------------------------------------------------------------


@pytest.fixture
def linked(make_item) -> dict[str, int]:
    ids_ = {
        "anna": person(make_item, "Anna", "Arendt", honorific_prefix="Dr.", en="Researcher"),
        "bert": person(make_item, "Bert", "Brecht"),
        "project": project(make_item, de="Projekt", en="Project"),
        "report": report(make_item, de="Bericht", en="Report"),
    }
    ids_["news"] = news(
        make_item,
        de="Nachricht",
        en="News",
        people=[ids_["bert"], ids_["anna"]],
        projects=[ids_["project"]],
        reports=[ids_["report"]],
        tags=["integration"],
    )
    return ids_


def test_public_relations_without_include_are_summaries(
    client: FlaskClient, linked: dict[str, int]
):
    body = client.get(f"/api/v1/news/{linked['news']}?lang=en").get_json()
    assert body["people"] == [
        {
            "id": linked["bert"],
            "type": "person",
            "slug": "bert-brecht",
            "name": "Bert Brecht",
            "url": f"http://localhost/api/v1/people/{linked['bert']}?lang=en",
        },
        {
            "id": linked["anna"],
            "type": "person",
            "slug": "anna-arendt",
            "name": "Dr. Anna Arendt",
            "url": f"http://localhost/api/v1/people/{linked['anna']}?lang=en",
        },
    ]
    assert body["projects"] == [
        {
            "id": linked["project"],
            "type": "project",
            "slug": "project",
            "title": "Project",
            "url": f"http://localhost/api/v1/projects/{linked['project']}?lang=en",
        }
    ]
    assert [r["title"] for r in body["reports"]] == ["Report"]
    assert body["tags"] == ["integration"]


def test_public_include_embeds_full_items(client: FlaskClient, linked: dict[str, int]):
    response = client.get(f"/api/v1/news/{linked['news']}?lang=en&include=people,reports")
    assert response.status_code == 200
    body = response.get_json()
    anna = body["people"][1]
    assert anna["id"] == linked["anna"]
    assert anna["position"] == "Researcher"
    assert anna["lang"] == "en" and anna["given_name"] == "Anna"
    assert "translations" in anna
    assert body["reports"][0]["report_type"] == "short_report"
    assert body["reports"][0]["display_date"] == "December 27, 2019"
    assert set(body["projects"][0]) == {"id", "type", "slug", "title", "url"}


def test_public_list_include_embeds_full_items(client: FlaskClient, linked: dict[str, int]):
    body = client.get("/api/v1/news?include=projects").get_json()
    assert body["items"][0]["projects"][0]["start_date"] == "2018-05-01"
    assert set(body["items"][0]["people"][0]) == {"id", "type", "slug", "name", "url"}


@pytest.mark.parametrize("include", ["authors", "people,colour", "tags"])
def test_public_include_of_unknown_relation_is_400_problem(
    client: FlaskClient, linked: dict[str, int], include: str
):
    for path in ("/api/v1/news", f"/api/v1/news/{linked['news']}"):
        response = client.get(f"{path}?include={include}")
        assert response.status_code == 400
        assert response.mimetype == "application/problem+json"
        assert "people" in response.get_json()["detail"]


# --- visibility --------------------------------------------------------------------------------


def test_public_never_sees_drafts(client: FlaskClient, make_item):
    draft = news(make_item, "Entwurf", publish=False)
    body = client.get("/api/v1/news").get_json()
    assert body["items"] == [] and body["meta"]["total"] == 0
    assert client.get(f"/api/v1/news/{draft}").status_code == 404
    assert client.get("/api/v1/news/slug/entwurf").status_code == 404
    assert client.get(f"/api/v1/news/{draft}?lang=all").status_code == 404


def test_public_never_sees_scheduled_items_before_their_time(client: FlaskClient, make_item):
    later = datetime.now(UTC) + timedelta(days=1)
    scheduled = news(make_item, "Geplant", publish_at=later)
    visible = news(make_item, "Sichtbar")
    body = client.get("/api/v1/news").get_json()
    assert ids(body["items"]) == [visible] and body["meta"]["total"] == 1
    assert client.get(f"/api/v1/news/{scheduled}").status_code == 404
    assert client.get("/api/v1/news/slug/geplant").status_code == 404
    assert client.get("/api/v1/news?year=2019").get_json()["meta"]["total"] == 1


def test_public_sees_scheduled_item_once_its_time_has_come(client: FlaskClient, make_item):
    soon = datetime.now(UTC) + timedelta(seconds=1.5)
    scheduled = news(make_item, "Gleich", publish_at=soon)
    assert client.get("/api/v1/news").get_json()["meta"]["total"] == 0
    assert client.get(f"/api/v1/news/{scheduled}").status_code == 404
    time.sleep(max(0.0, (soon - datetime.now(UTC)).total_seconds()) + 0.2)
    body = client.get("/api/v1/news").get_json()
    assert ids(body["items"]) == [scheduled]
    assert client.get(f"/api/v1/news/{scheduled}").status_code == 200
    assert client.get("/api/v1/news/slug/gleich").status_code == 200


def test_public_sees_item_published_with_past_time(client: FlaskClient, make_item):
    item = news(make_item, "Früher", publish_at=datetime(2020, 1, 1, tzinfo=UTC))
    assert client.get(f"/api/v1/news/{item}").status_code == 200


def test_public_never_sees_scheduled_language(client: FlaskClient, make_item):
    item = news(make_item, de="Titel", en="Title", languages=["de"])
    body = client.get(f"/api/v1/news/{item}?lang=en").get_json()
    assert (body["lang"], body["fallback"]) == ("de", True)


def test_public_never_sees_unpublished_items(app: Flask, client: FlaskClient, make_item):
    item = news(make_item, "Zurückgezogen")
    unpublish(app, "news", item)
    assert client.get("/api/v1/news").get_json()["meta"]["total"] == 0
    assert client.get(f"/api/v1/news/{item}").status_code == 404
    assert client.get("/api/v1/news/slug/zurueckgezogen").status_code == 404


def test_public_never_sees_unpublished_language(app: Flask, client: FlaskClient, make_item):
    item = news(make_item, de="Titel", en="Title")
    unpublish(app, "news", item, languages=["en"])
    body = client.get(f"/api/v1/news/{item}?lang=en").get_json()
    assert (body["lang"], body["fallback"], list(body["translations"])) == ("de", True, ["de"])
    assert client.get("/api/v1/news/slug/title").status_code == 404
    assert client.get("/api/v1/news?lang=en&fallback=false").get_json()["meta"]["total"] == 0


def test_public_sees_published_version_not_working_copy(app: Flask, client: FlaskClient, make_item):
    anna = person(make_item, "Anna", "Arendt")
    item = news(make_item, "Veröffentlicht", tags=["alt"])
    edit_draft(
        app,
        "news",
        item,
        {"translations": {"de": {"title": "Entwurf"}}, "people": [anna], "tags": ["neu"]},
    )
    body = client.get(f"/api/v1/news/{item}").get_json()
    assert (body["title"], body["people"], body["tags"]) == ("Veröffentlicht", [], ["alt"])
    assert client.get("/api/v1/news?tag=neu").get_json()["meta"]["total"] == 0
    assert client.get(f"/api/v1/news?person={anna}").get_json()["meta"]["total"] == 0


def test_public_relations_hide_unpublished_targets(app: Flask, client: FlaskClient, make_item):
    draft_person = person(make_item, "Dora", "Draft", publish=False)
    later = datetime.now(UTC) + timedelta(days=1)
    scheduled_report = report(make_item, "Geplanter Bericht", publish_at=later)
    withdrawn = project(make_item, "Zurückgezogen")
    shown = person(make_item, "Anna", "Arendt")
    item = news(
        make_item,
        "Nachricht",
        people=[draft_person, shown],
        reports=[scheduled_report],
        projects=[withdrawn],
    )
    unpublish(app, "projects", withdrawn)
    for params in ("", "?include=people,reports,projects"):
        body = client.get(f"/api/v1/news/{item}{params}").get_json()
        assert ids(body["people"]) == [shown]
        assert body["reports"] == []
        assert body["projects"] == []
        listed = client.get(f"/api/v1/news{params}").get_json()["items"][0]
        assert ids(listed["people"]) == [shown]
        assert listed["reports"] == [] and listed["projects"] == []
    text = client.get(f"/api/v1/news/{item}?include=people,reports,projects").get_data(True)
    for secret in ("Dora", "Geplanter", "Zurückgezogen"):
        assert secret not in text


def test_public_deleted_related_item_disappears(app: Flask, client: FlaskClient, make_item):
    from ifm_api.core import db
    from ifm_api.core.content import REGISTRY
    from ifm_api.core.editing import delete_item, get_entity

    gone = person(make_item, "Gabi", "Gelöscht")
    item = news(make_item, "Nachricht", people=[gone])
    spec = REGISTRY["people"]
    with app.app_context(), db.transaction():
        entity = get_entity(spec, gone)
        delete_item(spec, entity, expected_version=entity.version, author="tests")
    assert client.get(f"/api/v1/news/{item}").get_json()["people"] == []
    assert client.get(f"/api/v1/people/{gone}").status_code == 404


@pytest.mark.parametrize(
    ("query", "next_query"),
    [
        ("page_size=1", "page_size=1&page=2"),
        ("page=2&page_size=1", "page=3&page_size=1"),
        ("tag=a+b&page_size=1&tag=%26", "tag=a+b&tag=%26&page_size=1&page=2"),
        ("q=F%C3%B6rderung&page_size=1&lang=de", "q=F%C3%B6rderung&page_size=1&lang=de&page=2"),
    ],
)
def test_public_list_links_keep_the_other_parameters(
    client: FlaskClient, make_item, query: str, next_query: str
):
    for n in range(3):
        news(make_item, f"Förderung Nummer {n}", tags=["a b", "&"])
    response = client.get(f"/api/v1/news?{query}")
    assert response.status_code == 200
    assert f'<http://localhost/api/v1/news?{next_query}>; rel="next"' in response.headers["Link"]
