"""``ifm-api import-legacy``: pages of the old website become news items through the same
write path as the API (drafts, revisions, slugs), people are matched or created, imports are
idempotent and a broken file fails alone."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from factories import person
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from ifm_api.cli import main
from ifm_api.core import db
from ifm_api.core.models import ContentEntity, Revision
from ifm_api.demo.loader import load_demo

FIXTURES = Path(__file__).parent / "fixtures" / "legacy"
SEED = FIXTURES / "news-2019-12-27-integrationsmanagement.txt"
GERMAN_ONLY = FIXTURES / "news-2021-03-15-gruendungsmonitor.txt"
PROF_DR = FIXTURES / "news-2022-06-01-tagung-migrantische-oekonomie.txt"
SEED_DE = (
    "Kurzbericht zur Evaluation des Integrationsmanagements in Baden-Württemberg veröffentlicht"
)
SEED_EN = (
    "First insights on the implementation of the integration management in "
    "Baden-Württemberg published"
)
LEFTOVERS = ("English version", "Initiativen und Portale", "27.12.19", ">Start<", "Annika")

Token = Callable[..., dict[str, str]]


@pytest.fixture(autouse=True)
def _no_dotenv(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLASK_SKIP_DOTENV", "1")


def run(app: Flask, *args: str | Path) -> Result:
    return app.test_cli_runner().invoke(main, ["import-legacy", *map(str, args)])


def run_json(app: Flask, *args: str | Path) -> tuple[int, dict[str, Any]]:
    result = run(app, *args, "--json")
    return result.exit_code, json.loads(result.stdout)


def editing(client: FlaskClient, headers: dict[str, str], resource: str, item_id: int) -> dict:
    response = client.get(f"/api/v1/{resource}/{item_id}?lang=all&version=draft", headers=headers)
    assert response.status_code == 200
    return response.get_json()


def counts(app: Flask) -> tuple[int, int]:
    with app.app_context():
        session = db.session()
        entities = session.scalar(select(func.count()).select_from(ContentEntity))
        revisions = session.scalar(select(func.count()).select_from(Revision))
        return entities or 0, revisions or 0


def test_seed_page_imports_into_a_bilingual_draft_with_its_people(
    app: Flask, client: FlaskClient, token: Token
) -> None:
    code, report = run_json(app, SEED)

    assert code == 0
    (result,) = report["files"]
    assert result["status"] == "created"
    assert result["languages"] == ["de", "en"]
    assert result["published_at"] == "2019-12-27T00:00:00+01:00"
    editor = token("editor")
    item = editing(client, editor, "news", result["item"]["id"])
    de, en = item["translations"]["de"], item["translations"]["en"]
    assert de["title"] == SEED_DE
    assert en["title"] == SEED_EN
    assert de["teaser"].startswith("Seit Mai 2018 wird im Team „Neue Selbständigkeit“ am ifm")
    assert de["teaser"].endswith("erste Erkenntnisse über die Umsetzung des "
                                 "Integrationsmanagements veröffentlicht worden.")  # fmt: skip
    assert en["teaser"].startswith('Since May 2018, members of the team "New Self-Employment"')
    assert "“integration management”" in en["teaser"]
    assert de["body"].startswith("<p>In Deutschland gibt es bislang nur sehr wenige")
    assert de["body"].endswith("<p>Der Kurzbericht steht hier zum Download bereit.</p>")
    assert en["body"].endswith("<p>The whole report (in German) can be found here.</p>")
    for text in (de["title"], de["teaser"], de["body"], en["title"], en["teaser"], en["body"]):
        assert not any(leftover in text for leftover in LEFTOVERS), text
        assert unicodedata.is_normalized("NFC", text)
    assert item["published_at"] == "2019-12-26T23:00:00+00:00"  # 27.12.19 in Europe/Berlin
    assert item["publication"] == {
        "de": {"status": "draft", "visible_from": None},
        "en": {"status": "draft", "visible_from": None},
    }
    assert client.get(f"/api/v1/news/{item['id']}").status_code == 404  # a draft

    people = [editing(client, editor, "people", pid) for pid in item["people"]]
    assert [(p["honorific_prefix"], p["given_name"], p["family_name"]) for p in people] == [
        (None, "Annika", "Götz"),
        ("Dr.", "Christoph", "Sajons"),
        ("Dr.", "Bettina", "Müller"),
    ]
    assert all(p["publication"]["de"]["status"] == "draft" for p in people)
    assert [p["name"] for p in result["people_created"]] == [
        "Annika Götz",
        "Dr. Christoph Sajons",
        "Dr. Bettina Müller",
    ]
    assert result["links_needing_target"] == [
        {
            "lang": "de",
            "phrase": "steht hier zum Download bereit",
            "paragraph": "Der Kurzbericht steht hier zum Download bereit.",
        },
        {
            "lang": "en",
            "phrase": "can be found here",
            "paragraph": "The whole report (in German) can be found here.",
        },
    ]
    revisions = client.get(f"/api/v1/news/{item['id']}/revisions", headers=editor).get_json()
    assert [(r["action"], r["created_by"]) for r in revisions["items"]] == [
        ("create", "import-legacy")
    ]


def test_seed_page_links_existing_people_and_publishes_with_dates_in_both_languages(
    app: Flask, client: FlaskClient
) -> None:
    with app.app_context():
        load_demo()
    demo_news = client.get("/api/v1/news?lang=all").get_json()["items"][0]
    demo_people = {
        p["family_name"]: p["id"] for p in client.get("/api/v1/people").get_json()["items"]
    }

    result = run(app, "--publish", SEED)

    assert result.exit_code == 0, result.output
    assert "people linked: Annika Götz (person" in result.stdout
    assert "created as drafts" not in result.stdout
    assert "link needs a target [de]: “steht hier zum Download bereit”" in result.stdout
    news = client.get("/api/v1/news?lang=all").get_json()["items"]
    imported = next(n for n in news if n["id"] != demo_news["id"])
    assert imported["people"] == [demo_people["Götz"], demo_people["Sajons"], demo_people["Müller"]]
    for lang in ("de", "en"):
        ours, demo = imported["translations"][lang], demo_news["translations"][lang]
        assert (ours["teaser"], ours["body"]) == (demo["teaser"], demo["body"])
        assert ours["slug"] == f"{demo['slug']}-2"  # the demo item has the slug already
    de = client.get(f"/api/v1/news/{imported['id']}?lang=de&include=people").get_json()
    en = client.get(f"/api/v1/news/{imported['id']}", headers={"Accept-Language": "en"})
    assert de["display_date"] == "27. Dezember 2019"
    assert en.get_json()["display_date"] == "December 27, 2019"
    assert en.headers["Content-Language"] == "en"
    assert [p["name"] for p in de["people"]] == [
        "Annika Götz",
        "Dr. Christoph Sajons",
        "Dr. Bettina Müller",
    ]


def test_german_only_page_becomes_a_german_item_that_english_reads_fall_back_to(
    app: Flask, client: FlaskClient, token: Token
) -> None:
    code, report = run_json(app, "--publish", GERMAN_ONLY)

    assert code == 0
    (result,) = report["files"]
    assert result["languages"] == ["de"]
    item = editing(client, token("editor"), "news", result["item"]["id"])
    assert list(item["translations"]) == ["de"]
    de = item["translations"]["de"]
    assert (
        de["title"] == "Neuer Gründungsmonitor: Selbständige mit Migrationshintergrund in Mannheim"
    )
    assert de["teaser"].startswith("Das ifm hat den „Gründungsmonitor Mannheim 2020“ vorgelegt.")
    assert de["body"] == (
        "<p>Die Auswertung beruht auf Daten der Gewerbeanzeigenstatistik. Besonders stark "
        "gewachsen ist die Zahl der Gründerinnen – ein Befund, der sich auch in anderen "
        "Großstädten zeigt.</p><p>Die vollständige Studie finden Sie hier.</p>"
    )
    assert [p["name"] for p in result["people_created"]] == ["Dr. René Leicht", "Annika Götz"]
    assert result["links_needing_target"][0]["phrase"] == "finden Sie hier"
    english = client.get(f"/api/v1/news/{item['id']}?lang=en").get_json()
    assert (english["lang"], english["fallback"]) == ("de", True)
    assert english["display_date"] == "March 15, 2021"


def test_prof_dr_and_umlauts_match_existing_people_and_create_the_others(
    app: Flask, client: FlaskClient, make_item: Callable[..., int], token: Token, tmp_path: Path
) -> None:
    weiss = person(make_item, "Hans-Juergen", "WEISS")  # spelled without umlaut or ß
    # The same page with its text decomposed (NFD): it is stored composed (NFC).
    page = tmp_path / PROF_DR.name
    page.write_text(unicodedata.normalize("NFD", PROF_DR.read_text("utf-8")), "utf-8")

    code, report = run_json(app, page)

    assert code == 0, report
    (result,) = report["files"]
    assert result["people_linked"] == [
        {"name": "Dr. Hans-Jürgen Weiß", "id": weiss, "matched": "Hans-Juergen WEISS"}
    ]
    created = {p["name"]: p for p in result["people_created"]}
    assert list(created) == ["Prof. Dr. Björn Schäfer", "Jana Ölmez-Krüger"]
    editor = token("editor")
    schaefer = editing(client, editor, "people", created["Prof. Dr. Björn Schäfer"]["id"])
    assert (schaefer["honorific_prefix"], schaefer["given_name"], schaefer["family_name"]) == (
        "Prof. Dr.",
        "Björn",
        "Schäfer",
    )
    oelmez = editing(client, editor, "people", created["Jana Ölmez-Krüger"]["id"])
    assert (oelmez["honorific_prefix"], oelmez["family_name"]) == (None, "Ölmez-Krüger")
    assert oelmez["translations"]["de"]["slug"] == "jana-oelmez-krueger"
    item = editing(client, editor, "news", result["item"]["id"])
    assert item["people"] == [schaefer["id"], weiss, oelmez["id"]]
    de, en = item["translations"]["de"], item["translations"]["en"]
    assert de["title"] == "Tagung „Migrantische Ökonomie“ am ifm Mannheim"
    assert en["title"] == 'Conference "Migrant Economies" at the ifm Mannheim'
    assert unicodedata.is_normalized("NFC", de["title"] + de["body"] + schaefer["family_name"])
    assert item["published_at"] == "2022-05-31T22:00:00+00:00"  # 01.06.22, summer time
    assert [link["phrase"] for link in result["links_needing_target"]] == [
        "stehen hier zum Download bereit",
        "can be downloaded here",
    ]


def test_importing_twice_changes_nothing_and_says_so(
    app: Flask, client: FlaskClient, token: Token
) -> None:
    files = (SEED, GERMAN_ONLY, PROF_DR)
    assert run(app, "--publish", *files).exit_code == 0
    before = counts(app)
    editor = token("editor")
    news_before = client.get("/api/v1/news?status=all&lang=all", headers=editor).get_data()

    again = run(app, "--publish", *files)

    assert again.exit_code == 0
    assert again.stdout.count(": unchanged: news") == 3
    assert "3 file(s): 3 unchanged" in again.stdout
    assert counts(app) == before
    assert client.get("/api/v1/news?status=all&lang=all", headers=editor).get_data() == news_before


def test_a_changed_page_updates_its_item_unless_an_editor_changed_the_item(
    app: Flask, client: FlaskClient, token: Token, tmp_path: Path
) -> None:
    page = tmp_path / "page.txt"
    page.write_text(GERMAN_ONLY.read_text("utf-8"), "utf-8")
    _code, first = run_json(app, page)
    item_id = first["files"][0]["item"]["id"]
    page.write_text(page.read_text("utf-8").replace("seit 2010", "seit 2012"), "utf-8")

    _code, second = run_json(app, page)

    assert second["files"][0]["status"] == "updated"
    editor = token("editor")
    item = editing(client, editor, "news", item_id)
    assert "seit 2012" in item["translations"]["de"]["teaser"]
    etag = client.get(f"/api/v1/news/{item_id}?lang=all&version=draft", headers=editor).headers
    patched = client.patch(
        f"/api/v1/news/{item_id}",
        json={"tags": ["edited"]},
        headers={**editor, "If-Match": etag["ETag"]},
    )
    assert patched.status_code == 200
    page.write_text(page.read_text("utf-8").replace("seit 2012", "seit 2014"), "utf-8")

    _code, third = run_json(app, page)

    assert third["files"][0]["status"] == "skipped"
    assert "edited since it was imported" in third["files"][0]["warnings"][0]
    assert "seit 2012" in editing(client, editor, "news", item_id)["translations"]["de"]["teaser"]


def test_a_broken_file_fails_alone_with_its_reason_and_leaves_no_trace(
    app: Flask, client: FlaskClient, token: Token, tmp_path: Path
) -> None:
    binary = tmp_path / "scan.txt"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    no_date = tmp_path / "no-date.txt"
    no_date.write_text("Ein Titel\n\nEin Absatz ohne Datum.\n", "utf-8")
    windows = tmp_path / "windows.txt"
    windows.write_bytes(GERMAN_ONLY.read_text("utf-8").replace("\xa0", " ").encode("cp1252"))
    too_long = tmp_path / "too-long.txt"  # understood, but refused by the write schema
    too_long.write_text(f"Titel\n\n{'Sehr lang. ' * 600}\n\n01.02.20\n\nDr. Neue Person\n")
    missing = tmp_path / "missing.txt"

    result = run(app, binary, SEED, no_date, windows, too_long, missing, "--json")

    assert result.exit_code == 1
    report = {Path(r["file"]).name: r for r in json.loads(result.stdout)["files"]}
    assert report["scan.txt"]["status"] == "failed"
    assert report["scan.txt"]["error"] == "a binary file (image/png), not a text page"
    assert report["no-date.txt"]["error"] == "no date line (dd.mm.yy)"
    assert report["missing.txt"]["error"].startswith("cannot be read")
    assert report["too-long.txt"]["error"].startswith("invalid: translations.de.teaser:")
    assert report["too-long.txt"]["people_created"] == []
    assert report[SEED.name]["status"] == "created"
    assert report["windows.txt"]["status"] == "created"
    assert report["windows.txt"]["warnings"] == ["not UTF-8: read as cp1252 (Windows-1252)"]
    editor = token("editor")
    titles = [
        n["title"]
        for n in client.get("/api/v1/news?status=all", headers=editor).get_json()["items"]
    ]
    assert sorted(titles) == sorted([SEED_DE, "Neuer Gründungsmonitor: Selbständige mit "
                                     "Migrationshintergrund in Mannheim"])  # fmt: skip
    people = client.get("/api/v1/people?status=all", headers=editor).get_json()["items"]
    assert "Neue Person" not in {p["family_name"] for p in people}
    text = run(app, no_date)
    assert text.exit_code == 1
    assert "no-date.txt: FAILED: no date line (dd.mm.yy)" in text.stdout


def test_dry_run_lists_the_people_it_would_create_and_writes_nothing(app: Flask) -> None:
    before = counts(app)

    result = run(app, "--dry-run", SEED, PROF_DR)

    assert result.exit_code == 0
    assert result.stdout.startswith("dry run: nothing is written")
    assert ": would be created: news" in result.stdout
    assert (
        "people that would be created: Annika Götz, Dr. Christoph Sajons, Dr. Bettina Müller, "
        "Prof. Dr. Björn Schäfer, Dr. Hans-Jürgen Weiß, Jana Ölmez-Krüger"
    ) in result.stdout
    assert counts(app) == before
