"""The demo content: the seed page's news, report, project, people and team, idempotently."""

from __future__ import annotations

from datetime import date

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from ifm_api.cli import main
from ifm_api.core import db
from ifm_api.core.models import ContentEntity, Media, Revision
from ifm_api.demo.loader import load_demo

NEWS_DE = (
    "Kurzbericht zur Evaluation des Integrationsmanagements in Baden-Württemberg veröffentlicht"
)
NEWS_EN = (
    "First insights on the implementation of the integration management in "
    "Baden-Württemberg published"
)


@pytest.fixture
def demo(app: Flask) -> None:
    with app.app_context():
        assert load_demo() is True


def only(client: FlaskClient, path: str) -> dict:
    body = client.get(path).get_json()
    assert body["meta"]["total"] == 1, path
    return body["items"][0]


def assert_valid_pdf(data: bytes) -> None:
    """Header, trailer and a cross-reference table whose offsets point at their objects."""
    assert data.startswith(b"%PDF-1.")
    assert data.rstrip().endswith(b"%%EOF")
    startxref = int(data.rsplit(b"startxref", 1)[1].split()[0])
    assert data[startxref:].startswith(b"xref")
    lines = data[startxref:].split(b"trailer", 1)[0].split(b"\n")
    first, count = (int(v) for v in lines[1].split())
    entries = [line for line in lines[2:] if line.strip()]
    assert len(entries) == count
    for number, entry in enumerate(entries, start=first):
        offset, _generation, kind = entry.split()
        if kind == b"n":
            assert data[int(offset) :].startswith(f"{number} 0 obj".encode()), number


def counts(app: Flask) -> tuple[int, int, int]:
    with app.app_context():
        session = db.session()
        return (
            session.scalar(select(func.count()).select_from(ContentEntity)) or 0,
            session.scalar(select(func.count()).select_from(Media)) or 0,
            session.scalar(select(func.count()).select_from(Revision)) or 0,
        )


def test_demo_news_item_in_german_and_english(client: FlaskClient, demo: None):
    german = only(client, "/api/v1/news?lang=de")
    english = only(client, "/api/v1/news?lang=en")
    assert german["id"] == english["id"]
    assert (german["title"], german["lang"], german["fallback"]) == (NEWS_DE, "de", False)
    assert (english["title"], english["lang"], english["fallback"]) == (NEWS_EN, "en", False)
    assert german["display_date"] == "27. Dezember 2019"
    assert english["display_date"] == "December 27, 2019"
    assert german["published_at"].startswith("2019-12-27T")
    assert german["teaser"].startswith("Seit Mai 2018")
    assert "Dr. Bettina Müller" in german["body"]
    assert english["fallback_fields"] == []
    assert german["tags"] == ["integration", "evaluation"]


def test_demo_news_links_people_report_and_project(client: FlaskClient, demo: None):
    item = only(client, "/api/v1/news?include=people,reports,projects")
    assert [p["name"] for p in item["people"]] == [
        "Dr. Bettina Müller",
        "Dr. Christoph Sajons",
        "Annika Götz",
    ]
    assert item["reports"][0]["report_type"] == "short_report"
    assert item["projects"][0]["start_date"] == "2018-05-01"


def test_demo_people_carry_their_titles(client: FlaskClient, demo: None):
    body = client.get("/api/v1/people").get_json()
    assert body["meta"]["total"] == 3
    assert [(p["honorific_prefix"], p["given_name"], p["family_name"]) for p in body["items"]] == [
        (None, "Annika", "Götz"),
        ("Dr.", "Bettina", "Müller"),
        ("Dr.", "Christoph", "Sajons"),
    ]
    assert {p["research_area"]["name"] for p in body["items"]} == {"Neue Selbständigkeit"}


def test_demo_report_is_a_german_short_report_with_its_pdf(client: FlaskClient, demo: None):
    report = only(client, "/api/v1/reports?lang=en")
    assert report["report_type"] == "short_report"
    assert report["publication_date"] == "2019-12-27"
    assert report["title"].startswith("First insights")
    assert [a["name"] for a in report["authors"]] == [
        "Dr. Bettina Müller",
        "Dr. Christoph Sajons",
        "Annika Götz",
    ]
    assert report["project"]["title"].startswith("Evaluation of the integration management")
    (file,) = report["files"]
    assert (file["lang"], file["content_type"]) == ("de", "application/pdf")
    download = client.get(file["url"])
    assert download.status_code == 200
    assert download.mimetype == "application/pdf"
    assert_valid_pdf(download.data)
    assert len(download.data) == file["size"]
    assert int(download.headers["Content-Length"]) == file["size"]


def test_demo_project_runs_since_may_2018_led_by_two(client: FlaskClient, demo: None):
    project = only(client, "/api/v1/projects")
    assert project["title"] == "Evaluation des Integrationsmanagements in Baden-Württemberg"
    assert (project["start_date"], project["end_date"]) == (
        date(2018, 5, 1).isoformat(),
        None,
    )
    assert project["status"] == "ongoing"
    leads = [m["person"]["name"] for m in project["members"] if m["role"] == "lead"]
    assert leads == ["Dr. Bettina Müller", "Dr. Christoph Sajons"]
    assert project["research_area"]["name"] == "Neue Selbständigkeit"
    assert only(client, "/api/v1/projects?status=ongoing")["id"] == project["id"]


def test_demo_research_area_neue_selbstaendigkeit(client: FlaskClient, demo: None):
    area = only(client, "/api/v1/research-areas")
    assert (area["name"], area["slug"]) == ("Neue Selbständigkeit", "neue-selbstaendigkeit")
    english = client.get(f"/api/v1/research-areas/{area['id']}?lang=en").get_json()
    assert english["name"] == "New Self-Employment"


def test_demo_load_twice_creates_nothing_new(app: Flask, demo: None):
    before = counts(app)
    with app.app_context():
        assert load_demo() is False
    assert counts(app) == before


def test_operator_demo_load_command_is_idempotent(app: Flask, client: FlaskClient):
    runner = app.test_cli_runner()
    first = runner.invoke(main, ["demo", "load"])
    assert first.exit_code == 0, first.output
    assert "loaded" in first.output
    before = counts(app)
    second = runner.invoke(main, ["demo", "load"])
    assert second.exit_code == 0
    assert "already present" in second.output
    assert counts(app) == before
    assert client.get("/api/v1/news").get_json()["meta"]["total"] == 1
