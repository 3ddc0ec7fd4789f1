"""A response to a request with ``Authorization`` is for that client only, on every endpoint.

Under RFC 9111 a shared cache may store a ``public`` response even when the request carried
``Authorization``; a draft's file fetched with a token would then be handed to anyone. So
every such response says ``private`` (``private, no-store`` for editor and draft data and
errors), and every response says ``Vary: Authorization``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from factories import news
from flask.testing import FlaskClient
from test_media import MEDIA, pdf_bytes, upload, use_in_published_item

Token = Callable[..., dict[str, str]]


def directives(response: Any) -> list[str]:
    return [d.strip() for d in response.headers["Cache-Control"].split(",")]


def varies(response: Any) -> set[str]:
    return {v.strip() for v in response.headers.get("Vary", "").split(",")}


@pytest.fixture
def published(make_item: Callable[..., int]) -> int:
    return news(make_item, "Eine Nachricht", "A news item")


@pytest.fixture
def files(client: FlaskClient, token: Token) -> dict[str, str]:
    """The URLs of a published item's PDF and of a draft's (uploaded, used by nothing public)."""
    editor = token("editor")
    public = upload(client, editor, pdf_bytes("öffentlich"), "bericht.pdf").get_json()
    use_in_published_item(client.application, public["id"], public["content_type"])
    draft = upload(client, editor, pdf_bytes("Entwurf"), "entwurf.pdf").get_json()
    return {
        "public_file": public["url"].removeprefix("http://localhost"),
        "public_info": f"{MEDIA}/{public['id']}/info",
        "draft_file": draft["url"].removeprefix("http://localhost"),
        "draft_info": f"{MEDIA}/{draft['id']}/info",
    }


PUBLIC_URLS = [
    "/api/v1/news",
    "/api/v1/news/{id}",
    "/api/v1/news/{id}?format=jsonld",
    "/feeds/news.rss",
    "/feeds/news.json?lang=en",
    "/sitemap.xml",
    "/api/v1/news?include=people&lang=en",
]


def _url(template: str, item: int) -> str:
    return template.format(id=item)


@pytest.mark.parametrize("template", PUBLIC_URLS)
def test_public_read_without_token_is_public_and_varies_on_authorization(
    client: FlaskClient, published: int, template: str
) -> None:
    response = client.get(_url(template, published))
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert "public" in directives(response)
    assert "Authorization" in varies(response)


@pytest.mark.parametrize("template", PUBLIC_URLS)
def test_public_read_with_token_is_private_with_the_same_lifetime(
    client: FlaskClient, token: Token, published: int, template: str
) -> None:
    anonymous = client.get(_url(template, published))
    with_token = client.get(_url(template, published), headers=token("preview"))
    assert with_token.status_code == 200
    assert directives(with_token)[0] == "private"
    assert "public" not in directives(with_token)
    max_age = [d for d in directives(anonymous) if d.startswith("max-age")]
    assert [d for d in directives(with_token) if d.startswith("max-age")] == max_age
    assert "Authorization" in varies(with_token)


def test_a_304_to_a_token_holder_is_private_too(
    client: FlaskClient, token: Token, published: int
) -> None:
    preview = token("preview")
    first = client.get(f"/api/v1/news/{published}", headers=preview)
    again = client.get(
        f"/api/v1/news/{published}", headers={**preview, "If-None-Match": first.headers["ETag"]}
    )
    assert again.status_code == 304
    assert directives(again)[0] == "private"
    assert "Authorization" in varies(again)


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/news/{id}?version=draft",
        "/api/v1/news/{id}?lang=all&version=draft",
        "/api/v1/news?version=draft",
        "/api/v1/news/{id}/revisions",
        "/api/v1/tokens",
        "/api/v1/media",
    ],
)
def test_editor_and_draft_data_is_private_no_store(
    client: FlaskClient, token: Token, published: int, url: str
) -> None:
    response = client.get(url.format(id=published), headers=token("admin"))
    assert response.status_code == 200, response.get_json()
    assert directives(response) == ["private", "no-store"]
    assert "Authorization" in varies(response)


@pytest.mark.parametrize("name", ["draft_file", "draft_info"])
def test_a_drafts_file_fetched_with_a_token_is_private_no_store(
    client: FlaskClient, token: Token, files: dict[str, str], name: str
) -> None:
    assert client.get(files[name]).status_code == 404
    response = client.get(files[name], headers=token("preview"))
    assert response.status_code == 200
    assert directives(response) == ["private", "no-store"]
    assert "Authorization" in varies(response)


@pytest.mark.parametrize("name", ["public_file", "public_info"])
def test_a_public_file_is_public_without_token_and_private_with_one(
    client: FlaskClient, token: Token, files: dict[str, str], name: str
) -> None:
    anonymous = client.get(files[name])
    assert anonymous.status_code == 200
    assert "public" in directives(anonymous)
    assert "Authorization" in varies(anonymous)
    with_token = client.get(files[name], headers=token("preview"))
    assert with_token.status_code == 200
    assert "public" not in directives(with_token)
    assert directives(with_token)[0] == "private"


def test_writes_and_errors_with_a_token_are_private_no_store(
    client: FlaskClient, token: Token
) -> None:
    editor = token("editor")
    created = client.post(
        "/api/v1/news", json={"translations": {"de": {"title": "Neu"}}}, headers=editor
    )
    assert created.status_code == 201
    missing = client.get("/api/v1/news/999999", headers=editor)
    assert missing.status_code == 404
    bad_token = client.get("/api/v1/tokens", headers={"Authorization": "Bearer nope"})
    assert bad_token.status_code == 401
    for response in (created, missing, bad_token):
        assert directives(response) == ["private", "no-store"]
        assert "Authorization" in varies(response)
