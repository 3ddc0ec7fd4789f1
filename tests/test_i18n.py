"""The API speaks German and English: problem documents, validation messages, dates, catalogs.

Every error kind is requested once with ``lang=de`` and once with ``Accept-Language: en``;
the catalog tests fail when a message in the code has no German translation, when the
committed catalogs are stale, or when a message is put into a problem without being marked.
"""

from __future__ import annotations

import ast
import inspect
import io
import os
import re
import shutil
import string
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po
from factories import news
from flask import Flask, abort
from flask.testing import FlaskClient
from marshmallow import Schema, fields, validate
from werkzeug.test import TestResponse

from ifm_api import create_app
from ifm_api.config import load_settings
from ifm_api.core import catalogs
from ifm_api.core.catalogs import extract_messages, po_files, prepare_translations
from ifm_api.core.errors import DETAILS, HTTP_KEYS, ApiError
from ifm_api.core.messages import BUILTIN_MESSAGES

Token = Callable[..., dict[str, str]]
PROBLEM = "application/problem+json"
SOURCE = Path(catalogs.PACKAGE_DIR)
LANGUAGES = {
    "de": {"query": {"lang": "de"}, "headers": {"Accept-Language": "en"}},
    "en": {"query": {}, "headers": {"Accept-Language": "en"}},
}


# --- one request per error kind ------------------------------------------------------------


@dataclass
class Env:
    client: FlaskClient
    token: Token
    make_item: Callable[..., int]
    extra_client: FlaskClient
    monkeypatch: pytest.MonkeyPatch
    app: Flask


@dataclass
class Case:
    """An error request and what the problem says in each language."""

    status: int
    send: Callable[[Env, dict[str, str], dict[str, str]], TestResponse]
    title: dict[str, str]
    detail: dict[str, str]
    errors: dict[str, dict[str, list[str]]] = field(default_factory=dict)


def _get(path: str, auth: str | None = None) -> Callable[..., TestResponse]:
    def send(env: Env, query: dict[str, str], headers: dict[str, str]) -> TestResponse:
        if auth:
            headers = {**headers, **env.token(auth)}
        return env.client.get(path, query_string=query, headers=headers)

    return send


def _bad_query(env: Env, query: dict[str, str], headers: dict[str, str]) -> TestResponse:
    return env.client.get(
        "/api/v1/news", query_string={**query, "page": "abc", "page_size": "500"}, headers=headers
    )


def _bad_json(env: Env, query: dict[str, str], headers: dict[str, str]) -> TestResponse:
    return env.client.post(
        "/api/v1/tokens",
        query_string=query,
        data="{not json",
        content_type="application/json",
        headers={**headers, **env.token("admin")},
    )


def _bad_token(env: Env, query: dict[str, str], headers: dict[str, str]) -> TestResponse:
    auth = {"Authorization": "Bearer ifm_not-a-real-token"}
    return env.client.get("/api/v1/tokens", query_string=query, headers={**headers, **auth})


def _wrong_method(env: Env, query: dict[str, str], headers: dict[str, str]) -> TestResponse:
    return env.client.put("/api/v1/news", query_string=query, headers=headers, json={})


def _token_twice(env: Env, query: dict[str, str], headers: dict[str, str]) -> TestResponse:
    admin = env.token("admin")
    body = {"name": "twice", "role": "editor"}
    env.client.post("/api/v1/tokens", json=body, headers=admin)
    return env.client.post(
        "/api/v1/tokens", query_string=query, json=body, headers={**headers, **admin}
    )


def _patch_news(if_match: str | None) -> Callable[..., TestResponse]:
    def send(env: Env, query: dict[str, str], headers: dict[str, str]) -> TestResponse:
        item = news(env.make_item, "Meldung")
        extra = {"If-Match": if_match} if if_match else {}
        return env.client.patch(
            f"/api/v1/news/{item}",
            query_string=query,
            json={"translations": {"de": {"title": "Neue Überschrift"}}},
            headers={**headers, **env.token("editor"), **extra},
        )

    return send


def _too_large(env: Env, query: dict[str, str], headers: dict[str, str]) -> TestResponse:
    env.monkeypatch.setitem(env.app.config, "MAX_CONTENT_LENGTH", 1536)
    return env.client.post(
        "/api/v1/media",
        query_string=query,
        data=b"%PDF-" + b"x" * 4096,
        content_type="application/pdf",
        headers={**headers, **env.token("editor")},
    )


def _not_a_file_we_take(env: Env, query: dict[str, str], headers: dict[str, str]) -> TestResponse:
    return env.client.post(
        "/api/v1/media",
        query_string=query,
        data={"file": (io.BytesIO(b"just some text"), "notes.txt", "text/plain")},
        content_type="multipart/form-data",
        headers={**headers, **env.token("editor")},
    )


def _news_as_text(env: Env, query: dict[str, str], headers: dict[str, str]) -> TestResponse:
    return env.client.post(
        "/api/v1/news",
        query_string=query,
        data="title: Meldung",
        content_type="text/plain",
        headers={**headers, **env.token("editor")},
    )


def _range_outside_the_file(
    env: Env, query: dict[str, str], headers: dict[str, str]
) -> TestResponse:
    """A file no published item uses yet: readable with a token."""
    upload = env.client.post(
        "/api/v1/media",
        data={"file": (io.BytesIO(b"%PDF-1.4 tiny"), "tiny.pdf", "application/pdf")},
        content_type="multipart/form-data",
        headers=env.token("editor"),
    )
    assert upload.status_code == 201
    return env.client.get(
        upload.headers["Location"],
        query_string=query,
        headers={**headers, **env.token("editor"), "Range": "bytes=5000-6000"},
    )


def _bad_token_body(env: Env, query: dict[str, str], headers: dict[str, str]) -> TestResponse:
    body = {"name": "", "role": "boss", "expires_in_days": 0, "colour": "red"}
    return env.client.post(
        "/api/v1/tokens", query_string=query, json=body, headers={**headers, **env.token("admin")}
    )


def _extra(path: str) -> Callable[..., TestResponse]:
    def send(env: Env, query: dict[str, str], headers: dict[str, str]) -> TestResponse:
        return env.extra_client.get(path, query_string=query, headers=headers)

    return send


CASES: dict[str, Case] = {
    "400-query": Case(
        400,
        _bad_query,
        {"de": "Ungültige Anfrage", "en": "Bad request"},
        {
            "de": "Mindestens ein Abfrageparameter ist ungültig.",
            "en": "One or more query parameters are invalid.",
        },
        {
            "de": {
                "page": ["Keine gültige ganze Zahl."],
                "page_size": ["Muss größer oder gleich 1 und kleiner oder gleich 100 sein."],
            },
            "en": {
                "page": ["Not a valid integer."],
                "page_size": ["Must be greater than or equal to 1 and less than or equal to 100."],
            },
        },
    ),
    "400-json": Case(
        400,
        _bad_json,
        {"de": "Ungültige Anfrage", "en": "Bad request"},
        {
            "de": "Der Inhalt der Anfrage ist kein gültiges JSON.",
            "en": "The request body is not valid JSON.",
        },
    ),
    "401-missing": Case(
        401,
        _get("/api/v1/tokens"),
        {"de": "Anmeldung erforderlich", "en": "Authentication required"},
        {
            "de": "Diese Anfrage braucht ein Bearer-Token (Authorization: Bearer …).",
            "en": "This request needs a bearer token (Authorization: Bearer …).",
        },
    ),
    "401-invalid": Case(
        401,
        _bad_token,
        {"de": "Anmeldung erforderlich", "en": "Authentication required"},
        {
            "de": "Das Bearer-Token ist unbekannt, abgelaufen oder widerrufen.",
            "en": "The bearer token is unknown, expired or revoked.",
        },
    ),
    "403": Case(
        403,
        _get("/api/v1/tokens", auth="editor"),
        {"de": "Nicht erlaubt", "en": "Forbidden"},
        {
            "de": "Die Rolle editor darf das nicht; nötig ist admin.",
            "en": "The role editor may not do this; it needs admin.",
        },
    ),
    "404": Case(
        404,
        _get("/api/v1/news/987654"),
        {"de": "Nicht gefunden", "en": "Not found"},
        {
            "de": "Kein Eintrag vom Typ „news“ mit der ID 987654.",
            "en": "No news item with id 987654.",
        },
    ),
    "404-route": Case(
        404,
        _get("/api/v1/no-such-thing"),
        {"de": "Nicht gefunden", "en": "Not found"},
        {
            "de": "Die angeforderte Ressource wurde nicht gefunden.",
            "en": "The requested resource was not found.",
        },
    ),
    "405": Case(
        405,
        _wrong_method,
        {"de": "Methode nicht erlaubt", "en": "Method not allowed"},
        {
            "de": "Die Methode PUT ist hier nicht erlaubt.",
            "en": "The method PUT is not allowed here.",
        },
    ),
    "409": Case(
        409,
        _token_twice,
        {"de": "Konflikt", "en": "Conflict"},
        {
            "de": "Ein Token namens twice gibt es bereits.",
            "en": "A token named twice exists already.",
        },
    ),
    "412": Case(
        412,
        _patch_news('"stale-etag"'),
        {"de": "Vorbedingung nicht erfüllt", "en": "Precondition failed"},
        {
            "de": "Der Eintrag wurde geändert, seit Sie ihn gelesen haben (ETag passt nicht); "
            "lesen Sie ihn neu und versuchen Sie es noch einmal.",
            "en": "The item was changed since you read it (ETag mismatch); "
            "read it again and retry.",
        },
    ),
    "413": Case(
        413,
        _too_large,
        {"de": "Inhalt zu groß", "en": "Content too large"},
        {
            "de": "Der Inhalt der Anfrage ist größer als 1,5 KiB.",
            "en": "The request body is larger than 1.5 KiB.",
        },
    ),
    "415-file": Case(
        415,
        _not_a_file_we_take,
        {"de": "Nicht unterstützter Medientyp", "en": "Unsupported media type"},
        {
            "de": "Der Inhalt der Datei hat keinen der angenommenen Typen (PDF, JPEG, PNG, "
            "WebP). Dateien werden an ihrem Inhalt erkannt, nicht an ihrem Namen.",
            "en": "The file's content is not of an accepted type (PDF, JPEG, PNG, WebP). "
            "Files are recognised by their content, not by their name.",
        },
    ),
    "415-body": Case(
        415,
        _news_as_text,
        {"de": "Nicht unterstützter Medientyp", "en": "Unsupported media type"},
        {
            "de": "Der Inhaltstyp text/plain wird hier nicht angenommen.",
            "en": "The content type text/plain is not accepted here.",
        },
    ),
    "416": Case(
        416,
        _range_outside_the_file,
        {"de": "Bereich nicht erfüllbar", "en": "Range not satisfiable"},
        {
            "de": "Der angeforderte Bereich liegt außerhalb der Datei.",
            "en": "The requested range is outside the file.",
        },
    ),
    "422": Case(
        422,
        _bad_token_body,
        {"de": "Nicht verarbeitbarer Inhalt", "en": "Unprocessable content"},
        {
            "de": "Der Inhalt der Anfrage hat ungültige Felder; siehe errors.",
            "en": "The request body has invalid fields; see errors.",
        },
        {
            "de": {
                "colour": ["Unbekanntes Feld."],
                "role": ["Muss einer der folgenden Werte sein: preview, editor, admin."],
                "expires_in_days": ["Muss größer oder gleich 1 und kleiner oder gleich 3650 sein."],
            },
            "en": {
                "colour": ["Unknown field."],
                "role": ["Must be one of: preview, editor, admin."],
                "expires_in_days": [
                    "Must be greater than or equal to 1 and less than or equal to 3650."
                ],
            },
        },
    ),
    "428": Case(
        428,
        _patch_news(None),
        {"de": "Vorbedingung erforderlich", "en": "Precondition required"},
        {
            "de": "Diese Anfrage braucht einen If-Match-Header mit dem aktuellen ETag des "
            "Eintrags.",
            "en": "This request needs an If-Match header with the item's current ETag.",
        },
    ),
    "429": Case(
        429,
        _extra("/test/too-many-requests"),
        {"de": "Zu viele Anfragen", "en": "Too many requests"},
        {"de": "Zu viele Anfragen; bitte langsamer.", "en": "Too many requests; slow down."},
    ),
    "500": Case(
        500,
        _extra("/test/crash"),
        {"de": "Interner Serverfehler", "en": "Internal server error"},
        {
            "de": "Ein unerwarteter Fehler ist aufgetreten. Er wurde protokolliert.",
            "en": "An unexpected error occurred. It has been logged.",
        },
    ),
}


@pytest.fixture(scope="module")
def extra_client(database_url: str, media_root: Path) -> FlaskClient:
    """An app with two routes that fail the way no public endpoint may: 429 and a crash."""
    app = create_app(
        load_settings({"DATABASE_URL": database_url, "IFM_MEDIA_ROOT": str(media_root)})
    )

    @app.get("/test/too-many-requests")
    def too_many_requests() -> None:
        abort(429)

    @app.get("/test/crash")
    def crash() -> None:
        raise RuntimeError("a bug")

    return app.test_client()


@pytest.fixture
def env(
    client: FlaskClient,
    token: Token,
    make_item: Callable[..., int],
    extra_client: FlaskClient,
    monkeypatch: pytest.MonkeyPatch,
    app: Flask,
) -> Env:
    return Env(client, token, make_item, extra_client, monkeypatch, app)


def _german_catalog() -> Catalog:
    with po_files()["de"].open("rb") as handle:
        return read_po(handle, locale="de")


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("kind", CASES)
def test_client_error_problem_is_in_the_requested_language(env: Env, kind: str, lang: str) -> None:
    case = CASES[kind]
    response = case.send(env, LANGUAGES[lang]["query"], LANGUAGES[lang]["headers"])
    body = response.get_json()
    assert response.status_code == case.status, body
    assert response.mimetype == PROBLEM
    assert response.headers["Content-Language"] == lang
    assert body["status"] == case.status
    assert body["title"] == case.title[lang]
    assert body["detail"] == case.detail[lang]
    for path, messages in case.errors.get(lang, {}).items():
        assert body["errors"][path] == messages, body["errors"]


@pytest.mark.parametrize("kind", CASES)
def test_client_error_problem_detail_differs_between_german_and_english(
    env: Env, kind: str
) -> None:
    case = CASES[kind]
    german = case.send(env, {"lang": "de"}, {}).get_json()
    english = case.send(env, {}, {"Accept-Language": "en-GB,en;q=0.9"}).get_json()
    assert german["type"] == english["type"]
    assert german["title"] != english["title"]
    assert german["detail"] != english["detail"]


def test_client_lang_query_wins_over_accept_language_for_messages(client: FlaskClient) -> None:
    response = client.get("/api/v1/news/987654?lang=en", headers={"Accept-Language": "de"})
    assert response.get_json()["title"] == "Not found"
    assert response.headers["Content-Language"] == "en"


def test_client_unsupported_lang_is_answered_in_the_accept_language(client: FlaskClient) -> None:
    response = client.get("/api/v1/news?lang=xx", headers={"Accept-Language": "de"})
    assert response.status_code == 400
    body = response.get_json()
    assert body["title"] == "Ungültige Anfrage"
    assert body["detail"] == "Die Sprache xx wird nicht unterstützt. Mögliche Werte: de, en, all."


def test_client_without_language_preference_gets_the_default_language(
    client: FlaskClient,
) -> None:
    response = client.get("/api/v1/news/987654")
    assert response.get_json()["title"] == "Nicht gefunden"
    assert response.headers["Content-Language"] == "de"


# --- validation of a news item --------------------------------------------------------------


BAD_NEWS = {
    "translations": {"de": {"title": "x" * 1000}, "en": {"title": None}},
    "published_at": "gestern",
    "colour": "red",
}


def test_editor_german_422_for_bad_news_lists_german_messages_per_field(
    client: FlaskClient, token: Token
) -> None:
    response = client.post("/api/v1/news?lang=de", json=BAD_NEWS, headers=token("editor"))
    assert response.status_code == 422
    assert response.headers["Content-Language"] == "de"
    body = response.get_json()
    assert body["title"] == "Nicht verarbeitbarer Inhalt"
    assert body["detail"] == "Der Inhalt der Anfrage hat ungültige Felder; siehe errors."
    errors = body["errors"]
    assert errors["colour"] == ["Unbekanntes Feld."]
    assert errors["published_at"] == ["Kein gültiges Datum mit Uhrzeit."]
    assert errors["translations.en.title"] == ["Das Feld darf nicht null sein."]
    assert errors["translations.de.title"] == ["Länger als die Höchstlänge 300."]


def test_editor_english_422_for_bad_news_lists_english_messages_per_field(
    client: FlaskClient, token: Token
) -> None:
    headers = {**token("editor"), "Accept-Language": "en"}
    response = client.post("/api/v1/news", json=BAD_NEWS, headers=headers)
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert errors["colour"] == ["Unknown field."]
    assert errors["published_at"] == ["Not a valid datetime."]
    assert errors["translations.en.title"] == ["Field may not be null."]
    assert errors["translations.de.title"] == ["Longer than maximum length 300."]


def test_editor_german_422_for_missing_title_says_pflichtfeld_fehlt(
    client: FlaskClient, token: Token
) -> None:
    body = {"translations": {"de": {"teaser": "Ohne Überschrift"}}}
    response = client.post("/api/v1/news?lang=de", json=body, headers=token("editor"))
    assert response.status_code == 422
    assert response.get_json()["errors"]["translations.de.title"] == ["Pflichtfeld fehlt."]


def test_editor_german_422_for_news_without_translation_is_german(
    client: FlaskClient, token: Token
) -> None:
    response = client.post(
        "/api/v1/news?lang=de", json={"translations": {}}, headers=token("editor")
    )
    assert response.status_code == 422
    messages = [m for msgs in response.get_json()["errors"].values() for m in msgs]
    assert messages == ["Mindestens eine Übersetzung ist nötig."]


def test_editor_german_422_for_unknown_related_item_is_german(
    client: FlaskClient, token: Token
) -> None:
    body = {"translations": {"de": {"title": "Mit Bericht"}}, "reports": [987654]}
    response = client.post("/api/v1/news?lang=de", json=body, headers=token("editor"))
    assert response.status_code == 422
    assert response.get_json()["errors"]["reports.0"] == [
        "Kein Eintrag vom Typ „reports“ mit dieser ID."
    ]


# --- dates and numbers ------------------------------------------------------------------------


def test_public_display_date_is_written_in_the_language(
    client: FlaskClient, make_item: Callable[..., int]
) -> None:
    item = news(
        make_item,
        "Meldung",
        "News",
        published_at=datetime(2019, 12, 27, 9, 30, tzinfo=UTC),
    )
    german = client.get(f"/api/v1/news/{item}", headers={"Accept-Language": "de"})
    english = client.get(f"/api/v1/news/{item}?lang=en")
    assert german.get_json()["display_date"] == "27. Dezember 2019"
    assert english.get_json()["display_date"] == "December 27, 2019"
    assert german.get_json()["published_at"] == english.get_json()["published_at"]


def test_public_list_display_dates_follow_the_accept_language(
    client: FlaskClient, make_item: Callable[..., int]
) -> None:
    news(make_item, "Im März", "In March", published_at=datetime(2024, 3, 5, tzinfo=UTC))
    german = client.get("/api/v1/news", headers={"Accept-Language": "de-DE"}).get_json()
    english = client.get("/api/v1/news", headers={"Accept-Language": "en-US"}).get_json()
    assert german["items"][0]["display_date"] == "5. März 2024"
    assert english["items"][0]["display_date"] == "March 5, 2024"


# --- feeds ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "title"), [("de", "ifm Mannheim: Aktuelles"), ("en", "ifm Mannheim: News")]
)
def test_reader_feed_title_is_in_the_feed_language(
    client: FlaskClient, lang: str, title: str
) -> None:
    response = client.get(f"/feeds/news.json?lang={lang}", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    assert response.get_json()["title"] == title


# --- catalogs -----------------------------------------------------------------------------------


def _code_messages() -> dict[str, Any]:
    return {message.id: message for message in extract_messages() if message.id}


def test_catalog_has_german_for_every_message_in_the_code() -> None:
    german = _german_catalog()
    missing = [msgid for msgid in _code_messages() if german.get(msgid) is None]
    assert not missing, f"German catalog is stale, run `make messages`: {missing}"
    untranslated = [
        message.id for message in german if message.id and (not message.string or message.fuzzy)
    ]
    assert not untranslated, f"no (or only a fuzzy) German translation: {untranslated}"


def test_catalog_template_and_every_language_match_the_code() -> None:
    in_code = set(_code_messages())
    with catalogs.TEMPLATE_FILE.open("rb") as handle:
        template = {m.id for m in read_po(handle) if m.id}
    assert template == in_code, "messages.pot is stale, run `make messages`"
    for lang, path in po_files().items():
        with path.open("rb") as handle:
            ids = {m.id for m in read_po(handle, locale=lang) if m.id}
        assert ids == in_code, f"{lang} catalog is stale, run `make messages`"


def _placeholders(text: str) -> tuple[set[str], set[str]]:
    percent = set(re.findall(r"%\((\w+)\)s", text))
    braces = {name for _t, name, _s, _c in string.Formatter().parse(text) if name}
    return percent, braces


def test_catalog_german_translations_keep_every_placeholder() -> None:
    for message in _german_catalog():
        if message.id and message.string:
            assert _placeholders(message.string) == _placeholders(message.id), message.id


def _marshmallow_messages() -> set[str]:
    """Every message the installed marshmallow can produce, in its concrete forms."""
    found: set[str] = set(Schema._default_error_messages.values())
    for cls in vars(fields).values():
        if not (inspect.isclass(cls) and issubclass(cls, fields.Field)):
            continue
        merged: dict[str, str] = {}
        for base in reversed(cls.__mro__):
            merged.update(base.__dict__.get("default_error_messages", {}))
        values = {"obj_type": getattr(cls, "OBJ_TYPE", None)}
        values["awareness"] = getattr(cls, "AWARENESS", None)
        for message in merged.values():
            needed = {n for _t, n, _s, _c in string.Formatter().parse(message) if n in values}
            if any(values[name] is None for name in needed):
                continue
            for name in needed:
                message = message.replace("{%s}" % name, values[name])  # noqa: UP031
            found.add(message)
    for cls in vars(validate).values():
        if not (inspect.isclass(cls) and issubclass(cls, validate.Validator)):
            continue
        for name, value in vars(cls).items():
            if cls is validate.Range:
                continue
            if isinstance(value, str) and name.startswith(("message", "default_message")):
                found.add(value)
    ranges = validate.Range
    for low in (ranges.message_gte, ranges.message_gt):
        found.add(ranges.message_min.format(min_op=low))
        for high in (ranges.message_lte, ranges.message_lt):
            found.add(ranges.message_all.format(min_op=low, max_op=high))
    for high in (ranges.message_lte, ranges.message_lt):
        found.add(ranges.message_max.format(max_op=high))
    return found


def test_catalog_lists_every_message_of_the_installed_marshmallow() -> None:
    missing = _marshmallow_messages() - set(BUILTIN_MESSAGES)
    assert not missing, f"add to BUILTIN_MESSAGES in core/messages.py: {missing}"


def _source_files() -> Iterator[tuple[Path, ast.Module]]:
    for path in sorted(SOURCE.rglob("*.py")):
        yield path, ast.parse(path.read_text(encoding="utf-8"))


def _is_literal_text(node: ast.AST) -> bool:
    return isinstance(node, ast.JoinedStr) or (
        isinstance(node, ast.Constant) and isinstance(node.value, str)
    )


def _unmarked_messages(tree: ast.Module) -> Iterator[ast.AST]:
    """Literal messages where a problem document gets them: they must be wrapped in N_()."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            if name == "ValidationError" and node.args and _is_literal_text(node.args[0]):
                yield node.args[0]
            for keyword in node.keywords:
                if keyword.arg == "error" and _is_literal_text(keyword.value):
                    yield keyword.value
                if keyword.arg in ("errors", "error_messages"):
                    yield from _literals_in(keyword.value)
        elif isinstance(node, ast.Assign):
            target = node.targets[0]
            if isinstance(target, ast.Subscript) and getattr(target.value, "id", "") == "errors":
                yield from _literals_in(node.value)


def _literals_in(node: ast.AST) -> Iterator[ast.AST]:
    for child in ast.walk(node):
        if isinstance(child, ast.List | ast.Tuple):
            yield from (item for item in child.elts if _is_literal_text(item))
        elif isinstance(child, ast.Dict):
            yield from (value for value in child.values if value and _is_literal_text(value))


def test_catalog_every_message_given_to_a_problem_is_marked_for_translation() -> None:
    unmarked = [
        f"{path.relative_to(SOURCE.parent)}:{node.lineno}"
        for path, tree in _source_files()
        for node in _unmarked_messages(tree)
    ]
    assert not unmarked, f"wrap these messages in N_() (ifm_api.core.messages): {unmarked}"


def _error_classes() -> set[str]:
    found, todo = set(), [ApiError]
    while todo:
        cls = todo.pop()
        found.add(cls.__name__)
        todo.extend(cls.__subclasses__())
    return found


def test_catalog_every_problem_key_raised_has_a_message(app: Flask) -> None:
    classes = _error_classes()
    keys = set(HTTP_KEYS.values())
    for _path, tree in _source_files():
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", "") in classes
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                keys.add(node.args[0].value)
            if isinstance(node, ast.ClassDef) and node.name in classes:
                for statement in node.body:
                    if isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Tuple):
                        keys.update(
                            e.value
                            for e in statement.value.elts
                            if isinstance(e, ast.Constant) and isinstance(e.value, str)
                        )
    assert keys - set(DETAILS) == set()


# --- compiled catalogs after a fresh clone ----------------------------------------------------


@pytest.fixture
def catalog_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "translations"
    shutil.copytree(catalogs.TRANSLATIONS_DIR, copy, ignore=shutil.ignore_patterns("*.mo"))
    return copy


def test_catalog_missing_or_stale_mo_is_compiled_and_fresh_one_is_kept(catalog_copy: Path) -> None:
    assert sorted(catalogs.compile_catalogs(catalog_copy)) == ["de", "en"]
    mo = catalog_copy / "de" / "LC_MESSAGES" / "messages.mo"
    assert mo.stat().st_size > 1000
    assert catalogs.compile_catalogs(catalog_copy) == []
    po = catalog_copy / "de" / "LC_MESSAGES" / "messages.po"
    later = mo.stat().st_mtime + 10
    os.utime(po, (later, later))
    assert catalogs.compile_catalogs(catalog_copy) == ["de"]


def test_catalog_read_only_package_compiles_into_the_instance_folder(
    tmp_path: Path, catalog_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    compile_into = catalogs.compile_catalogs

    def read_only_package(source: Path, target: Path | None = None, **kw: Any) -> list[str]:
        if target is None:
            raise PermissionError("read-only file system")
        return compile_into(source, target, **kw)

    monkeypatch.setattr(catalogs, "TRANSLATIONS_DIR", catalog_copy)
    monkeypatch.setattr(catalogs, "compile_catalogs", read_only_package)
    app = Flask("probe", instance_path=str(tmp_path / "instance"))
    prepare_translations(app)
    directory = Path(app.config["BABEL_TRANSLATION_DIRECTORIES"])
    assert directory == tmp_path / "instance" / "translations"
    assert (directory / "de" / "LC_MESSAGES" / "messages.mo").exists()
    assert not (catalog_copy / "de" / "LC_MESSAGES" / "messages.mo").exists()


def test_catalog_compiled_at_start_up_serves_german(client: FlaskClient, app: Flask) -> None:
    directory = Path(app.config["BABEL_TRANSLATION_DIRECTORIES"])
    assert (directory / "de" / "LC_MESSAGES" / "messages.mo").exists()
    assert client.get("/api/v1/news/1?lang=de").get_json()["title"] == "Nicht gefunden"
