"""Old URLs keep working: ``GET /api/v1/redirects?path=`` answers with the item's current
public URL in the read's language; admins manage the rules."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import pytest
from factories import edit_and_publish, news
from flask import Flask
from flask.testing import FlaskClient

from ifm_api.cli import main

FIXTURES = Path(__file__).parent / "fixtures" / "legacy"
SEED = FIXTURES / "news-2019-12-27-integrationsmanagement.txt"
GERMAN_ONLY = FIXTURES / "news-2021-03-15-gruendungsmonitor.txt"
OLD_URL = "https://www.ifm.uni-mannheim.de/aktuelles/news.php?id=427&L=1"
SITE = "https://www.ifm.example"
SEED_SLUG_DE = (
    "kurzbericht-zur-evaluation-des-integrationsmanagements-in-baden-wuerttemberg-veroeffentlicht"
)
SEED_SLUG_EN = (
    "first-insights-on-the-implementation-of-the-integration-management-in-baden-wuerttemberg"
    "-published"
)

Token = Callable[..., dict[str, str]]


def lookup(client: FlaskClient, path: str, query: str = "", **headers: str):  # type: ignore[no-untyped-def]
    return client.get(f"/api/v1/redirects?path={quote(path, safe='')}{query}", headers=headers)


@pytest.fixture
def imported(app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    """The seed page, published, with its old URL from a URL map."""
    monkeypatch.setenv("FLASK_SKIP_DOTENV", "1")
    url_map = tmp_path / "map.csv"
    url_map.write_text(f"old_url,file\n{OLD_URL},{SEED}\n/alt/gruendung.html,{GERMAN_ONLY}\n")
    result = app.test_cli_runner().invoke(
        main, ["import-legacy", "--publish", "--url-map", str(url_map), str(SEED), "--json"]
    )
    assert result.exit_code == 0, result.output
    (file,) = json.loads(result.stdout)["files"]
    assert file["source_key"] == "url:/aktuelles/news.php?L=1&id=427"
    assert file["redirects"] == ["/aktuelles/news.php?L=1&id=427"]
    return file["item"]["id"]


def test_mapped_old_url_redirects_to_the_item_in_both_languages(
    client: FlaskClient, imported: int
) -> None:
    german = lookup(client, "/aktuelles/news.php?id=427&L=1")
    english = lookup(client, "/aktuelles/news.php?id=427&L=1", **{"Accept-Language": "en-GB"})
    by_lang = lookup(client, OLD_URL, "&lang=en")

    assert german.status_code == 200
    assert german.get_json() == {
        "path": "/aktuelles/news.php?L=1&id=427",
        "location": f"{SITE}/de/news/{SEED_SLUG_DE}",
        "status": 301,
        "type": "news",
        "id": imported,
        "lang": "de",
        "fallback": False,
        "slug": SEED_SLUG_DE,
    }
    assert german.headers["Content-Language"] == "de"
    assert german.headers["Vary"] == "Accept-Language, Authorization"
    assert german.headers["Cache-Control"].startswith("public")
    assert english.get_json()["location"] == f"{SITE}/en/news/{SEED_SLUG_EN}"
    assert english.headers["Content-Language"] == "en"
    assert by_lang.get_json() == english.get_json()
    etag = german.headers["ETag"]
    assert (
        lookup(client, "/aktuelles/news.php?id=427&L=1", **{"If-None-Match": etag}).status_code
        == 304
    )


def test_redirect_follows_a_changed_slug_and_falls_back_like_reads(
    app: Flask, client: FlaskClient, imported: int
) -> None:
    edit_and_publish(
        app, "news", imported, {"translations": {"de": {"slug": "neuer-slug"}, "en": None}}
    )

    german = lookup(client, "/aktuelles/news.php/?L=1&id=427").get_json()
    english = lookup(client, "/aktuelles/news.php?id=427&L=1", "&lang=en").get_json()
    strict = lookup(client, "/aktuelles/news.php?id=427&L=1", "&lang=en&fallback=false")

    assert german["location"] == f"{SITE}/de/news/neuer-slug"
    assert (english["lang"], english["fallback"]) == ("de", True)
    assert english["location"] == f"{SITE}/de/news/neuer-slug"
    assert strict.status_code == 404


def test_unknown_or_unpublished_paths_are_404_problems(
    app: Flask, client: FlaskClient, make_item: Callable[..., int], token: Token
) -> None:
    draft = news(make_item, "Entwurf", publish=False)
    admin = token("admin")
    created = client.post(
        "/api/v1/redirects/rules",
        json={"path": "/alt/entwurf.html", "resource": "news", "item_id": draft},
        headers=admin,
    )
    assert created.status_code == 201

    unknown = lookup(client, "/gibt/es/nicht", "&lang=en")
    hidden = lookup(client, "/alt/entwurf.html")
    missing = client.get("/api/v1/redirects")

    assert unknown.status_code == 404
    assert unknown.mimetype == "application/problem+json"
    assert unknown.get_json()["detail"] == "No redirect for the path /gibt/es/nicht."
    assert hidden.status_code == 404
    assert hidden.get_json()["detail"] == "Keine Weiterleitung für den Pfad /alt/entwurf.html."
    assert missing.status_code == 400


def test_admins_list_create_and_delete_redirect_rules(
    client: FlaskClient, make_item: Callable[..., int], token: Token
) -> None:
    item = news(make_item, "Eine Nachricht", en="A news item")
    admin, editor = token("admin"), token("editor")
    body = {"path": "https://old.example/Archiv/Meldung%20Eins.html", "resource": "news"}

    assert client.get("/api/v1/redirects/rules").status_code == 401
    assert client.post("/api/v1/redirects/rules", json={}, headers=editor).status_code == 403
    created = client.post("/api/v1/redirects/rules", json={**body, "item_id": item}, headers=admin)
    duplicate = client.post(
        "/api/v1/redirects/rules", json={**body, "item_id": item}, headers=admin
    )
    unknown = client.post(
        "/api/v1/redirects/rules", json={**body, "item_id": item + 99}, headers=admin
    )

    assert created.status_code == 201
    rule = created.get_json()
    assert rule["path"] == "/Archiv/Meldung Eins.html"
    assert (rule["resource"], rule["item_id"], rule["created_by"]) == ("news", item, "admin-1")
    assert created.headers["Location"].endswith(f"/api/v1/redirects/rules/{rule['id']}")
    assert duplicate.status_code == 409
    assert unknown.status_code == 422
    assert unknown.get_json()["errors"] == {
        "item_id": ["Kein Eintrag vom Typ „news“ mit dieser ID."]
    }
    listed = client.get("/api/v1/redirects/rules?page_size=1", headers=admin).get_json()
    assert listed["items"] == [rule]
    assert listed["meta"] == {"page": 1, "page_size": 1, "total": 1, "pages": 1}
    assert lookup(client, "/Archiv/Meldung Eins.html").status_code == 200
    assert lookup(client, "old.example/Archiv/Meldung%20Eins.html/").status_code == 200
    bare = {"path": "meldung.html?b=2&a=1", "resource": "news", "item_id": item}
    assert client.post("/api/v1/redirects/rules", json=bare, headers=admin).get_json()["path"] == (
        "/meldung.html?a=1&b=2"
    )
    assert client.get(f"/api/v1/redirects/rules/{rule['id']}", headers=admin).get_json() == rule

    deleted = client.delete(f"/api/v1/redirects/rules/{rule['id']}", headers=admin)

    assert deleted.status_code == 204
    assert client.delete(f"/api/v1/redirects/rules/{rule['id']}", headers=admin).status_code == 404
    assert lookup(client, "/Archiv/Meldung Eins.html").status_code == 404
