"""The editors' write API for every content type: the whole life of an item (draft, per-language
publishing, working copy, revisions), tokens and roles on every write operation, If-Match,
soft and hard delete, scheduling, lists by publication status and concurrent PATCHes."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from ifm_api.core import db
from ifm_api.core.auth import ApiToken, create_token, revoke_token
from ifm_api.core.models import ContentEntity, Revision

Headers = dict[str, str]
PROBLEM = "application/problem+json"


@dataclass(frozen=True)
class Case:
    """One content type as the story needs it."""

    resource: str
    field: str
    untranslated: dict[str, Any] = field(default_factory=dict)
    linker: tuple[str, Callable[[int], dict[str, Any]], str] | None = None

    @property
    def url(self) -> str:
        return f"/api/v1/{self.resource.replace('_', '-')}"

    def body(self, **texts: str) -> dict[str, Any]:
        return {
            **self.untranslated,
            "translations": {lang: {self.field: text} for lang, text in texts.items()},
        }


def _titled(label: str, de: str, **data: Any) -> dict[str, Any]:
    return {**data, "translations": {"de": {label: de}}}


CASES = {
    "news": Case("news", "title", {"tags": ["gruendung"]}),
    "reports": Case(
        "reports",
        "title",
        {"report_type": "short_report", "publication_date": "2019-12-27"},
        ("news", lambda target: _titled("title", "Verweis", reports=[target]), "reports"),
    ),
    "projects": Case(
        "projects",
        "title",
        {"start_date": "2018-05-01", "funders": ["Land Baden-Württemberg"]},
        ("news", lambda target: _titled("title", "Verweis", projects=[target]), "projects"),
    ),
    "people": Case(
        "people",
        "position",
        {"given_name": "Bettina", "family_name": "Müller", "honorific_prefix": "Dr."},
        ("news", lambda target: _titled("title", "Verweis", people=[target]), "people"),
    ),
    "research_areas": Case(
        "research_areas",
        "name",
        {"sort_order": 1},
        (
            "projects",
            lambda target: _titled("title", "Verweis", research_area=target),
            "research_area",
        ),
    ),
}
FEEDS = ("news", "reports")
STORY_SLUGS = {"people": ("bettina-mueller", "bettina-mueller")}


@pytest.fixture
def named_token(app: Flask) -> Callable[[str, str], Headers]:
    """``named_token("alice", "editor")``: a token whose name the revisions will show."""

    def make(name: str, role: str) -> Headers:
        with app.app_context(), db.transaction():
            _token, plain = create_token(name, role)
        return {"Authorization": f"Bearer {plain}"}

    return make


@pytest.fixture
def editor(named_token: Callable[[str, str], Headers]) -> Headers:
    return named_token("alice", "editor")


def create(client: FlaskClient, case: Case, headers: Headers, **texts: str) -> TestResponse:
    response = client.post(case.url, json=case.body(**texts), headers=headers)
    assert response.status_code == 201, response.get_json()
    return response


def write(
    client: FlaskClient,
    method: str,
    url: str,
    headers: Headers,
    etag: str | None = None,
    **kwargs: Any,
) -> TestResponse:
    if etag is not None:
        headers = {**headers, "If-Match": etag}
    return client.open(url, method=method, headers=headers, **kwargs)


def public(client: FlaskClient, case: Case, item: int, lang: str = "de") -> TestResponse:
    return client.get(f"{case.url}/{item}?lang={lang}")


def working_copy(client: FlaskClient, case: Case, item: int, headers: Headers) -> TestResponse:
    return client.get(f"{case.url}/{item}?lang=all&version=draft", headers=headers)


def assert_problem(response: TestResponse, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body = response.get_json()
    assert body["status"] == status and body["type"].startswith("urn:ifm-api:problem:")
    return body


def count(app: Flask, model: Any, *where: Any) -> int:
    with app.app_context():
        return db.session().scalar(select(func.count()).select_from(model).where(*where)) or 0


# --- the whole life of an item ------------------------------------------------------------


@pytest.mark.parametrize("resource", list(CASES))
def test_editor_runs_the_whole_life_of_an_item(
    client: FlaskClient, make_item: Callable[..., int], editor: Headers, resource: str
) -> None:
    case = CASES[resource]
    field_name = case.field
    slug_de, slug_en = STORY_SLUGS.get(resource, ("erste-fassung", "first-version"))

    # create a draft: 201, Location, ETag, the editing representation
    created = create(client, case, editor, de="Erste Fassung")
    item = created.get_json()["id"]
    assert created.headers["Location"].endswith(f"{case.url}/{item}")
    assert created.headers["ETag"]
    assert created.headers["Cache-Control"] == "private, no-store"
    body = created.get_json()
    assert body["translations"]["de"][field_name] == "Erste Fassung"
    assert body["translations"]["de"]["slug"] == slug_de
    assert body["publication"] == {"de": {"status": "draft", "visible_from": None}}
    assert body["created_by"] == body["updated_by"] == "alice"
    assert body["version"] == 1

    # invisible to the public everywhere: list (and its count), detail, slug, includes
    linker = None
    if case.linker:
        linker_resource, linker_body, relation = case.linker
        linker = (
            CASES[linker_resource],
            make_item(linker_resource, linker_body(item)),
            relation,
        )

    def included() -> Any:
        assert linker is not None
        linker_case, linker_id, relation = linker
        response = client.get(f"{linker_case.url}/{linker_id}?include={relation}")
        assert response.status_code == 200
        return response.get_json()[relation]

    def in_feed() -> bool:
        feed = client.get(f"/feeds/{resource}.json?lang=de")
        assert feed.status_code == 200
        return any(entry["title"] == "Erste Fassung" for entry in feed.get_json()["items"])

    def in_sitemap() -> bool:
        sitemap = client.get("/sitemap.xml")
        assert sitemap.status_code == 200
        return f"/{slug_de}<" in sitemap.get_data(as_text=True)

    assert client.get(case.url).get_json()["meta"]["total"] == 0
    assert public(client, case, item).status_code == 404
    assert public(client, case, item, "en").status_code == 404
    assert client.get(f"{case.url}/slug/{slug_de}").status_code == 404
    if linker:
        assert included() in ([], None)
    if resource in FEEDS:
        assert not in_feed()
    assert not in_sitemap()

    # publish German only: German is public, English falls back to it, flagged
    published = write(
        client, "POST", f"{case.url}/{item}/publish", editor, json={"languages": ["de"]}
    )
    assert published.status_code == 200, published.get_json()
    assert published.get_json()["publication"]["de"]["status"] == "published"
    german = public(client, case, item).get_json()
    assert german[field_name] == "Erste Fassung" and german["fallback"] is False
    english = public(client, case, item, "en")
    assert english.status_code == 200
    assert english.get_json()["lang"] == "de" and english.get_json()["fallback"] is True
    assert client.get(case.url).get_json()["meta"]["total"] == 1
    assert client.get(f"{case.url}/slug/{slug_de}").get_json()["id"] == item
    if resource in FEEDS:
        assert in_feed()
    assert in_sitemap()
    if linker:
        shown = included()
        shown = shown if isinstance(shown, list) else [shown]
        assert [entry["id"] for entry in shown] == [item]

    # add English to the working copy, then publish it
    added = write(
        client,
        "PATCH",
        f"{case.url}/{item}",
        editor,
        published.headers["ETag"],
        json={"translations": {"en": {field_name: "First version"}}},
    )
    assert added.status_code == 200, added.get_json()
    assert added.get_json()["translations"]["en"]["slug"] == slug_en
    assert added.get_json()["publication"]["en"]["status"] == "draft"
    assert public(client, case, item, "en").get_json()["fallback"] is True
    published = write(
        client, "POST", f"{case.url}/{item}/publish", editor, json={"languages": ["en"]}
    )
    assert published.status_code == 200
    english = public(client, case, item, "en").get_json()
    assert english["lang"] == "en" and english["fallback"] is False
    assert english[field_name] == "First version"

    # edit the published item: the public keeps the published version until the next publish
    edited = write(
        client,
        "PATCH",
        f"{case.url}/{item}",
        editor,
        published.headers["ETag"],
        json={"translations": {"de": {field_name: "Zweite Fassung"}}},
    )
    assert edited.status_code == 200
    assert public(client, case, item).get_json()[field_name] == "Erste Fassung"
    draft = client.get(f"{case.url}/{item}?lang=de&version=draft", headers=editor)
    assert draft.get_json()[field_name] == "Zweite Fassung"
    assert draft.headers["Cache-Control"] == "private, no-store"
    assert working_copy(client, case, item, editor).headers["ETag"] == edited.headers["ETag"]
    assert write(client, "POST", f"{case.url}/{item}/publish", editor).status_code == 200
    assert public(client, case, item).get_json()[field_name] == "Zweite Fassung"

    # revisions: every change, who made it, snapshots; restore makes a new revision
    history = client.get(f"{case.url}/{item}/revisions", headers=editor)
    assert history.status_code == 200
    entries = history.get_json()["items"]
    assert [e["action"] for e in entries] == [
        "create",
        "publish",
        "update",
        "publish",
        "update",
        "publish",
    ]
    assert {e["created_by"] for e in entries} == {"alice"}
    first = client.get(f"{case.url}/{item}/revisions/1", headers=editor).get_json()
    assert first["snapshot"]["translations"]["de"][field_name] == "Erste Fassung"
    assert "en" not in first["snapshot"]["translations"]
    current = working_copy(client, case, item, editor).headers["ETag"]
    restored = write(client, "POST", f"{case.url}/{item}/revisions/1/restore", editor, current)
    assert restored.status_code == 200, restored.get_json()
    assert restored.get_json()["translations"]["de"][field_name] == "Erste Fassung"
    assert "en" not in restored.get_json()["translations"]
    assert restored.headers["ETag"] != current
    entries = client.get(f"{case.url}/{item}/revisions", headers=editor).get_json()["items"]
    assert [e["action"] for e in entries][-1] == "restore:1"
    assert len(entries) == 7
    assert public(client, case, item).get_json()[field_name] == "Zweite Fassung"
    assert public(client, case, item, "en").get_json()["lang"] == "en"


def test_editor_unpublishes_one_language_then_all(client: FlaskClient, editor: Headers) -> None:
    case = CASES["news"]
    item = create(client, case, editor, de="Meldung", en="Notice").get_json()["id"]
    assert write(client, "POST", f"{case.url}/{item}/publish", editor).status_code == 200
    assert public(client, case, item, "en").get_json()["lang"] == "en"
    response = write(
        client, "POST", f"{case.url}/{item}/unpublish", editor, json={"languages": ["en"]}
    )
    assert response.status_code == 200
    assert response.get_json()["publication"]["en"]["status"] == "draft"
    assert public(client, case, item, "en").get_json()["fallback"] is True
    assert write(client, "POST", f"{case.url}/{item}/unpublish", editor).status_code == 200
    assert public(client, case, item).status_code == 404
    assert working_copy(client, case, item, editor).status_code == 200


def test_editor_publish_without_languages_takes_down_a_removed_translation(
    client: FlaskClient, editor: Headers
) -> None:
    case = CASES["news"]
    item = create(client, case, editor, de="Meldung", en="Notice").get_json()["id"]
    published = write(client, "POST", f"{case.url}/{item}/publish", editor)
    removed = write(
        client,
        "PATCH",
        f"{case.url}/{item}",
        editor,
        published.headers["ETag"],
        json={"translations": {"en": None}},
    )
    assert removed.status_code == 200
    assert set(removed.get_json()["translations"]) == {"de"}
    assert public(client, case, item, "en").get_json()["lang"] == "en"
    assert write(client, "POST", f"{case.url}/{item}/publish", editor).status_code == 200
    assert public(client, case, item, "en").get_json()["fallback"] is True


def test_editor_publish_of_missing_language_is_422(client: FlaskClient, editor: Headers) -> None:
    case = CASES["news"]
    item = create(client, case, editor, de="Meldung").get_json()["id"]
    response = write(
        client, "POST", f"{case.url}/{item}/publish", editor, json={"languages": ["en"]}
    )
    assert "languages" in assert_problem(response, 422)["errors"]
    response = write(
        client, "POST", f"{case.url}/{item}/publish", editor, json={"languages": ["fr"]}
    )
    assert "languages.0" in assert_problem(response, 422)["errors"]


# --- scheduling -----------------------------------------------------------------------------


def test_editor_schedules_a_publish_and_it_appears_on_time_without_a_write(
    client: FlaskClient, editor: Headers
) -> None:
    case = CASES["news"]
    item = create(client, case, editor, de="Später").get_json()["id"]
    at = datetime.now(UTC) + timedelta(seconds=1.5)
    response = write(
        client,
        "POST",
        f"{case.url}/{item}/publish",
        editor,
        json={"publish_at": at.isoformat()},
    )
    assert response.status_code == 200, response.get_json()
    state = response.get_json()["publication"]["de"]
    assert state["status"] == "scheduled"
    assert datetime.fromisoformat(state["visible_from"]) == at
    assert public(client, case, item).status_code == 404
    assert client.get(case.url).get_json()["meta"]["total"] == 0
    drafts = client.get(f"{case.url}?status=draft", headers=editor).get_json()
    assert [entry["id"] for entry in drafts["items"]] == [item]
    time.sleep(max(0.0, (at - datetime.now(UTC)).total_seconds()) + 0.1)
    assert public(client, case, item).status_code == 200
    assert client.get(case.url).get_json()["meta"]["total"] == 1
    assert working_copy(client, case, item, editor).get_json()["publication"]["de"]["status"] == (
        "published"
    )


def test_editor_scheduling_an_already_public_language_is_409(
    client: FlaskClient, editor: Headers
) -> None:
    case = CASES["news"]
    item = create(client, case, editor, de="Jetzt").get_json()["id"]
    write(client, "POST", f"{case.url}/{item}/publish", editor)
    later = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    response = write(
        client, "POST", f"{case.url}/{item}/publish", editor, json={"publish_at": later}
    )
    body = assert_problem(response, 409)
    assert body["type"] == "urn:ifm-api:problem:already_public"
    assert public(client, case, item).status_code == 200


def test_editor_publish_at_without_offset_is_422(client: FlaskClient, editor: Headers) -> None:
    case = CASES["news"]
    item = create(client, case, editor, de="Jetzt").get_json()["id"]
    response = write(
        client,
        "POST",
        f"{case.url}/{item}/publish",
        editor,
        json={"publish_at": "2030-01-01T09:00:00"},
    )
    assert "publish_at" in assert_problem(response, 422)["errors"]
    assert public(client, case, item).status_code == 404


# --- tokens and roles on every write ------------------------------------------------------


def write_operations(client: FlaskClient) -> list[tuple[str, str]]:
    spec = client.get("/api/openapi.json").get_json()
    return [
        (method.upper(), re.sub(r"\{[^}]+\}", "1", path))
        for path, operations in spec["paths"].items()
        for method in operations
        if method in ("post", "put", "patch", "delete")
    ]


def test_openapi_documents_every_write_with_bearer_auth(client: FlaskClient) -> None:
    spec = client.get("/api/openapi.json").get_json()
    for resource in ("news", "reports", "projects", "people", "research-areas"):
        base = f"/api/v1/{resource}"
        operations = [
            spec["paths"][base]["post"],
            spec["paths"][f"{base}/{{item_id}}"]["patch"],
            spec["paths"][f"{base}/{{item_id}}"]["delete"],
            spec["paths"][f"{base}/{{item_id}}/publish"]["post"],
            spec["paths"][f"{base}/{{item_id}}/unpublish"]["post"],
            spec["paths"][f"{base}/{{item_id}}/revisions"]["get"],
            spec["paths"][f"{base}/{{item_id}}/revisions/{{number}}"]["get"],
            spec["paths"][f"{base}/{{item_id}}/revisions/{{number}}/restore"]["post"],
        ]
        for operation in operations:
            assert operation["security"] == [{"bearerAuth": []}]
            assert {"401", "403"} <= set(operation["responses"])
            assert operation["summary"] and operation["description"]
        patch = spec["paths"][f"{base}/{{item_id}}"]["patch"]
        assert {"200", "401", "403", "404", "412", "422", "428"} <= set(patch["responses"])
        assert "requestBody" in spec["paths"][base]["post"]


def test_anonymous_and_preview_get_401_and_403_on_every_write_operation(
    client: FlaskClient, token: Callable[..., Headers]
) -> None:
    operations = write_operations(client)
    assert len(operations) >= 5 * 6
    preview = token("preview")
    for method, url in operations:
        anonymous = client.open(url, method=method, json={})
        assert_problem(anonymous, 401)
        assert anonymous.headers["WWW-Authenticate"].startswith("Bearer"), (method, url)
        forbidden = client.open(url, method=method, json={}, headers=preview)
        assert_problem(forbidden, 403)


def test_bad_expired_and_revoked_tokens_get_401_on_writes(
    app: Flask, client: FlaskClient, named_token: Callable[[str, str], Headers]
) -> None:
    expired = named_token("expired", "editor")
    revoked = named_token("revoked", "editor")
    with app.app_context(), db.transaction():
        stored = db.session().scalar(select(ApiToken).where(ApiToken.name == "expired"))
        assert stored is not None
        stored.expires_at = datetime.now(UTC) - timedelta(minutes=1)
        revoke_token("revoked")
    body = CASES["news"].body(de="Meldung")
    for headers in (
        expired,
        revoked,
        {"Authorization": "Bearer ifm_not-a-token"},
        {"Authorization": "Basic YWxpY2U6c2VjcmV0"},
    ):
        response = client.post("/api/v1/news", json=body, headers=headers)
        assert_problem(response, 401)
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert count(app, ContentEntity) == 0


def test_preview_token_reads_drafts_and_revisions_but_cannot_write(
    client: FlaskClient, editor: Headers, token: Callable[..., Headers]
) -> None:
    case = CASES["news"]
    created = create(client, case, editor, de="Entwurf")
    item = created.get_json()["id"]
    preview = token("preview")
    read = working_copy(client, case, item, preview)
    assert read.status_code == 200 and read.headers["ETag"] == created.headers["ETag"]
    assert client.get(f"{case.url}/{item}/revisions", headers=preview).status_code == 200
    assert client.get(f"{case.url}/{item}/revisions/1", headers=preview).status_code == 200
    assert working_copy(client, case, item, {}).status_code == 401
    assert client.get(f"{case.url}/{item}/revisions").status_code == 401
    response = write(
        client,
        "PATCH",
        f"{case.url}/{item}",
        preview,
        created.headers["ETag"],
        json={"translations": {"de": {"title": "Nein"}}},
    )
    assert_problem(response, 403)


def test_anonymous_write_with_bad_body_and_no_if_match_gets_401_first(
    client: FlaskClient,
) -> None:
    response = client.patch("/api/v1/news/1", data="{broken", content_type="application/json")
    assert_problem(response, 401)


# --- If-Match ---------------------------------------------------------------------------------


@pytest.fixture
def draft(client: FlaskClient, editor: Headers) -> tuple[int, str]:
    created = create(client, CASES["news"], editor, de="Entwurf")
    return created.get_json()["id"], created.headers["ETag"]


def test_editor_patch_without_if_match_is_428_and_writes_nothing(
    app: Flask, client: FlaskClient, editor: Headers, draft: tuple[int, str]
) -> None:
    item, etag = draft
    response = write(
        client,
        "PATCH",
        f"/api/v1/news/{item}",
        editor,
        json={"translations": {"de": {"title": "X"}}},
    )
    body = assert_problem(response, 428)
    assert body["type"] == "urn:ifm-api:problem:precondition_required"
    copy = working_copy(client, CASES["news"], item, editor)
    assert copy.headers["ETag"] == etag
    assert copy.get_json()["translations"]["de"]["title"] == "Entwurf"
    assert count(app, Revision) == 1


def test_editor_patch_with_stale_etag_is_412_and_writes_nothing(
    app: Flask, client: FlaskClient, editor: Headers, draft: tuple[int, str]
) -> None:
    item, stale = draft
    first = write(
        client,
        "PATCH",
        f"/api/v1/news/{item}",
        editor,
        stale,
        json={"translations": {"de": {"title": "Erste Änderung"}}},
    )
    assert first.status_code == 200
    second = write(
        client,
        "PATCH",
        f"/api/v1/news/{item}",
        editor,
        stale,
        json={"translations": {"de": {"title": "Zweite Änderung"}}},
    )
    assert assert_problem(second, 412)["type"] == "urn:ifm-api:problem:precondition_failed"
    copy = working_copy(client, CASES["news"], item, editor)
    assert copy.get_json()["translations"]["de"]["title"] == "Erste Änderung"
    assert copy.headers["ETag"] == first.headers["ETag"]
    assert count(app, Revision) == 2


def test_editor_patch_with_current_etag_returns_the_next_etag(
    client: FlaskClient, editor: Headers, draft: tuple[int, str]
) -> None:
    item, etag = draft
    response = write(
        client,
        "PATCH",
        f"/api/v1/news/{item}",
        editor,
        etag,
        json={"teaser": None, "translations": {"de": {"teaser": "Kurz"}}},
    )
    assert response.status_code == 422  # teaser is translated: not a top-level field
    response = write(
        client,
        "PATCH",
        f"/api/v1/news/{item}",
        editor,
        etag,
        json={"translations": {"de": {"teaser": "Kurz"}}},
    )
    assert response.status_code == 200
    new = response.headers["ETag"]
    assert new != etag
    assert response.get_json()["version"] == 2
    assert response.get_json()["translations"]["de"] == {
        "slug": "entwurf",
        "title": "Entwurf",
        "teaser": "Kurz",
        "body": None,
    }
    read = working_copy(client, CASES["news"], item, editor)
    assert read.headers["ETag"] == new
    again = client.get(
        f"/api/v1/news/{item}?lang=all&version=draft", headers={**editor, "If-None-Match": new}
    )
    assert again.status_code == 304


def test_editor_post_actions_check_if_match_when_given(
    client: FlaskClient, editor: Headers, draft: tuple[int, str]
) -> None:
    item, etag = draft
    changed = write(
        client,
        "PATCH",
        f"/api/v1/news/{item}",
        editor,
        etag,
        json={"translations": {"de": {"title": "Neu"}}},
    )
    for action in ("publish", "unpublish", "revisions/1/restore"):
        stale = write(client, "POST", f"/api/v1/news/{item}/{action}", editor, etag)
        assert_problem(stale, 412)
    current = changed.headers["ETag"]
    published = write(client, "POST", f"/api/v1/news/{item}/publish", editor, current)
    assert published.status_code == 200
    assert public(client, CASES["news"], item).get_json()["title"] == "Neu"


def test_editor_delete_without_if_match_is_428(
    client: FlaskClient, editor: Headers, draft: tuple[int, str]
) -> None:
    item, _etag = draft
    assert_problem(client.delete(f"/api/v1/news/{item}", headers=editor), 428)
    assert working_copy(client, CASES["news"], item, editor).status_code == 200


@pytest.mark.parametrize("value", ['"', '"abc', "abc", ",", '"a" junk', 'W/"x", "y', "\x7f"])
def test_editor_unparsable_if_match_is_400_and_writes_nothing(
    client: FlaskClient, editor: Headers, draft: tuple[int, str], value: str
) -> None:
    item, etag = draft
    url = f"/api/v1/news/{item}"
    body = {"translations": {"de": {"title": "Geändert"}}}
    for method, path, kwargs in (
        ("PATCH", url, {"json": body}),
        ("DELETE", url, {}),
        ("POST", f"{url}/publish", {}),
        ("POST", f"{url}/unpublish", {}),
        ("POST", f"{url}/revisions/1/restore", {}),
    ):
        response = write(client, method, path, editor, value, **kwargs)
        problem = assert_problem(response, 400)
        assert problem["type"] == "urn:ifm-api:problem:invalid_if_match", (method, path)
    english = write(client, "PATCH", f"{url}?lang=en", editor, '"', json=body)
    assert "quotes included" in assert_problem(english, 400)["detail"]
    current = working_copy(client, CASES["news"], item, editor)
    assert current.headers["ETag"] == etag
    assert current.get_json()["translations"]["de"]["title"] == "Entwurf"
    assert public(client, CASES["news"], item).status_code == 404


def test_editor_if_match_lists_and_star_are_understood(
    client: FlaskClient, editor: Headers, draft: tuple[int, str]
) -> None:
    item, etag = draft
    body = {"translations": {"de": {"title": "Geändert"}}}
    listed = write(client, "PATCH", f"/api/v1/news/{item}", editor, f'"other" , {etag}', json=body)
    assert listed.status_code == 200, listed.get_json()
    star = write(client, "PATCH", f"/api/v1/news/{item}", editor, "*", json=body)
    assert star.status_code == 200, star.get_json()
    blank = write(client, "PATCH", f"/api/v1/news/{item}", editor, " ", json=body)
    assert_problem(blank, 428)


def test_editor_writes_to_a_missing_item_get_404(client: FlaskClient, editor: Headers) -> None:
    assert_problem(
        write(client, "PATCH", "/api/v1/news/999", editor, '"x"', json={"tags": []}), 404
    )
    assert_problem(write(client, "POST", "/api/v1/news/999/publish", editor), 404)
    assert_problem(client.get("/api/v1/news/999/revisions", headers=editor), 404)
    assert_problem(write(client, "DELETE", "/api/v1/news/999", editor, "*"), 404)


def test_editor_writes_to_an_item_of_another_type_get_404(
    client: FlaskClient, editor: Headers, draft: tuple[int, str]
) -> None:
    item, etag = draft
    response = write(client, "PATCH", f"/api/v1/reports/{item}", editor, etag, json={})
    assert_problem(response, 404)


def test_editor_reads_a_missing_revision_gets_404(
    client: FlaskClient, editor: Headers, draft: tuple[int, str]
) -> None:
    item, _etag = draft
    assert_problem(client.get(f"/api/v1/news/{item}/revisions/7", headers=editor), 404)
    assert_problem(write(client, "POST", f"/api/v1/news/{item}/revisions/7/restore", editor), 404)


# --- deleting ---------------------------------------------------------------------------------


def test_editor_soft_delete_hides_the_item_from_every_read(
    app: Flask,
    client: FlaskClient,
    make_item: Callable[..., int],
    editor: Headers,
) -> None:
    case = CASES["people"]
    created = create(client, case, editor, de="Forscherin")
    item = created.get_json()["id"]
    published = write(client, "POST", f"{case.url}/{item}/publish", editor)
    linker = make_item("news", _titled("title", "Mit Person", people=[item]))
    response = write(client, "DELETE", f"{case.url}/{item}", editor, published.headers["ETag"])
    assert response.status_code == 204 and response.data == b""
    assert public(client, case, item).status_code == 404
    assert client.get(f"{case.url}/slug/bettina-mueller").status_code == 404
    assert working_copy(client, case, item, editor).status_code == 404
    assert client.get(f"{case.url}/{item}?version=draft", headers=editor).status_code == 404
    assert client.get(f"{case.url}/{item}/revisions", headers=editor).status_code == 404
    for status in ("all", "draft", "published"):
        listed = client.get(f"{case.url}?status={status}", headers=editor).get_json()
        assert listed["meta"]["total"] == 0, status
    assert client.get(f"/api/v1/news/{linker}?include=people").get_json()["people"] == []
    relinked = client.post(
        "/api/v1/news", json=_titled("title", "Neu", people=[item]), headers=editor
    )
    assert "people.0" in assert_problem(relinked, 422)["errors"]
    assert count(app, Revision, Revision.entity_id == item) == 3
    again = create(client, case, editor, de="Neue Forscherin")
    assert again.get_json()["translations"]["de"]["slug"] == "bettina-mueller"


def test_editor_cannot_hard_delete_admin_can_and_it_leaves_no_trace(
    app: Flask,
    client: FlaskClient,
    editor: Headers,
    named_token: Callable[[str, str], Headers],
    draft: tuple[int, str],
) -> None:
    item, etag = draft
    url = f"/api/v1/news/{item}?hard=true"
    assert_problem(write(client, "DELETE", url, editor, etag), 403)
    admin = named_token("root", "admin")
    assert write(client, "DELETE", url, admin, etag).status_code == 204
    assert count(app, ContentEntity) == 0
    assert count(app, Revision) == 0
    assert working_copy(client, CASES["news"], item, admin).status_code == 404


def test_admin_hard_deletes_a_soft_deleted_item(
    app: Flask,
    client: FlaskClient,
    editor: Headers,
    named_token: Callable[[str, str], Headers],
    draft: tuple[int, str],
) -> None:
    item, etag = draft
    assert write(client, "DELETE", f"/api/v1/news/{item}", editor, etag).status_code == 204
    assert count(app, Revision) == 2
    admin = named_token("root", "admin")
    assert write(client, "DELETE", f"/api/v1/news/{item}", admin, "*").status_code == 404
    response = write(client, "DELETE", f"/api/v1/news/{item}?hard=true", admin, "*")
    assert response.status_code == 204
    assert count(app, ContentEntity) == 0 and count(app, Revision) == 0


# --- lists by publication status ----------------------------------------------------------


@pytest.fixture
def three_states(client: FlaskClient, editor: Headers) -> dict[str, int]:
    """A draft, a published item, and a published item whose working copy was edited."""
    case = CASES["projects"]
    draft_item = create(client, case, editor, de="Nur Entwurf").get_json()["id"]
    live_item = create(client, case, editor, de="Öffentlich").get_json()["id"]
    write(client, "POST", f"{case.url}/{live_item}/publish", editor)
    edited_item = create(client, case, editor, de="Alt").get_json()["id"]
    published = write(client, "POST", f"{case.url}/{edited_item}/publish", editor)
    write(
        client,
        "PATCH",
        f"{case.url}/{edited_item}",
        editor,
        published.headers["ETag"],
        json={"translations": {"de": {"title": "Neu bearbeitet"}}},
    )
    return {"draft": draft_item, "live": live_item, "edited": edited_item}


def titles(response: TestResponse) -> dict[int, str]:
    assert response.status_code == 200, response.get_json()
    return {entry["id"]: entry["title"] for entry in response.get_json()["items"]}


def test_editor_lists_by_publication_status(
    client: FlaskClient, token: Callable[..., Headers], three_states: dict[str, int]
) -> None:
    preview = token("preview")
    url = "/api/v1/projects"
    ids = three_states
    assert titles(client.get(f"{url}?status=draft", headers=preview)) == {
        ids["draft"]: "Nur Entwurf"
    }
    published = {ids["live"]: "Öffentlich", ids["edited"]: "Alt"}
    assert titles(client.get(f"{url}?status=published", headers=preview)) == published
    assert titles(client.get(url)) == published
    everything = {
        ids["draft"]: "Nur Entwurf",
        ids["live"]: "Öffentlich",
        ids["edited"]: "Neu bearbeitet",
    }
    assert titles(client.get(f"{url}?status=all", headers=preview)) == everything
    assert titles(client.get(f"{url}?version=draft", headers=preview)) == everything
    working = {ids["live"]: "Öffentlich", ids["edited"]: "Neu bearbeitet"}
    assert titles(client.get(f"{url}?status=published&version=draft", headers=preview)) == working
    listed = client.get(f"{url}?status=all", headers=preview)
    assert listed.headers["Cache-Control"] == "private, no-store"
    assert listed.get_json()["meta"]["total"] == 3


def test_anonymous_lists_drafts_gets_401(client: FlaskClient, three_states: dict[str, int]):
    for status in ("draft", "all"):
        assert_problem(client.get(f"/api/v1/projects?status={status}"), 401)
    assert client.get("/api/v1/projects?status=published").status_code == 200


def test_editor_status_combines_with_resource_status_through_version_draft(
    client: FlaskClient, editor: Headers, three_states: dict[str, int]
) -> None:
    url = "/api/v1/projects"
    assert len(titles(client.get(f"{url}?status=ongoing"))) == 2
    assert len(titles(client.get(f"{url}?status=ongoing&version=draft", headers=editor))) == 3
    assert titles(client.get(f"{url}?status=completed&version=draft", headers=editor)) == {}
    assert_problem(client.get(f"{url}?status=nonsense"), 400)


def test_editor_lists_draft_people_and_filters_alumni(client: FlaskClient, editor: Headers) -> None:
    case = CASES["people"]
    current = create(client, case, editor, de="Forscherin").get_json()["id"]
    body = {**case.body(de="Ehemalige"), "given_name": "Alma", "is_current": False}
    alumna = client.post(case.url, json=body, headers=editor).get_json()["id"]
    drafts = client.get(f"{case.url}?status=draft", headers=editor).get_json()["items"]
    assert {entry["id"] for entry in drafts} == {current, alumna}
    alumni = client.get(f"{case.url}?status=alumni&version=draft", headers=editor).get_json()
    assert [entry["id"] for entry in alumni["items"]] == [alumna]


# --- concurrency ------------------------------------------------------------------------------


def test_editors_patching_at_once_with_one_etag_exactly_one_wins(
    app: Flask, editor: Headers, draft: tuple[int, str], is_postgres: bool
) -> None:
    if not is_postgres:
        pytest.skip("concurrent writers need PostgreSQL (SQLite serialises whole transactions)")
    item, etag = draft
    writers = 8
    barrier = threading.Barrier(writers)

    def patch(n: int) -> tuple[int, str]:
        client = app.test_client()
        barrier.wait()
        response = write(
            client,
            "PATCH",
            f"/api/v1/news/{item}",
            editor,
            etag,
            json={"translations": {"de": {"title": f"Fassung {n}"}}, "tags": [f"t{n}"]},
        )
        return response.status_code, response.get_data(as_text=True)

    with ThreadPoolExecutor(writers) as pool:
        results = list(pool.map(patch, range(writers)))
    statuses = sorted(status for status, _body in results)
    assert statuses == [200] + [412] * (writers - 1), results
    winner = next(body for status, body in results if status == 200)
    copy = working_copy(app.test_client(), CASES["news"], item, editor).get_json()
    number = re.search(r"Fassung (\d)", winner)
    assert number is not None
    assert copy["translations"]["de"]["title"] == f"Fassung {number.group(1)}"
    assert copy["tags"] == [f"t{number.group(1)}"]
    assert copy["version"] == 2
    assert count(app, Revision) == 2


def test_editors_creating_same_titled_items_at_once_all_get_their_own_slug(
    app: Flask, editor: Headers, is_postgres: bool
) -> None:
    if not is_postgres:
        pytest.skip("concurrent writers need PostgreSQL (SQLite serialises whole transactions)")
    writers = 6
    barrier = threading.Barrier(writers)

    def post(_n: int) -> tuple[int, Any]:
        client = app.test_client()
        barrier.wait()
        response = client.post("/api/v1/news", json=CASES["news"].body(de="Gleich"), headers=editor)
        return response.status_code, response.get_json()

    with ThreadPoolExecutor(writers) as pool:
        results = list(pool.map(post, range(writers)))
    assert [status for status, _body in results] == [201] * writers, results
    slugs = sorted(body["translations"]["de"]["slug"] for _status, body in results)
    assert slugs == sorted(["gleich", *(f"gleich-{n}" for n in range(2, writers + 1))])
    assert count(app, ContentEntity) == writers


def test_editor_writes_to_ids_beyond_the_database_range_are_4xx_not_500(
    client: FlaskClient, editor: Headers, draft: tuple[int, str]
) -> None:
    item, etag = draft
    huge = 2**63
    responses = [
        write(client, "PATCH", f"/api/v1/news/{huge}", editor, etag, json={}),
        write(client, "DELETE", f"/api/v1/news/{huge}", editor, "*"),
        write(client, "POST", f"/api/v1/news/{huge}/publish", editor),
        client.get(f"/api/v1/news/{huge}/revisions", headers=editor),
        client.get(f"/api/v1/news/{item}/revisions/{huge}", headers=editor),
        write(client, "POST", f"/api/v1/news/{item}/revisions/{huge}/restore", editor),
        client.get(f"/api/v1/news/{huge}?lang=all&version=draft", headers=editor),
    ]
    for response in responses:
        assert response.status_code in (404, 405), response.get_data(as_text=True)
        assert response.mimetype == PROBLEM
