"""What editors may write: the edit shapes round-trip, bad bodies are 4xx problem documents
(never a 500), rich text is cleaned, text is stored NFC, slugs follow the documented rules,
relations must exist, each type's own rules hold, and a failed write leaves no trace."""

from __future__ import annotations

import json
import re
import unicodedata
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from ifm_api.core import db
from ifm_api.core.auth import create_token
from ifm_api.core.content import REGISTRY
from ifm_api.core.media import store_file
from ifm_api.core.models import ContentEntity, Revision
from ifm_api.core.schemas import RICH_TEXT_MAX, EditSchemaBase, Translations
from ifm_api.news.schemas import NewsItemEditSchema
from ifm_api.people.schemas import PersonEditSchema
from ifm_api.projects.schemas import ProjectEditSchema
from ifm_api.reports.schemas import ReportEditSchema
from ifm_api.research_areas.schemas import ResearchAreaEditSchema

Headers = dict[str, str]
PROBLEM = "application/problem+json"
EDIT_SCHEMAS: dict[str, type[EditSchemaBase]] = {
    "news": NewsItemEditSchema,
    "reports": ReportEditSchema,
    "projects": ProjectEditSchema,
    "people": PersonEditSchema,
    "research_areas": ResearchAreaEditSchema,
}


@pytest.fixture
def editor(app: Flask) -> Headers:
    with app.app_context(), db.transaction():
        _token, plain = create_token("alice", "editor")
    return {"Authorization": f"Bearer {plain}"}


def url(resource: str) -> str:
    return f"/api/v1/{resource.replace('_', '-')}"


@cache
def committed_document() -> dict[str, Any]:
    """The committed OpenAPI document: the patterns a client that checks it applies."""
    return json.loads(
        (Path(__file__).resolve().parents[1] / "openapi" / "openapi.json").read_text()
    )


def post(client: FlaskClient, resource: str, body: Any, headers: Headers) -> TestResponse:
    return client.post(url(resource), json=body, headers=headers)


def created(client: FlaskClient, resource: str, body: Any, headers: Headers) -> TestResponse:
    response = post(client, resource, body, headers)
    assert response.status_code == 201, response.get_json()
    return response


def patch(
    client: FlaskClient, resource: str, response: TestResponse, body: Any, headers: Headers
) -> TestResponse:
    item = response.get_json()["id"]
    return client.patch(
        f"{url(resource)}/{item}",
        json=body,
        headers={**headers, "If-Match": response.headers["ETag"]},
    )


def publish(client: FlaskClient, resource: str, item: int, headers: Headers) -> TestResponse:
    response = client.post(f"{url(resource)}/{item}/publish", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response


def problem(response: TestResponse, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body = response.get_json()
    assert body["status"] == status and body["title"] and body["detail"]
    return body


def errors(response: TestResponse) -> dict[str, list[str]]:
    return problem(response, 422)["errors"]


def news(title: str = "Meldung", **data: Any) -> dict[str, Any]:
    return {**data, "translations": {"de": {"title": title}}}


def entities(app: Flask) -> int:
    with app.app_context():
        return db.session().scalar(select(func.count()).select_from(ContentEntity)) or 0


# --- the edit shapes --------------------------------------------------------------------------


@pytest.mark.parametrize("resource", list(EDIT_SCHEMAS))
def test_edit_schema_requires_what_the_service_requires(resource: str) -> None:
    schema = EDIT_SCHEMAS[resource]()
    translations = schema.fields["translations"]
    assert isinstance(translations, Translations)
    nested = translations.value_field.schema  # type: ignore[union-attr]
    spec = REGISTRY[resource]
    required = {name for name, f in nested.fields.items() if f.required}
    assert required == set(spec.required_translated)
    assert set(nested.fields) == {"slug", *spec.translated_fields}
    writable = {name for name, f in schema.fields.items() if not f.dump_only}
    relations = {relation.name for relation in spec.relations}
    assert writable == {"translations", *spec.fields, *relations, *spec.extra_write_keys} | (
        {"portrait_id"} if resource == "people" else set()
    )


@pytest.fixture
def full_items(app: Flask, client: FlaskClient, editor: Headers) -> dict[str, dict[str, Any]]:
    """One item of each type with every field filled in, created through the API."""
    with app.app_context(), db.transaction():
        pdf = store_file(b"%PDF-1.4\n%%EOF\n", "bericht.pdf", "application/pdf", author="t")
        png = store_file(b"\x89PNG\r\n\x1a\nfake", "portrait.png", "image/png", author="t")
        db.session().flush()
        pdf_id, png_id = pdf.id, png.id

    def make(resource: str, body: dict[str, Any]) -> int:
        return created(client, resource, body, editor).get_json()["id"]

    area = make(
        "research_areas",
        {
            "sort_order": 2,
            "translations": {
                "de": {"name": "Neue Selbständigkeit", "description": "<p>Team</p>"},
                "en": {"name": "New Self-Employment", "slug": "new-self-employment"},
            },
        },
    )
    person = make(
        "people",
        {
            "honorific_prefix": "Dr.",
            "given_name": "Bettina",
            "family_name": "Müller",
            "email": "mueller@ifm.example",
            "phone": "+49 621 181-2890",
            "orcid": "0000-0002-1825-0097",
            "is_current": True,
            "portrait_id": png_id,
            "research_area": area,
            "translations": {"de": {"position": "Projektleitung", "biography": "<p>Bio</p>"}},
        },
    )
    project = make(
        "projects",
        {
            "start_date": "2018-05-01",
            "end_date": None,
            "funders": ["Land Baden-Württemberg"],
            "partners": ["Kommunen"],
            "research_area": area,
            "members": [{"person": person, "role": "lead"}],
            "translations": {
                "de": {"title": "Evaluation", "summary": "Kurz", "description": "<p>Lang</p>"}
            },
        },
    )
    report = make(
        "reports",
        {
            "publication_date": "2019-12-27",
            "report_type": "short_report",
            "series": "ifm-Kurzberichte",
            "number": "12",
            "doi": "10.1000/182",
            "isbn": "978-3-16-148410-0",
            "external_url": "https://www.ifm.example/bericht",
            "authors": [{"person": person}, {"name": "Erika Extern"}],
            "project": project,
            "files": [{"media_id": pdf_id, "lang": "de", "label": "Kurzbericht"}],
            "translations": {"de": {"title": "Kurzbericht", "abstract": "<p>Ergebnisse</p>"}},
        },
    )
    item = make(
        "news",
        {
            "published_at": "2019-12-27T10:00:00+01:00",
            "people": [person],
            "projects": [project],
            "reports": [report],
            "tags": ["integration", "baden-württemberg"],
            "translations": {
                "de": {"title": "Kurzbericht erschienen", "teaser": "Kurz", "body": "<p>Text</p>"},
                "en": {"title": "Short report out"},
            },
        },
    )
    ids = {
        "research_areas": area,
        "people": person,
        "projects": project,
        "reports": report,
        "news": item,
    }
    return {
        resource: client.get(
            f"{url(resource)}/{entity}?lang=all&version=draft", headers=editor
        ).get_json()
        for resource, entity in ids.items()
    }


@pytest.mark.parametrize("resource", list(EDIT_SCHEMAS))
def test_editor_patches_back_what_lang_all_returned_and_nothing_changes(
    client: FlaskClient, editor: Headers, full_items: dict[str, dict[str, Any]], resource: str
) -> None:
    before = full_items[resource]
    read = client.get(f"{url(resource)}/{before['id']}?lang=all&version=draft", headers=editor)
    response = client.patch(
        f"{url(resource)}/{before['id']}",
        json=read.get_json(),
        headers={**editor, "If-Match": read.headers["ETag"]},
    )
    assert response.status_code == 200, response.get_json()
    after = response.get_json()
    unchanged = {"version", "updated_at", "updated_by", "publication"}
    assert {k: v for k, v in after.items() if k not in unchanged} == {
        k: v for k, v in before.items() if k not in unchanged
    }
    assert after["version"] == before["version"] + 1


def test_editor_writes_every_field_and_reads_it_back(
    full_items: dict[str, dict[str, Any]],
) -> None:
    report = full_items["reports"]
    assert report["authors"] == [{"person": full_items["people"]["id"]}, {"name": "Erika Extern"}]
    assert report["files"][0]["lang"] == "de" and report["files"][0]["label"] == "Kurzbericht"
    assert (
        report["isbn"] == "978-3-16-148410-0"
        and report["project"] == (full_items["projects"]["id"])
    )
    project = full_items["projects"]
    assert project["members"] == [{"person": full_items["people"]["id"], "role": "lead"}]
    assert project["research_area"] == full_items["research_areas"]["id"]
    person = full_items["people"]
    assert person["orcid"] == "0000-0002-1825-0097" and person["portrait_id"]
    assert person["translations"]["de"]["slug"] == "bettina-mueller"
    news_item = full_items["news"]
    assert news_item["published_at"] == "2019-12-27T09:00:00+00:00"
    assert news_item["tags"] == ["integration", "baden-württemberg"]
    assert set(news_item["translations"]) == {"de", "en"}
    assert full_items["research_areas"]["translations"]["en"]["slug"] == "new-self-employment"


# --- bad bodies -------------------------------------------------------------------------------

NESTED = "[" * 100_000 + "]" * 100_000
BAD_BODIES: list[tuple[str, dict[str, Any], int, str | None]] = [
    (
        "malformed JSON",
        {"data": '{"translations": ', "content_type": "application/json"},
        400,
        None,
    ),
    ("trailing garbage", {"data": "{} x", "content_type": "application/json"}, 400, None),
    ("NaN", {"data": '{"sort": NaN}', "content_type": "application/json"}, 400, None),
    ("invalid UTF-8", {"data": b'{"a": "\xff"}', "content_type": "application/json"}, 400, None),
    ("deep nesting", {"data": NESTED, "content_type": "application/json"}, 400, None),
    ("text/plain", {"data": "title=x", "content_type": "text/plain"}, 415, None),
    (
        "form",
        {"data": {"title": "x"}, "content_type": "application/x-www-form-urlencoded"},
        415,
        None,
    ),
    ("a list", {"json": [news()]}, 422, "_schema"),
    ("a string", {"json": "Meldung"}, 422, "_schema"),
    ("null", {"json": None}, 422, None),
    ("no body", {}, 422, "translations"),
    ("no translations", {"json": {"tags": []}}, 422, "translations"),
    ("empty translations", {"json": {"translations": {}}}, 422, "translations"),
    ("only a removal", {"json": {"translations": {"de": None}}}, 422, "translations.de"),
    ("translations a list", {"json": {"translations": [{"title": "x"}]}}, 422, "translations"),
    ("unknown field", {"json": news(colour="red")}, 422, "colour"),
    (
        "unknown translated field",
        {"json": {"translations": {"de": {"title": "x", "subtitle": "y"}}}},
        422,
        "translations.de.subtitle",
    ),
    (
        "unknown language",
        {"json": {"translations": {"fr": {"title": "x"}}}},
        422,
        "translations.fr",
    ),
    (
        "missing title",
        {"json": {"translations": {"de": {"teaser": "x"}}}},
        422,
        "translations.de.title",
    ),
    ("empty title", {"json": news("")}, 422, "translations.de.title"),
    (
        "null title",
        {"json": {"translations": {"de": {"title": None}}}},
        422,
        "translations.de.title",
    ),
    ("title a number", {"json": news(5)}, 422, "translations.de.title"),  # type: ignore[arg-type]
    ("title too long", {"json": news("x" * 301)}, 422, "translations.de.title"),
    (
        "huge body",
        {"json": {"translations": {"de": {"title": "x", "body": "<p>x</p>" * RICH_TEXT_MAX}}}},
        422,
        "translations.de.body",
    ),
    ("NUL in text", {"json": news("a\x00b")}, 422, "translations.de.title"),
    (
        "lone surrogate",
        {
            "data": '{"translations": {"de": {"title": "\\ud800"}}}',
            "content_type": "application/json",
        },
        400,
        None,
    ),
    ("tags a string", {"json": news(tags="a,b")}, 422, "tags"),
    ("tag too long", {"json": news(tags=["x" * 101])}, 422, "tags.0"),
    ("empty tag", {"json": news(tags=[""])}, 422, "tags.0"),
    ("too many tags", {"json": news(tags=[f"t{n}" for n in range(201)])}, 422, "tags"),
    ("id a string", {"json": news(people=["1"])}, 422, "people.0"),
    ("id a float", {"json": news(people=[1.5])}, 422, "people.0"),
    ("id a bool", {"json": news(people=[True])}, 422, "people.0"),
    ("id too large", {"json": news(people=[10**30])}, 422, "people.0"),
    ("id zero", {"json": news(people=[0])}, 422, "people.0"),
    ("date not a date", {"json": news(published_at="gestern")}, 422, "published_at"),
    (
        "datetime without offset",
        {"json": news(published_at="2019-12-27T10:00:00")},
        422,
        "published_at",
    ),
    (
        "slug with capitals",
        {"json": {"translations": {"de": {"title": "x", "slug": "Neu"}}}},
        422,
        "translations.de.slug",
    ),
    (
        "slug with umlaut",
        {"json": {"translations": {"de": {"title": "x", "slug": "grün"}}}},
        422,
        "translations.de.slug",
    ),
    (
        "slug too long",
        {"json": {"translations": {"de": {"title": "x", "slug": "a" * 121}}}},
        422,
        "translations.de.slug",
    ),
    ("read-only id only", {"json": {"id": 7, "version": 3}}, 422, "translations"),
]


@pytest.mark.parametrize(
    ("kwargs", "status", "path"),
    [pytest.param(kwargs, status, path, id=name) for name, kwargs, status, path in BAD_BODIES],
)
def test_editor_posts_bad_body_gets_4xx_problem_and_nothing_is_written(
    app: Flask,
    client: FlaskClient,
    editor: Headers,
    kwargs: dict[str, Any],
    status: int,
    path: str | None,
) -> None:
    response = client.post("/api/v1/news", headers=editor, **kwargs)
    body = problem(response, status)
    if path is not None:
        assert path in body["errors"], body["errors"]
    assert entities(app) == 0


PATCH_BODIES: list[tuple[str, Any, str]] = [
    ("unknown field", {"colour": "red"}, "colour"),
    ("translated field at the top", {"title": "x"}, "title"),
    ("null title", {"translations": {"de": {"title": None}}}, "translations.de.title"),
    ("empty title", {"translations": {"de": {"title": ""}}}, "translations.de.title"),
    (
        "new language without title",
        {"translations": {"en": {"teaser": "x"}}},
        "translations.en.title",
    ),
    ("removing the last language", {"translations": {"de": None}}, "translations"),
    ("translations null", {"translations": None}, "translations"),
    ("tags null", {"tags": None}, "tags"),
    ("people not a list", {"people": 3}, "people"),
    ("unknown person", {"people": [9999]}, "people.0"),
]


@pytest.mark.parametrize(
    ("body", "path"), [pytest.param(body, path, id=name) for name, body, path in PATCH_BODIES]
)
def test_editor_patches_bad_body_gets_422_and_nothing_changes(
    app: Flask, client: FlaskClient, editor: Headers, body: Any, path: str
) -> None:
    item = created(client, "news", news("Bleibt", tags=["a"]), editor)
    response = patch(client, "news", item, body, editor)
    assert path in errors(response)
    read = client.get(
        f"/api/v1/news/{item.get_json()['id']}?lang=all&version=draft", headers=editor
    )
    assert read.headers["ETag"] == item.headers["ETag"]
    assert read.get_json()["translations"]["de"]["title"] == "Bleibt"
    assert read.get_json()["tags"] == ["a"]
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(Revision)) == 1


def test_editor_patch_that_fails_late_leaves_no_trace(
    app: Flask, client: FlaskClient, editor: Headers
) -> None:
    first = created(client, "news", news("Erste", tags=["a"]), editor)
    created(
        client, "news", {"translations": {"de": {"title": "Zweite", "slug": "besetzt"}}}, editor
    )
    response = patch(
        client,
        "news",
        first,
        {"tags": ["b"], "translations": {"de": {"title": "Geändert", "slug": "besetzt"}}},
        editor,
    )
    assert problem(response, 409)["type"] == "urn:ifm-api:problem:slug_taken"
    read = client.get(
        f"/api/v1/news/{first.get_json()['id']}?lang=all&version=draft", headers=editor
    )
    assert read.get_json()["translations"]["de"]["title"] == "Erste"
    assert read.get_json()["tags"] == ["a"]
    assert read.get_json()["version"] == 1


def test_editor_create_that_fails_on_a_relation_leaves_no_trace(
    app: Flask, client: FlaskClient, editor: Headers
) -> None:
    response = post(client, "news", news(people=[424242]), editor)
    assert errors(response)["people.0"]
    assert entities(app) == 0
    listed = client.get("/api/v1/news?status=all", headers=editor).get_json()
    assert listed["meta"]["total"] == 0


def test_problem_documents_of_writes_come_in_the_chosen_language(
    client: FlaskClient, editor: Headers
) -> None:
    english = post(client, "news", news("x" * 301), {**editor, "Accept-Language": "en"})
    german = post(client, "news", news("x" * 301), {**editor, "Accept-Language": "de"})
    assert english.headers["Content-Language"] == "en"
    assert german.headers["Content-Language"] == "de"
    assert errors(english)["translations.de.title"] != errors(german)["translations.de.title"]


# --- rich text --------------------------------------------------------------------------------

XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">klick</a>',
    '<a href="JaVaScRiPt:alert(1)">klick</a>',
    '<a href="&#106;avascript:alert(1)">klick</a>',
    '<a href=" javascript:alert(1)">klick</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">klick</a>',
    '<p style="background:url(javascript:alert(1))">x</p>',
    "<p onclick=alert(1)>x</p>",
    '<div onmouseover="alert(1)">x</div>',
    "<svg onload=alert(1)><circle r=1 /></svg>",
    "<svg><script>alert(1)</script></svg>",
    '<iframe src="https://evil.example"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<object data="evil.swf"></object><embed src="evil.swf">',
    '<form action="javascript:alert(1)"><button>x</button></form>',
    "<input onfocus=alert(1) autofocus>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<style>body{display:none}</style>",
    '<link rel="stylesheet" href="https://evil.example/x.css">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "<base href=javascript:alert(1)//>",
    "<!--<script>alert(1)</script>-->",
    '<table background="javascript:alert(1)"><tr><td>x</td></tr></table>',
]
FORBIDDEN = (
    "<script",
    "onerror",
    "onload",
    "onclick",
    "onmouseover",
    "onfocus",
    "javascript:",
    "style",
    "<svg",
    "<iframe",
    "<object",
    "<embed",
    "<form",
    "<input",
    "<meta",
    "<link",
    "<base",
    "data:",
    "<!--",
    "srcdoc",
    "background",
)


def harmless(html: str | None) -> bool:
    lowered = (html or "").lower()
    return not any(marker in lowered for marker in FORBIDDEN)


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_editor_rich_text_payload_comes_back_harmless(
    client: FlaskClient, editor: Headers, payload: str
) -> None:
    body = f"<p>Vorher</p>{payload}<p>Nachher</p>"
    response = created(
        client, "news", {"translations": {"de": {"title": "x", "body": body}}}, editor
    )
    stored = response.get_json()["translations"]["de"]["body"]
    assert harmless(stored), stored
    assert stored.startswith("<p>Vorher</p>")
    publish(client, "news", response.get_json()["id"], editor)
    public = client.get(f"/api/v1/news/{response.get_json()['id']}").get_json()
    assert harmless(public["body"]) and public["body"] == stored


@pytest.mark.parametrize(
    ("resource", "body", "field"),
    [
        ("reports", {"translations": {"de": {"title": "x", "abstract": ""}}}, "abstract"),
        ("projects", {"translations": {"de": {"title": "x", "description": ""}}}, "description"),
        (
            "people",
            {"given_name": "A", "family_name": "B", "translations": {"de": {"biography": ""}}},
            "biography",
        ),
        (
            "research_areas",
            {"translations": {"de": {"name": "x", "description": ""}}},
            "description",
        ),
    ],
)
def test_editor_rich_text_of_every_type_is_cleaned(
    client: FlaskClient, editor: Headers, resource: str, body: dict[str, Any], field: str
) -> None:
    good = '<h2>Titel</h2><ul><li><a href="https://ifm.example">x</a></li></ul>'
    html = good + "".join(XSS_PAYLOADS)  # an unclosed <style> swallows what follows it
    body["translations"]["de"][field] = html
    stored = created(client, resource, body, editor).get_json()["translations"]["de"][field]
    assert harmless(stored), stored
    assert "<h2>Titel</h2>" in stored
    assert '<a href="https://ifm.example" rel="noopener noreferrer">x</a>' in stored


def test_editor_plain_text_is_kept_as_text(client: FlaskClient, editor: Headers) -> None:
    response = created(client, "news", news("Kosten < Nutzen & mehr"), editor)
    assert response.get_json()["translations"]["de"]["title"] == "Kosten < Nutzen & mehr"


# --- Unicode ---------------------------------------------------------------------------------


def test_editor_text_is_stored_nfc(client: FlaskClient, editor: Headers) -> None:
    decomposed = unicodedata.normalize("NFD", "Müller über Größe")
    assert decomposed != "Müller über Größe"
    response = created(
        client,
        "people",
        {
            "given_name": unicodedata.normalize("NFD", "Jürgen"),
            "family_name": unicodedata.normalize("NFD", "Müller"),
            "translations": {"de": {"position": decomposed}},
        },
        editor,
    )
    body = response.get_json()
    assert body["given_name"] == "Jürgen" and body["family_name"] == "Müller"
    assert body["translations"]["de"]["position"] == "Müller über Größe"
    assert body["translations"]["de"]["slug"] == "juergen-mueller"
    item = created(client, "news", news(decomposed, tags=[decomposed]), editor).get_json()
    assert item["translations"]["de"]["title"] == "Müller über Größe"
    assert item["tags"] == ["Müller über Größe"]
    assert item["translations"]["de"]["slug"] == "mueller-ueber-groesse"


def test_editor_length_limits_count_nfc_characters(client: FlaskClient, editor: Headers) -> None:
    title = unicodedata.normalize("NFD", "ü" * 300)
    assert len(title) == 600
    assert created(client, "news", news(title), editor).status_code == 201


# --- slugs ------------------------------------------------------------------------------------


def test_editor_slug_is_generated_with_german_transliteration(
    client: FlaskClient, editor: Headers
) -> None:
    response = created(client, "news", news("Über Größe & Maß: Äpfel, Öl, Übung!"), editor)
    assert response.get_json()["translations"]["de"]["slug"] == (
        "ueber-groesse-mass-aepfel-oel-uebung"
    )


def test_editor_generated_slug_that_is_taken_gets_a_number(
    client: FlaskClient, editor: Headers
) -> None:
    slugs = [
        created(client, "news", news("Gleicher Titel"), editor).get_json()["translations"]["de"][
            "slug"
        ]
        for _ in range(3)
    ]
    assert slugs == ["gleicher-titel", "gleicher-titel-2", "gleicher-titel-3"]
    english = created(
        client, "news", {"translations": {"en": {"title": "Gleicher Titel"}}}, editor
    ).get_json()
    assert english["translations"]["en"]["slug"] == "gleicher-titel"


def test_editor_given_slug_that_is_taken_is_409(
    app: Flask, client: FlaskClient, editor: Headers
) -> None:
    created(client, "news", news("Eins"), editor)
    response = post(
        client, "news", {"translations": {"de": {"title": "Zwei", "slug": "eins"}}}, editor
    )
    body = problem(response, 409)
    assert body["type"] == "urn:ifm-api:problem:slug_taken"
    assert "eins" in body["detail"]
    assert entities(app) == 1
    other_type = post(
        client, "projects", {"translations": {"de": {"title": "Zwei", "slug": "eins"}}}, editor
    )
    assert other_type.status_code == 201


def test_editor_changed_slug_answers_301_from_the_old_one_once_published(
    client: FlaskClient, editor: Headers
) -> None:
    response = created(client, "news", news("Alter Titel"), editor)
    item = response.get_json()["id"]
    published = publish(client, "news", item, editor)
    changed = patch(
        client,
        "news",
        published,
        {"translations": {"de": {"title": "Neuer Titel", "slug": "neuer-titel"}}},
        editor,
    )
    assert changed.status_code == 200
    assert client.get("/api/v1/news/slug/alter-titel").status_code == 200
    assert client.get("/api/v1/news/slug/neuer-titel").status_code == 404
    publish(client, "news", item, editor)
    moved = client.get("/api/v1/news/slug/alter-titel")
    assert moved.status_code == 301
    assert moved.headers["Location"].endswith("/api/v1/news/slug/neuer-titel")
    assert client.get("/api/v1/news/slug/neuer-titel").get_json()["title"] == "Neuer Titel"
    taken = post(
        client, "news", {"translations": {"de": {"title": "X", "slug": "alter-titel"}}}, editor
    )
    assert problem(taken, 409)["type"] == "urn:ifm-api:problem:slug_taken"


def test_editor_title_change_keeps_the_slug(client: FlaskClient, editor: Headers) -> None:
    response = created(client, "news", news("Erster Titel"), editor)
    changed = patch(
        client, "news", response, {"translations": {"de": {"title": "Zweiter"}}}, editor
    )
    assert changed.get_json()["translations"]["de"]["slug"] == "erster-titel"


REPORT_BASE = {"translations": {"de": {"title": "Bericht"}}}
EMPTY_DE = "Das Feld darf nicht leer sein."
BLANK = " \t\u00a0\u3000 "  # spaces, a tab, a no-break and an ideographic space


@pytest.mark.parametrize(
    ("resource", "body", "path"),
    [
        ("news", news(BLANK), "translations.de.title"),
        ("news", news(tags=["gruendung", BLANK]), "tags.1"),
        ("reports", {"translations": {"de": {"title": BLANK}}}, "translations.de.title"),
        ("reports", {**REPORT_BASE, "authors": [{"name": BLANK}]}, "authors.0._schema"),
        ("projects", {"translations": {"de": {"title": " "}}}, "translations.de.title"),
        ("projects", {"funders": [" "], "translations": {"de": {"title": "P"}}}, "funders.0"),
        (
            "people",
            {"given_name": BLANK, "family_name": "Muster", "translations": {"de": {}}},
            "given_name",
        ),
        ("research_areas", {"translations": {"de": {"name": BLANK}}}, "translations.de.name"),
    ],
)
def test_editor_required_text_of_only_whitespace_is_422(
    app: Flask, client: FlaskClient, editor: Headers, resource: str, body: Any, path: str
) -> None:
    response = post(client, resource, body, editor)
    empty = "Geben Sie entweder person oder name an." if "authors" in path else EMPTY_DE
    assert errors(response)[path] == [empty]
    assert entities(app) == 0


def test_editor_patching_a_title_to_spaces_is_422_and_keeps_it(
    client: FlaskClient, editor: Headers
) -> None:
    response = created(client, "news", news("Titel"), editor)
    blanked = patch(client, "news", response, {"translations": {"de": {"title": "   "}}}, editor)
    assert errors(blanked) == {"translations.de.title": [EMPTY_DE]}
    english = client.patch(
        f"/api/v1/news/{response.get_json()['id']}?lang=en",
        json={"translations": {"en": {"title": "  "}}},
        headers={**editor, "If-Match": response.headers["ETag"]},
    )
    assert errors(english) == {"translations.en.title": ["Field may not be empty."]}
    item = client.get(
        f"/api/v1/news/{response.get_json()['id']}?lang=all&version=draft", headers=editor
    ).get_json()
    assert item["translations"] == response.get_json()["translations"]


# --- relations and per-type rules ---------------------------------------------------------


def test_editor_relation_to_an_item_of_the_wrong_type_is_422(
    client: FlaskClient, editor: Headers
) -> None:
    other = created(client, "news", news("Andere Meldung"), editor).get_json()["id"]
    response = post(client, "news", news(people=[other], projects=[other], reports=[]), editor)
    found = errors(response)
    assert set(found) == {"people.0", "projects.0"}
    project = post(
        client,
        "projects",
        {
            "translations": {"de": {"title": "P"}},
            "members": [{"person": other}],
            "research_area": other,
        },
        editor,
    )
    assert set(errors(project)) == {"members.0.person", "research_area"}


def test_editor_writes_project_dates_in_order_only(client: FlaskClient, editor: Headers) -> None:
    body = {"translations": {"de": {"title": "P"}}, "start_date": "2020-01-01"}
    response = post(client, "projects", {**body, "end_date": "2019-12-31"}, editor)
    assert list(errors(response)) == ["end_date"]
    item = created(client, "projects", {**body, "end_date": "2020-01-01"}, editor)
    later_start = patch(client, "projects", item, {"start_date": "2020-06-01"}, editor)
    assert list(errors(later_start)) == ["end_date"]
    open_end = patch(
        client, "projects", item, {"end_date": None, "start_date": "2021-01-01"}, editor
    )
    assert open_end.status_code == 200


@pytest.mark.parametrize(
    ("members", "path"),
    [
        ([{"role": "lead"}], "members.0.person"),
        ([{"person": 1, "role": "boss"}], "members.0.role"),
        ([{"person": 1, "role": "lead", "share": 1}], "members.0.share"),
    ],
)
def test_editor_project_member_needs_person_and_known_role(
    client: FlaskClient, editor: Headers, members: list[dict[str, Any]], path: str
) -> None:
    response = post(
        client, "projects", {"translations": {"de": {"title": "P"}}, "members": members}, editor
    )
    assert path in errors(response)


def test_editor_project_member_role_defaults_to_member(
    client: FlaskClient, editor: Headers
) -> None:
    person = created(
        client,
        "people",
        {"given_name": "A", "family_name": "B", "translations": {"de": {}}},
        editor,
    ).get_json()["id"]
    body = {"translations": {"de": {"title": "P"}}, "members": [{"person": person}]}
    project = created(client, "projects", body, editor).get_json()
    assert project["members"] == [{"person": person, "role": "member"}]


ARABIC_INDIC = str.maketrans("0123456789", "".join(chr(0x0660 + n) for n in range(10)))
PERSON = {"given_name": "Anna", "family_name": "Muster", "translations": {"de": {}}}


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        ({"email": "keine-adresse"}, "email"),
        ({"orcid": "0000-0002-1825-009"}, "orcid"),
        ({"orcid": "0000-0002-1825-0098"}, "orcid"),
        ({"orcid": "https://orcid.org/0000-0002-1825-0097"}, "orcid"),
        ({"orcid": "0000-0002-1825-0097".translate(ARABIC_INDIC)}, "orcid"),
        ({"phone": "call me"}, "phone"),
        ({"given_name": ""}, "given_name"),
        ({"given_name": None}, "given_name"),
        ({"family_name": "x" * 101}, "family_name"),
        ({"is_current": "vielleicht"}, "is_current"),
        ({"portrait_id": 4711}, "portrait_id"),
        ({"sort_key": "a"}, "sort_key"),
        ({"name": "Anna Muster"}, "name"),
    ],
)
def test_editor_person_fields_are_validated(
    client: FlaskClient, editor: Headers, changes: dict[str, Any], path: str
) -> None:
    assert path in errors(post(client, "people", {**PERSON, **changes}, editor))


def test_editor_person_needs_names(client: FlaskClient, editor: Headers) -> None:
    found = errors(post(client, "people", {"translations": {"de": {}}}, editor))
    assert {"given_name", "family_name"} <= set(found)


def test_editor_portrait_must_be_an_image(app: Flask, client: FlaskClient, editor: Headers) -> None:
    with app.app_context(), db.transaction():
        pdf = store_file(b"%PDF-1.4\n%%EOF\n", "x.pdf", "application/pdf", author="t")
        db.session().flush()
        pdf_id = pdf.id
    assert "portrait_id" in errors(
        post(client, "people", {**PERSON, "portrait_id": pdf_id}, editor)
    )
    report = {"translations": {"de": {"title": "R"}}, "files": [{"media_id": pdf_id, "lang": "de"}]}
    assert created(client, "reports", report, editor).get_json()["files"][0]["media_id"] == pdf_id


REPORT = {"translations": {"de": {"title": "Bericht"}}}


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        ({"report_type": "novel"}, "report_type"),
        ({"report_type": None}, "report_type"),
        ({"doi": "doi:10.1000/182"}, "doi"),
        ({"isbn": "978-3-16-148410-1"}, "isbn"),
        ({"isbn": "12345"}, "isbn"),
        ({"external_url": "javascript:alert(1)"}, "external_url"),
        ({"external_url": "ftp://ifm.example/x.pdf"}, "external_url"),
        ({"publication_date": "27.12.2019"}, "publication_date"),
        ({"number": "x" * 51}, "number"),
        ({"authors": [{"person": 1, "name": "Beide"}]}, "authors.0._schema"),
        ({"authors": [{}]}, "authors.0._schema"),
        ({"authors": [{"person": 4711}]}, "authors.0.person"),
        ({"project": 4711}, "project"),
        ({"files": [{"media_id": 4711, "lang": "de"}]}, "files.0"),
        ({"files": [{"media_id": 1, "lang": "fr"}]}, "files.0.lang"),
        ({"files": [{"lang": "de"}]}, "files.0.media_id"),
    ],
)
def test_editor_report_fields_are_validated(
    client: FlaskClient, editor: Headers, changes: dict[str, Any], path: str
) -> None:
    assert path in errors(post(client, "reports", {**REPORT, **changes}, editor))


def test_editor_isbn10_with_x_check_digit_is_accepted(client: FlaskClient, editor: Headers) -> None:
    assert (
        created(client, "reports", {**REPORT, "isbn": "0-8044-2957-X"}, editor).status_code == 201
    )


def test_editor_isbn_and_orcid_digits_are_ascii_as_the_documented_pattern_says(
    client: FlaskClient, editor: Headers
) -> None:
    """Python's ``\\d`` would take any Unicode digit (and ``int()`` reads them): the pattern
    is ``[0-9]``, which means the same in every regex dialect a generated client uses."""
    isbn = "978-3-16-148410-0".translate(ARABIC_INDIC)
    assert "isbn" in errors(post(client, "reports", {**REPORT, "isbn": isbn}, editor))


def test_editor_research_area_sort_order_is_an_integer(
    client: FlaskClient, editor: Headers
) -> None:
    body = {"translations": {"de": {"name": "Team"}}}
    assert "sort_order" in errors(
        post(client, "research_areas", {**body, "sort_order": "1"}, editor)
    )
    assert "sort_order" in errors(
        post(client, "research_areas", {**body, "sort_order": 10**12}, editor)
    )
    assert created(client, "research_areas", {**body, "sort_order": -3}, editor).status_code == 201


@pytest.mark.parametrize("space", ["\x1c", "\x85", "\ufeff", "\u00a0", "\u3000", " \t"])
def test_a_title_of_whitespace_is_blank_to_the_server_and_to_the_documented_pattern(
    client: FlaskClient, editor: Headers, space: str
) -> None:
    """Whitespace either regex dialect knows is blank on both sides: the document's pattern
    spells its characters out instead of ``\\s``, which Python and ECMA-262 read differently."""
    document = committed_document()
    title = document["components"]["schemas"]["NewsItemTranslationEdit"]["properties"]["title"]
    assert "\\s" not in title["pattern"]
    assert re.search(title["pattern"], space) is None
    assert re.search(title["pattern"], f"{space}Titel") is not None
    body = {"translations": {"de": {"title": space}}}
    assert "translations.de.title" in errors(post(client, "news", body, editor))


@pytest.mark.parametrize("space", ["\ufeff", "\x85", "\u3000 "])
def test_an_author_name_of_whitespace_is_blank_beside_a_person_and_alone(
    client: FlaskClient, editor: Headers, space: str
) -> None:
    """The document says a person's author may carry a name of whitespace and an external one
    may not; the server reads blank as the same characters (``str.strip`` keeps \\ufeff)."""
    person = created(client, "people", PERSON, editor).get_json()["id"]
    beside = {**REPORT, "authors": [{"person": person, "name": space}]}
    assert created(client, "reports", beside, editor).status_code == 201
    alone = {**REPORT, "authors": [{"name": space}]}
    assert "authors.0._schema" in errors(post(client, "reports", alone, editor))


def test_a_url_with_nul_is_refused_by_the_server_and_by_the_documented_pattern(
    client: FlaskClient, editor: Headers
) -> None:
    """A Text field's own pattern says it takes no NUL: a client checking the document must
    not send what the server refuses (schemathesis ST202)."""
    document = committed_document()
    pattern = document["components"]["schemas"]["ReportEdit"]["properties"]["external_url"]
    for url in ("https://ifm.example/a\x00b", "https://ifm\x00.example/"):
        assert re.search(pattern["pattern"], url) is None
        assert "external_url" in errors(
            post(client, "reports", {**REPORT, "external_url": url}, editor)
        )
    assert (
        created(
            client, "reports", {**REPORT, "external_url": "https://ifm.example/a"}, editor
        ).status_code
        == 201
    )
