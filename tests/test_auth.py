"""Bearer tokens: header parsing, the role ladder preview < editor < admin, and 401/403
answers as problem documents (401 always with a ``WWW-Authenticate: Bearer`` challenge)."""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from ifm_api.core.auth import ROLES, Principal

Token = Callable[..., dict[str, str]]

DRAFTS = "/api/v1/news?version=draft"
TOKENS = "/api/v1/tokens"
MEDIA = "/api/v1/media"
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC"
)


def needs_preview(client: FlaskClient, headers: dict[str, str]) -> TestResponse:
    return client.get(DRAFTS, headers=headers)


def needs_editor(client: FlaskClient, headers: dict[str, str]) -> TestResponse:
    return client.post(
        MEDIA,
        data={"file": (io.BytesIO(PNG), "p.png")},
        headers=headers,
        content_type="multipart/form-data",
    )


def needs_admin(client: FlaskClient, headers: dict[str, str]) -> TestResponse:
    return client.get(TOKENS, headers=headers)


OPERATIONS: dict[str, tuple[Callable[[FlaskClient, dict[str, str]], TestResponse], int]] = {
    "preview": (needs_preview, 200),
    "editor": (needs_editor, 201),
    "admin": (needs_admin, 200),
}


def assert_401(response: TestResponse, key: str) -> dict[str, Any]:
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.headers["WWW-Authenticate"].startswith("Bearer ")
    assert 'realm="ifm-api"' in response.headers["WWW-Authenticate"]
    assert response.headers["Cache-Control"] in ("no-store", "private, no-store")
    body = response.get_json()
    assert body["type"] == f"urn:ifm-api:problem:{key}"
    assert body["status"] == 401
    assert body["title"] and body["detail"]
    assert "errors" not in body
    return body


# --- the role ladder ----------------------------------------------------------------------


@pytest.mark.parametrize("have", ROLES)
@pytest.mark.parametrize("need", ROLES)
def test_role_reaches_operations_of_its_level_and_below_only(
    client: FlaskClient, token: Token, have: str, need: str
) -> None:
    operation, success = OPERATIONS[need]
    response = operation(client, token(have))
    if ROLES.index(have) >= ROLES.index(need):
        assert response.status_code == success, response.get_json()
    else:
        assert response.status_code == 403
        assert response.mimetype == "application/problem+json"
        body = response.get_json()
        assert body["type"] == "urn:ifm-api:problem:forbidden_role"
        assert body["status"] == 403
        assert have in body["detail"] and need in body["detail"]
        assert "WWW-Authenticate" not in response.headers


def test_role_ladder_orders_preview_editor_admin() -> None:
    assert ROLES == ("preview", "editor", "admin")
    allowed = {
        (have, need)
        for have in ROLES
        for need in ROLES
        if Principal("someone", have).has_role(need)
    }
    assert allowed == {
        ("preview", "preview"),
        ("editor", "preview"),
        ("editor", "editor"),
        ("admin", "preview"),
        ("admin", "editor"),
        ("admin", "admin"),
    }


# --- parsing the Authorization header ----------------------------------------------------


@pytest.mark.parametrize("need", ROLES)
def test_anonymous_calls_protected_operation_gets_401_problem(
    client: FlaskClient, need: str
) -> None:
    operation, _success = OPERATIONS[need]
    body = assert_401(operation(client, {}), "token_missing")
    assert "Bearer" in body["detail"]


@pytest.mark.parametrize(
    "authorization",
    [
        "Basic " + base64.b64encode(b"admin:admin").decode(),
        "Token abc",
        "Bearer",
        "Bearer ",
        "Bearer     ",
        "   ",
        "ifm_abc",
    ],
)
def test_non_bearer_authorization_gets_401_without_error_code(
    client: FlaskClient, authorization: str
) -> None:
    response = needs_preview(client, {"Authorization": authorization})
    assert_401(response, "token_missing")
    assert "error=" not in response.headers["WWW-Authenticate"]


@pytest.mark.parametrize("value", ["ifm_unknown", "ifm_" + "x" * 43, "ifm_äöü", "a b c"])
def test_unknown_bearer_token_gets_401_invalid_token(client: FlaskClient, value: str) -> None:
    response = needs_preview(client, {"Authorization": f"Bearer {value}"})
    assert_401(response, "token_invalid")
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_bearer_scheme_is_case_insensitive_and_spaces_around_token_are_ignored(
    client: FlaskClient, token: Token
) -> None:
    plain = token("preview")["Authorization"].removeprefix("Bearer ")
    for header in (f"bearer {plain}", f"BEARER {plain}", f"Bearer   {plain}  "):
        assert needs_preview(client, {"Authorization": header}).status_code == 200


def test_token_value_is_case_sensitive(client: FlaskClient, token: Token) -> None:
    plain = token("admin")["Authorization"].removeprefix("Bearer ")
    altered = plain[:4] + plain[4:].swapcase()
    assert altered != plain
    assert_401(needs_admin(client, {"Authorization": f"Bearer {altered}"}), "token_invalid")


def test_bad_token_gets_401_even_where_its_role_would_not_matter(
    client: FlaskClient,
) -> None:
    """A broken token is reported as such, not as "too small a role"."""
    response = needs_admin(client, {"Authorization": "Bearer ifm_nope"})
    assert_401(response, "token_invalid")


# --- language of the answers --------------------------------------------------------------


@pytest.mark.parametrize(("language", "fragment"), [("en", "bearer token"), ("de", "Bearer-Token")])
def test_401_detail_comes_in_the_chosen_language(
    client: FlaskClient, language: str, fragment: str
) -> None:
    response = client.get(f"{DRAFTS}&lang={language}")
    body = assert_401(response, "token_missing")
    assert response.headers["Content-Language"] == language
    assert fragment in body["detail"]


def test_403_detail_comes_in_the_chosen_language(client: FlaskClient, token: Token) -> None:
    headers = {**token("editor"), "Accept-Language": "de"}
    response = needs_admin(client, headers)
    assert response.status_code == 403
    assert response.headers["Content-Language"] == "de"
    assert "editor" in response.get_json()["detail"]
