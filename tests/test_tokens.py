"""Token management through the API: admins only, value shown once, stored as a hash."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from ifm_api.core import db
from ifm_api.core.auth import ApiToken, hash_token
from ifm_api.core.db import utcnow

Token = Callable[..., dict[str, str]]
TOKENS = "/api/v1/tokens"


def _bearer(plain: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {plain}"}


def _expire(app: Flask, name: str) -> None:
    with app.app_context(), db.transaction() as session:
        session.execute(
            update(ApiToken)
            .where(ApiToken.name == name)
            .values(expires_at=utcnow() - timedelta(minutes=1))
        )


def _assert_unauthorized(response: object) -> None:
    assert response.status_code == 401  # type: ignore[attr-defined]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")  # type: ignore[attr-defined]
    assert response.mimetype == "application/problem+json"  # type: ignore[attr-defined]
    assert response.get_json()["status"] == 401  # type: ignore[attr-defined]


def test_admin_creates_token_gets_value_once_and_it_works(
    client: FlaskClient, token: Token, app: Flask
) -> None:
    admin = token("admin")
    response = client.post(TOKENS, json={"name": "web-editor", "role": "editor"}, headers=admin)
    assert response.status_code == 201
    body = response.get_json()
    assert body["name"] == "web-editor"
    assert body["role"] == "editor"
    assert body["state"] == "active"
    assert body["expires_at"] is None
    assert body["created_by"] == "admin-1"
    assert body["token"].startswith("ifm_")
    assert response.headers["Location"].endswith("/api/v1/tokens/web-editor")
    assert response.headers["Cache-Control"] == "private, no-store"

    with app.app_context():
        stored = db.session().scalar(select(ApiToken).where(ApiToken.name == "web-editor"))
        assert stored is not None
        assert stored.token_hash == hash_token(body["token"])
        assert body["token"] not in stored.token_hash

    detail = client.get(response.headers["Location"], headers=admin)
    assert detail.status_code == 200
    assert "token" not in detail.get_json()
    listing = client.get(TOKENS, headers=_bearer(body["token"]))
    assert listing.status_code == 403


def test_admin_creates_token_with_expiry_reports_expires_at(
    client: FlaskClient, token: Token
) -> None:
    response = client.post(
        TOKENS,
        json={"name": "preview-site", "role": "preview", "expires_in_days": 30},
        headers=token("admin"),
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["expires_at"] is not None
    assert body["expires_at"] > body["created_at"]
    assert (
        client.get("/api/v1/news?version=draft", headers=_bearer(body["token"])).status_code == 200
    )


def test_admin_lists_tokens_without_values_or_hashes(client: FlaskClient, token: Token) -> None:
    admin = token("admin")
    token("editor")
    created = client.post(TOKENS, json={"name": "gone", "role": "preview"}, headers=admin)
    client.delete(f"{TOKENS}/gone", headers=admin)

    response = client.get(TOKENS, headers=admin)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
    items = response.get_json()["items"]
    assert [(t["name"], t["role"], t["state"]) for t in items] == [
        ("admin-1", "admin", "active"),
        ("editor-2", "editor", "active"),
        ("gone", "preview", "revoked"),
    ]
    text = response.get_data(as_text=True)
    assert created.get_json()["token"] not in text
    assert "hash" not in text
    assert all(set(t) >= {"created_at", "expires_at", "revoked_at", "created_by"} for t in items)


def test_admin_revokes_token_it_stops_working_at_once(client: FlaskClient, token: Token) -> None:
    admin = token("admin")
    plain = client.post(TOKENS, json={"name": "old", "role": "editor"}, headers=admin).get_json()[
        "token"
    ]
    assert client.get("/api/v1/news?version=draft", headers=_bearer(plain)).status_code == 200

    response = client.delete(f"{TOKENS}/old", headers=admin)
    assert response.status_code == 204
    assert response.data == b""

    _assert_unauthorized(client.get("/api/v1/news?version=draft", headers=_bearer(plain)))
    assert client.get(f"{TOKENS}/old", headers=admin).get_json()["state"] == "revoked"
    assert client.delete(f"{TOKENS}/old", headers=admin).status_code == 204


def test_admin_revokes_unknown_token_gets_404(client: FlaskClient, token: Token) -> None:
    response = client.delete(f"{TOKENS}/nobody", headers=token("admin"))
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["type"].endswith("token_not_found")
    assert "nobody" in response.get_json()["detail"]


def test_admin_creates_duplicate_name_gets_409(client: FlaskClient, token: Token) -> None:
    admin = token("admin")
    assert client.post(TOKENS, json={"name": "twin", "role": "editor"}, headers=admin).status_code
    response = client.post(TOKENS, json={"name": "twin", "role": "admin"}, headers=admin)
    assert response.status_code == 409
    assert response.get_json()["type"].endswith("token_name_taken")
    names = [t["name"] for t in client.get(TOKENS, headers=admin).get_json()["items"]]
    assert names.count("twin") == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"role": "editor"}, "name"),
        ({"name": "x"}, "role"),
        ({"name": "x", "role": "root"}, "role"),
        ({"name": "", "role": "editor"}, "name"),
        ({"name": "a/b", "role": "editor"}, "name"),
        ({"name": "x" * 101, "role": "editor"}, "name"),
        ({"name": "x", "role": "editor", "expires_in_days": 0}, "expires_in_days"),
        ({"name": "x", "role": "editor", "expires_in_days": "soon"}, "expires_in_days"),
        ({"name": "x", "role": "editor", "secret": "mine"}, "secret"),
    ],
)
def test_admin_creates_token_with_bad_body_gets_422(
    client: FlaskClient, token: Token, body: dict[str, object], field: str
) -> None:
    response = client.post(TOKENS, json=body, headers=token("admin"))
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert field in response.get_json()["errors"]


def test_admin_creates_token_with_malformed_json_gets_400(
    client: FlaskClient, token: Token
) -> None:
    response = client.post(
        TOKENS,
        data="{not json",
        headers={**token("admin"), "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"


ENDPOINTS = [
    ("get", TOKENS),
    ("post", TOKENS),
    ("get", f"{TOKENS}/someone"),
    ("delete", f"{TOKENS}/someone"),
]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
@pytest.mark.parametrize("role", ["preview", "editor"])
def test_non_admin_manages_tokens_gets_403(
    client: FlaskClient, token: Token, method: str, path: str, role: str
) -> None:
    response = getattr(client, method)(
        path, json={"name": "sneaky", "role": "admin"}, headers=token(role)
    )
    assert response.status_code == 403
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["type"].endswith("forbidden_role")


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_anonymous_manages_tokens_gets_401(client: FlaskClient, method: str, path: str) -> None:
    response = getattr(client, method)(path, json={"name": "sneaky", "role": "admin"})
    _assert_unauthorized(response)
    assert response.get_json()["type"].endswith("token_missing")


@pytest.mark.parametrize("role", [None, "editor"])
def test_unauthorised_creates_token_with_bad_body_gets_401_or_403_not_422(
    client: FlaskClient, token: Token, role: str | None
) -> None:
    headers = token(role) if role else {}
    response = client.post(TOKENS, json={"nonsense": True}, headers=headers)
    assert response.status_code == (403 if role else 401)
    assert "errors" not in response.get_json()


@pytest.mark.parametrize(
    "authorization", ["Bearer ifm_made-up", "Bearer", "Bearer   ", "Basic YWRtaW46YWRtaW4="]
)
def test_bad_authorization_manages_tokens_gets_401(client: FlaskClient, authorization: str) -> None:
    _assert_unauthorized(client.get(TOKENS, headers={"Authorization": authorization}))


def test_expired_admin_manages_tokens_gets_401(
    client: FlaskClient, token: Token, app: Flask
) -> None:
    admin = token("admin", expires_in_days=1)
    assert client.get(TOKENS, headers=admin).status_code == 200
    _expire(app, "admin-1")
    response = client.get(TOKENS, headers=admin)
    _assert_unauthorized(response)
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    assert response.get_json()["type"].endswith("token_invalid")


def test_revoked_admin_manages_tokens_gets_401(client: FlaskClient, token: Token) -> None:
    admin = token("admin")
    other = token("admin")
    assert client.delete(f"{TOKENS}/admin-1", headers=other).status_code == 204
    _assert_unauthorized(client.post(TOKENS, json={"name": "n", "role": "editor"}, headers=admin))


def test_expired_token_is_listed_as_expired(client: FlaskClient, token: Token, app: Flask) -> None:
    admin = token("admin")
    token("editor", expires_in_days=5)
    _expire(app, "editor-2")
    items = client.get(TOKENS, headers=admin).get_json()["items"]
    assert {t["name"]: t["state"] for t in items} == {"admin-1": "active", "editor-2": "expired"}


def test_openapi_documents_token_endpoints_with_bearer_security(client: FlaskClient) -> None:
    spec = client.get("/api/openapi.json").get_json()
    for path, methods in (
        ("/api/v1/tokens", ("get", "post")),
        ("/api/v1/tokens/{name}", ("get", "delete")),
    ):
        for method in methods:
            operation = spec["paths"][path][method]
            assert operation["security"] == [{"bearerAuth": []}]
            assert {"401", "403"} <= set(operation["responses"])
    created = spec["paths"]["/api/v1/tokens"]["post"]["responses"]["201"]
    assert "Location" in created["headers"]
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
