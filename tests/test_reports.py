"""Report reads: filters, sorts, authors (people and external names), project and files."""

from __future__ import annotations

from datetime import date

from factories import ids, person, project, report
from flask import Flask
from flask.testing import FlaskClient

from ifm_api.core import db
from ifm_api.core.media import store_file

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def upload(app: Flask, data: bytes = PDF, name: str = "bericht.pdf") -> int:
    with app.app_context(), db.transaction() as session:
        media = store_file(data, name, "application/pdf", author="tests")
        session.flush()
        return media.id


def test_public_list_filters_reports_by_type(client: FlaskClient, make_item):
    short = report(make_item, "Kurz", report_type="short_report")
    final = report(make_item, "Abschluss", report_type="final_report")
    assert ids(client.get("/api/v1/reports?type=short_report").get_json()["items"]) == [short]
    assert ids(client.get("/api/v1/reports?type=final_report").get_json()["items"]) == [final]
    assert client.get("/api/v1/reports?type=working_paper").get_json()["meta"]["total"] == 0
    bad = client.get("/api/v1/reports?type=novel")
    assert bad.status_code == 400
    assert "type" in bad.get_json()["errors"]


def test_public_list_filters_reports_by_author_project_and_year(client: FlaskClient, make_item):
    anna = person(make_item, "Anna", "Arendt")
    bert = person(make_item, "Bert", "Brecht")
    proj = project(make_item, "Projekt")
    first = report(
        make_item,
        "Erster",
        publication_date=date(2019, 12, 27),
        authors=[{"person": anna}, {"name": "Extern, E."}],
        project=proj,
    )
    second = report(
        make_item,
        "Zweiter",
        publication_date=date(2020, 8, 1),
        authors=[{"person": bert}, {"person": anna}],
    )

    def found(params: str) -> set[int]:
        return set(ids(client.get(f"/api/v1/reports?{params}").get_json()["items"]))

    assert found(f"person={anna}") == {first, second}
    assert found(f"person={bert}") == {second}
    assert found(f"project={proj}") == {first}
    assert found("year=2019") == {first}
    assert found("year=2020") == {second}
    assert found(f"year=2020&person={bert}") == {second}
    assert found(f"year=2019&person={bert}") == set()


def test_public_list_sorts_reports(client: FlaskClient, make_item):
    a = report(make_item, de="Älter", en="Older", publication_date=date(2018, 1, 1))
    b = report(make_item, de="Bericht", en="Report", publication_date=date(2020, 1, 1))
    undated = report(make_item, de="Ohne Datum", en="Undated", publication_date=None)

    def order(params: str) -> list[int]:
        return ids(client.get(f"/api/v1/reports?{params}").get_json()["items"])

    assert order("") == [b, a, undated]
    assert order("sort=publication_date") == [a, b, undated]
    assert order("sort=title") == [a, b, undated]
    assert order("sort=-title") == [undated, b, a]
    assert order("sort=title&lang=en") == [a, b, undated]
    assert order("sort=-title&lang=en") == [undated, b, a]


def test_public_report_shows_authors_in_order_with_external_names(client: FlaskClient, make_item):
    anna = person(make_item, "Anna", "Arendt", honorific_prefix="Dr.")
    item = report(
        make_item,
        "Bericht",
        authors=[{"name": "Extern, Erika"}, {"person": anna}, {"name": "Zweite, Zoe"}],
    )
    body = client.get(f"/api/v1/reports/{item}").get_json()
    assert [a["name"] for a in body["authors"]] == [
        "Extern, Erika",
        "Dr. Anna Arendt",
        "Zweite, Zoe",
    ]
    assert body["authors"][0]["person"] is None
    assert body["authors"][1]["person"] == {
        "id": anna,
        "type": "person",
        "slug": "anna-arendt",
        "name": "Dr. Anna Arendt",
        "url": f"http://localhost/api/v1/people/{anna}?lang=de",
    }


def test_public_report_include_embeds_authors_and_project(client: FlaskClient, make_item):
    anna = person(make_item, "Anna", "Arendt", en="Researcher")
    proj = project(make_item, de="Projekt", en="Project")
    item = report(make_item, "Bericht", authors=[{"person": anna}], project=proj)
    body = client.get(f"/api/v1/reports/{item}?include=authors,project&lang=en").get_json()
    assert body["authors"][0]["person"]["position"] == "Researcher"
    assert body["project"]["title"] == "Project"
    assert body["project"]["status"] == "ongoing"
    plain = client.get(f"/api/v1/reports/{item}").get_json()
    assert set(plain["project"]) == {"id", "type", "slug", "title", "url"}


def test_public_report_hides_unpublished_author_and_project(client: FlaskClient, make_item):
    hidden = person(make_item, "Dora", "Draft", publish=False)
    hidden_project = project(make_item, "Geheimprojekt", publish=False)
    item = report(
        make_item,
        "Bericht",
        authors=[{"person": hidden}, {"name": "Extern, E."}],
        project=hidden_project,
    )
    for params in ("", "?include=authors,project"):
        body = client.get(f"/api/v1/reports/{item}{params}").get_json()
        assert [a["name"] for a in body["authors"]] == ["Extern, E."]
        assert body["project"] is None
    assert client.get(f"/api/v1/reports?project={hidden_project}").get_json()["items"] == []


def test_public_report_lists_its_files_in_their_own_language(
    app: Flask, client: FlaskClient, make_item
):
    media = upload(app)
    item = report(
        make_item,
        de="Bericht",
        en="Report",
        files=[{"media_id": media, "lang": "de", "label": "PDF (deutsch)"}],
    )
    body = client.get(f"/api/v1/reports/{item}?lang=en").get_json()
    assert body["files"] == [
        {
            "media_id": media,
            "lang": "de",
            "label": "PDF (deutsch)",
            "filename": "bericht.pdf",
            "content_type": "application/pdf",
            "size": len(PDF),
            "page_count": None,  # stored without reading it; uploads read it (test_media)
            "url": f"http://localhost/api/v1/media/{media}/bericht.pdf",
            "title": None,
            "caption": None,
            "credit": None,
            "license": None,
            "fallback_fields": [],
        }
    ]
    download = client.get(body["files"][0]["url"])
    assert download.status_code == 200
    assert download.mimetype == "application/pdf"
    assert download.data == PDF


def test_public_report_fields_and_display_date(client: FlaskClient, make_item):
    item = report(
        make_item,
        de={"title": "Bericht", "abstract": "<p>Zusammenfassung</p>"},
        publication_date=date(2019, 12, 27),
        series="ifm-Materialien",
        number="12",
        doi="10.1234/abc",
        isbn="978-3-16-148410-0",
        external_url="https://example.org/bericht",
    )
    body = client.get(f"/api/v1/reports/{item}").get_json()
    assert {
        k: body[k] for k in ("publication_date", "display_date", "series", "number", "doi", "isbn")
    } == {
        "publication_date": "2019-12-27",
        "display_date": "27. Dezember 2019",
        "series": "ifm-Materialien",
        "number": "12",
        "doi": "10.1234/abc",
        "isbn": "978-3-16-148410-0",
    }
    assert body["abstract"] == "<p>Zusammenfassung</p>"
    assert body["external_url"] == "https://example.org/bericht"


def test_public_report_by_slug_in_either_language(client: FlaskClient, make_item):
    item = report(make_item, de="Kurzbericht Integration", en="Integration brief")
    assert client.get("/api/v1/reports/slug/kurzbericht-integration").get_json()["id"] == item
    english = client.get("/api/v1/reports/slug/kurzbericht-integration?lang=en").get_json()
    assert english["slug"] == "integration-brief"
    assert client.get("/api/v1/reports/slug/integration-brief?lang=en").get_json()["id"] == item
    assert client.get("/api/v1/reports/slug/unknown").status_code == 404


def test_public_never_sees_draft_reports(client: FlaskClient, make_item):
    draft = report(make_item, "Entwurf", publish=False)
    assert client.get("/api/v1/reports").get_json()["meta"]["total"] == 0
    assert client.get(f"/api/v1/reports/{draft}").status_code == 404
    assert client.get("/api/v1/reports/slug/entwurf").status_code == 404
