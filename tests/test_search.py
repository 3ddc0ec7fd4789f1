"""Search in German and English (issue 14): `q=` on the lists and `GET /api/v1/search`.

Every test runs on SQLite (FTS5) and, with TEST_DATABASE_URL, on PostgreSQL (tsvector + GIN):
the same items are found, in the same order.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from factories import edit_and_publish, news, person, report, research_area, unpublish
from flask import Flask
from flask.testing import FlaskClient

from ifm_api.cli import main
from ifm_api.core import db
from ifm_api.core.db import utcnow
from ifm_api.search.schemas import HIT_SCHEMAS

PROBLEM = "application/problem+json"


def found(client: FlaskClient, url: str) -> list[tuple[str, int]]:
    response = client.get(url)
    assert response.status_code == 200, response.get_json()
    return [(item["type"], item["id"]) for item in response.get_json()["items"]]


def top(client: FlaskClient, url: str) -> tuple[str, int]:
    hits = found(client, url)
    assert hits, url
    return hits[0]


def at(year: int) -> datetime:
    return datetime(year, 6, 1, 10, 0, tzinfo=UTC)


def noise(make_item: Any) -> None:
    """Items that must not outrank the expected ones."""
    news(make_item, de="Jahresbericht des Instituts", en="Annual report of the institute")
    news(make_item, de="Mittelstand in Zahlen", en="SMEs in figures", published_at=at(2024))
    person(make_item, "Anna", "Muster")


# --- German and English rules -------------------------------------------------------------


@pytest.mark.parametrize("typed", ["Müller", "Mueller", "Muller", "müller", "MUELLER"])
def test_search_finds_mueller_however_it_is_typed(
    client: FlaskClient, make_item: Any, typed: str
) -> None:
    noise(make_item)
    bettina = person(make_item, "Bettina", "Müller")
    hans = person(make_item, "Hans", "Mueller")
    hits = found(client, f"/api/v1/search?q={typed}&lang=de")
    assert set(hits) == {("person", bettina), ("person", hans)}
    assert top(client, f"/api/v1/people?q={typed}") in {("person", bettina), ("person", hans)}


def test_search_stems_german_gruendung_finds_gruendungen(
    client: FlaskClient, make_item: Any
) -> None:
    noise(make_item)
    item = news(make_item, de="Gründungen in Baden-Württemberg nehmen zu")
    assert top(client, "/api/v1/news?q=Gründung&lang=de") == ("news", item)
    assert top(client, "/api/v1/search?q=Gruendung") == ("news", item)


def test_search_matches_both_spellings_of_selbststaendigkeit(
    client: FlaskClient, make_item: Any
) -> None:
    noise(make_item)
    area = research_area(make_item, de="Neue Selbständigkeit")
    item = news(make_item, de="Selbstständigkeit im Alter")
    assert found(client, "/api/v1/search?q=Selbstständigkeit&type=research-areas") == [
        ("research_area", area)
    ]
    assert found(client, "/api/v1/news?q=Selbständigkeit") == [("news", item)]


@pytest.mark.parametrize("typed", ["Integration", "integration", "Integr", "integrations"])
def test_search_finds_compounds_by_their_first_part_and_prefixes(
    client: FlaskClient, make_item: Any, typed: str
) -> None:
    noise(make_item)
    item = news(make_item, de="Evaluation des Integrationsmanagements")
    assert top(client, f"/api/v1/search?q={typed}&lang=de") == ("news", item)


@pytest.mark.parametrize("typed", ["Management", "managements"])
def test_search_finds_german_compounds_by_their_later_parts(
    client: FlaskClient, make_item: Any, typed: str
) -> None:
    noise(make_item)
    item = news(make_item, de="Evaluation des Integrationsmanagements")
    area = research_area(make_item, de="Gründungsforschung")
    hit = client.get(f"/api/v1/search?q={typed}&lang=de").get_json()["items"][0]
    assert (hit["type"], hit["id"]) == ("news", item)
    assert hit["highlights"]["title"] == "Evaluation des <mark>Integrationsmanagements</mark>"
    assert found(client, "/api/v1/research-areas?q=Forschung&lang=de") == [("research_area", area)]
    # only where a linking "s" joins the parts
    news(make_item, de="Eine Tatsache")
    assert found(client, "/api/v1/search?q=ache&lang=de") == []


def test_search_in_english_searches_the_english_texts(client: FlaskClient, make_item: Any) -> None:
    noise(make_item)
    item = news(
        make_item,
        de="Finanzierung junger Unternehmen",
        en={"title": "Financing young companies", "teaser": "How start-ups raise money"},
    )
    assert found(client, "/api/v1/search?q=financed companies&lang=en") == [("news", item)]
    assert found(client, "/api/v1/search?q=financed companies&lang=de") == []
    assert found(client, "/api/v1/news?q=raising&lang=en") == [("news", item)]


def test_search_finds_a_german_only_item_in_english_with_fallback(
    client: FlaskClient, make_item: Any
) -> None:
    noise(make_item)
    item = news(make_item, de="Unternehmensnachfolge im Handwerk")
    body = client.get("/api/v1/search?q=Unternehmensnachfolge&lang=en").get_json()
    assert [(i["id"], i["lang"], i["fallback"]) for i in body["items"]] == [(item, "de", True)]
    strict = client.get("/api/v1/search?q=Unternehmensnachfolge&lang=en&fallback=false")
    assert strict.get_json()["items"] == []
    listed = client.get("/api/v1/news?q=Handwerk&lang=en&fallback=false").get_json()
    assert listed["meta"]["total"] == 0


def test_search_finds_a_report_by_author_doi_and_isbn(client: FlaskClient, make_item: Any) -> None:
    noise(make_item)
    sajons = person(make_item, "Christoph", "Sajons")
    item = report(
        make_item,
        de="Kurzbericht zur Evaluation",
        authors=[{"person": sajons}, {"name": "Petra Außenstehende"}],
        doi="10.1234/ifm.2019.7",
        isbn="978-3-16-148410-0",
    )
    assert found(client, "/api/v1/reports?q=Sajons") == [("report", item)]
    assert found(client, "/api/v1/search?q=Sajons") == [("person", sajons), ("report", item)]
    assert found(client, "/api/v1/reports?q=aussenstehende") == [("report", item)]
    assert found(client, "/api/v1/reports?q=10.1234/ifm.2019.7") == [("report", item)]
    assert found(client, "/api/v1/reports?q=9783161484100") == [("report", item)]
    assert found(client, "/api/v1/reports?q=978-3-16-148410-0") == [("report", item)]


# --- ranking, highlights, the page ----------------------------------------------------------


def test_search_ranks_title_above_body_then_newer_first(
    client: FlaskClient, make_item: Any
) -> None:
    in_body_new = news(
        make_item, de={"title": "Neues", "body": "<p>Über Gründungen.</p>"}, published_at=at(2024)
    )
    in_title_old = news(make_item, de="Gründungen 2019", published_at=at(2019))
    in_title_new = news(make_item, de="Gründungen 2021", published_at=at(2021))
    expected = [("news", in_title_new), ("news", in_title_old), ("news", in_body_new)]
    assert found(client, "/api/v1/search?q=gründung") == expected
    assert found(client, "/api/v1/news?q=gründung") == expected
    scores = [i["score"] for i in client.get("/api/v1/search?q=gründung").get_json()["items"]]
    assert scores == [2, 2, 1]
    by_date = found(client, "/api/v1/news?q=gründung&sort=published_at")
    assert by_date == [("news", in_title_old), ("news", in_title_new), ("news", in_body_new)]


def test_search_highlights_are_marked_and_escaped(client: FlaskClient, make_item: Any) -> None:
    long_body = "<p>" + "Vorher viele Wörter. " * 30 + "Müller & Söhne <b>gründen</b>.</p>"
    item = news(make_item, de={"title": "Müller & <Söhne>", "body": long_body})
    hit = client.get("/api/v1/search?q=muller").get_json()["items"][0]
    assert hit["id"] == item
    assert hit["highlights"]["title"] == "<mark>Müller</mark> &amp; &lt;Söhne&gt;"
    body = hit["highlights"]["body"]
    assert body.startswith("…") and "<mark>Müller</mark> &amp; Söhne gründen." in body
    assert "<b>" not in body and len(body) < 300


def test_search_page_is_a_list_page_of_list_summaries(client: FlaskClient, make_item: Any) -> None:
    area = research_area(make_item, de="Gründungsforschung")
    anna = person(make_item, "Anna", "Gründer", research_area=area)
    item = news(make_item, de="Gründung", people=[anna])
    rep = report(make_item, de="Gründungen im Vergleich", authors=[{"person": anna}])
    response = client.get("/api/v1/search?q=gründ&page_size=2&lang=de")
    assert response.status_code == 200
    body = response.get_json()
    assert body["meta"] == {"page": 1, "page_size": 2, "total": 4, "pages": 2, "total_exact": True}
    assert 'rel="next"' in response.headers["Link"]
    assert response.headers["Content-Language"] == "de"
    listed = {
        (i["type"], i["id"]): i
        for resource in ("news", "reports", "people", "research-areas")
        for i in client.get(f"/api/v1/{resource}?lang=de").get_json()["items"]
    }
    segments = {"news": "news", "report": "reports", "person": "people"}
    everything = (
        body["items"] + client.get("/api/v1/search?q=gründ&page_size=2&page=2").get_json()["items"]
    )
    assert {(i["type"], i["id"]) for i in everything} == {
        ("news", item),
        ("report", rep),
        ("person", anna),
        ("research_area", area),
    }
    for hit in everything:
        summary = {k: v for k, v in hit.items() if k not in ("score", "highlights")}
        assert summary == listed[(hit["type"], hit["id"])]
        segment = segments.get(hit["type"], "research-areas")
        assert HIT_SCHEMAS[segment]().validate(hit) == {}
    again = client.get(
        "/api/v1/search?q=gründ&page_size=2&lang=de",
        headers={"If-None-Match": response.headers["ETag"]},
    )
    assert again.status_code == 304
    assert found(client, "/api/v1/search?q=gründ&type=news,reports") == [
        ("report", rep),
        ("news", item),
    ] or found(client, "/api/v1/search?q=gründ&type=news,reports") == [
        ("news", item),
        ("report", rep),
    ]


def test_search_pages_follow_the_ranking_across_tiers(client: FlaskClient, make_item: Any) -> None:
    body = {"body": "<p>Über Gründungen.</p>"}
    made = [
        news(make_item, de={"title": f"Bericht {year}", **body}, published_at=at(year))
        for year in (2018, 2022, 2020)
    ]
    made += [
        news(make_item, de=f"Gründungen {year}", published_at=at(year)) for year in (2017, 2019)
    ]
    expected = [("news", made[i]) for i in (4, 3, 1, 2, 0)]
    for url in ("/api/v1/search?q=gründung", "/api/v1/news?q=gründung"):
        assert found(client, url) == expected
        paged = [hit for n in (1, 2, 3) for hit in found(client, f"{url}&page_size=2&page={n}")]
        assert paged == expected
        assert found(client, f"{url}&page_size=2&page=4") == []


def test_search_counts_and_pages_through_the_first_matches_only(
    client: FlaskClient, make_item: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("ifm_api.search.service.MAX_RESULTS", 3)
    made = [
        news(make_item, de=f"Gründungen {year}", published_at=at(year))
        for year in range(2015, 2020)
    ]
    for url in ("/api/v1/search?q=gründung", "/api/v1/news?q=gründung"):
        response = client.get(f"{url}&page_size=2")
        meta = response.get_json()["meta"]
        assert meta == {"page": 1, "page_size": 2, "total": 3, "pages": 2, "total_exact": False}
        assert 'rel="last"' in response.headers["Link"] and "page=2" in response.headers["Link"]
        assert found(client, f"{url}&page_size=2&page=2") == [("news", made[2])]
        assert found(client, f"{url}&page_size=2&page=3") == []
        assert client.get(f"{url}&page_size=2&page=3").get_json()["meta"]["total"] == 3
    by_date = found(client, "/api/v1/news?q=gründung&sort=published_at&page_size=5")
    assert by_date == [("news", made[i]) for i in (0, 1, 2)]
    exact = client.get("/api/v1/search?q=gründungen%202017").get_json()["meta"]
    assert exact["total"] == 1 and exact["total_exact"] is True


@pytest.mark.parametrize("terms", [0, 1, 64])
def test_search_prefixes_find_the_same_however_many_terms_they_cover(
    client: FlaskClient, make_item: Any, monkeypatch: pytest.MonkeyPatch, terms: int
) -> None:
    """A prefix word is matched by the index's terms it covers, or (past the limit) by a
    prefix query: the same items either way."""
    monkeypatch.setattr("ifm_api.search.service.TERMS_PER_PREFIX", terms)
    made = [
        news(make_item, de="Gründung", published_at=at(2019)),
        news(make_item, de="Gründer und Gründerinnen", published_at=at(2020)),
        news(make_item, de={"title": "Neues", "body": "<p>Gründungszuschuss</p>"}),
    ]
    news(make_item, de="Grüne Wiese")
    expected = [("news", made[1]), ("news", made[0]), ("news", made[2])]
    assert found(client, "/api/v1/search?q=gründ&lang=de") == expected
    assert found(client, "/api/v1/news?q=Gründ&lang=de") == expected


def test_list_q_combines_with_filters(client: FlaskClient, make_item: Any) -> None:
    tagged = news(make_item, de="Gründungen A", tags=["start"])
    news(make_item, de="Gründungen B")
    news(make_item, de="Anderes", tags=["start"])
    assert found(client, "/api/v1/news?q=Gründungen&tag=start") == [("news", tagged)]
    body = client.get("/api/v1/news?q=Gründungen&page_size=1").get_json()
    assert body["meta"] == {"page": 1, "page_size": 1, "total": 2, "pages": 2, "total_exact": True}


# --- visibility -------------------------------------------------------------------------------


def test_search_never_finds_drafts_working_copies_or_unpublished_items(
    app: Flask, client: FlaskClient, make_item: Any
) -> None:
    news(make_item, de="Geheimer Entwurf Zebraprojekt", publish=False)
    public = news(make_item, de="Öffentlich")
    edit_and_publish(app, "news", public, {"translations": {"de": {"title": "Öffentlich neu"}}})
    from factories import edit_draft

    edit_draft(app, "news", public, {"translations": {"de": {"title": "Zebraprojekt intern"}}})
    gone = news(make_item, de="Zurückgezogen Zebraprojekt")
    unpublish(app, "news", gone)
    for url in ("/api/v1/search?q=Zebraprojekt", "/api/v1/news?q=Zebraprojekt"):
        body = client.get(url).get_json()
        assert body["items"] == [] and body["meta"]["total"] == 0, url
    assert found(client, "/api/v1/search?q=neu") == [("news", public)]
    assert found(client, "/api/v1/search?q=Öffentlich") == [("news", public)]


def test_search_finds_a_scheduled_item_from_its_time_on_with_no_write(
    client: FlaskClient, make_item: Any
) -> None:
    soon = utcnow() + timedelta(seconds=3)
    item = news(make_item, de="Planmäßig Gründungsreport", publish_at=soon)
    assert found(client, "/api/v1/search?q=Gründungsreport") == []
    assert client.get("/api/v1/news?q=Gründungsreport").get_json()["meta"]["total"] == 0
    time.sleep(max(0.0, (soon - utcnow()).total_seconds()) + 0.1)
    assert found(client, "/api/v1/search?q=Gründungsreport") == [("news", item)]
    assert found(client, "/api/v1/news?q=Gründungsreport") == [("news", item)]


def test_search_follows_edits_and_deletes(
    app: Flask, client: FlaskClient, make_item: Any, token: Any
) -> None:
    item = news(make_item, de="Alter Titel")
    edit_and_publish(app, "news", item, {"translations": {"de": {"title": "Neuer Titel Quagga"}}})
    assert found(client, "/api/v1/search?q=Quagga") == [("news", item)]
    assert found(client, "/api/v1/search?q=Alter") == []
    etag = client.get(f"/api/v1/news/{item}?lang=all&version=draft", headers=token("editor"))
    response = client.delete(
        f"/api/v1/news/{item}", headers={**token("editor"), "If-Match": etag.headers["ETag"]}
    )
    assert response.status_code == 204
    assert found(client, "/api/v1/search?q=Quagga") == []


# --- bad queries ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    ['"Gründung', "Gründung*", "-Gründung", "Gründung NEAR(x)", "title:Gründung", "(Gründung))",
     "Gründung AND OR NOT", "'; DROP TABLE x; --", "^Gründung", "{title}: Gründung", "\\"],
)  # fmt: skip
def test_search_treats_operator_syntax_as_text(
    client: FlaskClient, make_item: Any, typed: str
) -> None:
    news(make_item, de="Gründung")
    for url in ("/api/v1/search", "/api/v1/news"):
        response = client.get(url, query_string={"q": typed})
        assert response.status_code in (200, 400), (typed, response.get_json())
        if response.status_code == 400:
            assert response.mimetype == PROBLEM
    assert client.get("/api/v1/search", query_string={"q": "Gründung*"}).get_json()["items"]


@pytest.mark.parametrize(
    "value",
    ["", "   ", "***", "x" * 201, "x" * 10_000, "Gründung " * 1200, " ".join(["wort"] * 21)],
)
def test_search_rejects_empty_long_and_wordy_queries(client: FlaskClient, value: str) -> None:
    for url in ("/api/v1/search", "/api/v1/news", "/api/v1/people"):
        response = client.get(url, query_string={"q": value, "lang": "en"})
        assert response.mimetype == PROBLEM, (url, value[:20])
        if len(value) < 1000:
            assert response.status_code == 400
            assert "q" in response.get_json()["errors"]
        else:  # past the request line's limit (core.limits), before any parsing
            assert response.status_code == 414


def test_search_rejects_unknown_types_all_languages_and_drafts(
    client: FlaskClient, token: Any
) -> None:
    response = client.get("/api/v1/search?q=x&type=news,tags")
    assert response.status_code == 400 and "type" in response.get_json()["errors"]
    assert client.get("/api/v1/search").status_code == 400
    assert client.get("/api/v1/search?q=x&lang=all").status_code == 400
    assert client.get("/api/v1/news?q=x&lang=all").status_code == 400
    drafts = client.get("/api/v1/news?q=x&status=draft", headers=token("preview"))
    assert drafts.status_code == 400
    assert drafts.get_json()["type"] == "urn:ifm-api:problem:search_not_here"
    assert client.get("/api/v1/reports?q=x&format=bibtex").status_code == 400


# --- cost and building --------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/api/v1/search?q=Gründung", "/api/v1/news?q=Gründung"])
def test_search_makes_two_queries_whatever_it_finds(
    client: FlaskClient, make_item: Any, count_queries: Any, url: str
) -> None:
    def queries() -> int:
        with count_queries() as counter:
            assert client.get(url).status_code == 200
        return counter.count

    news(make_item, de="Gründung 0")
    few = queries()
    for n in range(1, 12):
        news(make_item, de={"title": f"Gründung {n}", "body": "<p>Gründung " * 20 + "</p>"})
    assert few == queries() == 2


def test_readmodel_rebuild_builds_the_search_index(
    app: Flask, client: FlaskClient, make_item: Any
) -> None:
    item = report(make_item, de="Wiederaufbau", publication_date=date(2020, 1, 1))
    with app.app_context(), db.transaction() as session:
        from sqlalchemy import delete

        from ifm_api.search.models import SearchEntry

        session.execute(delete(SearchEntry))
    assert found(client, "/api/v1/search?q=Wiederaufbau") == []
    runner = app.test_cli_runner()
    checked = runner.invoke(main, ["readmodel", "check"])
    assert checked.exit_code == 1 and f"item {item}: search entry" in checked.output
    result = runner.invoke(main, ["readmodel", "rebuild"])
    assert result.exit_code == 0, result.output
    assert runner.invoke(main, ["readmodel", "check"]).exit_code == 0
    assert found(client, "/api/v1/search?q=Wiederaufbau") == [("report", item)]
    with app.app_context(), db.transaction() as session:
        from ifm_api.search.models import SearchTerm

        session.execute(delete(SearchTerm).where(SearchTerm.term == "wiederaufbau"))
    checked = runner.invoke(main, ["readmodel", "check"])
    assert (
        checked.exit_code == 1 and "search_terms: 1 of the index's tokens missing" in checked.output
    )


def test_postgresql_keeps_a_long_items_vector_in_the_row(app: Flask, make_item: Any) -> None:
    """A search checks the vector of every row it walks: no TOAST fetch per row (a vector
    past a page's size still goes out of line, as the last resort)."""
    from sqlalchemy import text

    with app.app_context():
        session = db.session()
        if session.get_bind().dialect.name != "postgresql":
            pytest.skip("PostgreSQL's storage of search_entries.vector")
        storage = session.scalar(
            text(
                "SELECT attstorage FROM pg_attribute "
                "WHERE attrelid = 'search_entries'::regclass AND attname = 'vector'"
            )
        )
        toast = session.scalar(
            text("SELECT reltoastrelid::regclass::text FROM pg_class WHERE relname = :name"),
            {"name": "search_entries"},
        )
        chunks = session.scalar(text(f"SELECT count(*) FROM {toast}"))
    assert storage == "m"
    words = " ".join(f"Wort{n} Förderprogramm{n}" for n in range(200))
    item = news(make_item, de={"title": "Lang", "body": f"<p>{words}</p>"})
    with app.app_context():
        session = db.session()
        size = session.scalar(
            text(
                "SELECT pg_column_size(e.vector) FROM search_entries e "
                "JOIN public_items p ON p.id = e.item_id WHERE p.entity_id = :id AND p.lang = 'de'"
            ),
            {"id": item},
        )
        assert 2048 < size < 8000  # past the TOAST threshold, and yet in the row:
        assert session.scalar(text(f"SELECT count(*) FROM {toast}")) == chunks


def test_postgresql_connections_compile_no_statement(app: Flask) -> None:
    """JIT would compile a search's statement (20 ms and more) once the index is large."""
    from sqlalchemy import text

    with app.app_context():
        session = db.session()
        if session.get_bind().dialect.name != "postgresql":
            pytest.skip("PostgreSQL's JIT")
        assert session.scalar(text("SHOW jit")) == "off"
