"""What the OpenAPI document promises, checked one rule at a time through HTTP (the
schemathesis run in test_schemathesis.py checks them all at random)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
def test_editor_id_beyond_the_database_range_is_404_for_every_method(
    client: FlaskClient, token: Callable[..., dict[str, str]], method: str
) -> None:
    response = client.open(
        "/api/v1/news/2147483648", method=method, headers={**token("editor"), "If-Match": '"x"'}
    )
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("include=people,reports", 200),
        ("include=people&include=reports", 200),
        ("include=", 200),
        ("include=people,", 400),
        ("include=%20people", 400),
        ("include=authors", 400),
    ],
)
def test_public_include_takes_exactly_the_documented_relation_names(
    client: FlaskClient, query: str, status: int
) -> None:
    response = client.get(f"/api/v1/news?{query}")
    assert response.status_code == status, response.get_json()
    if status == 400:
        assert response.get_json()["type"] == "urn:ifm-api:problem:invalid_include"


def test_editor_create_with_a_null_translation_is_422(
    client: FlaskClient, token: Callable[..., dict[str, str]]
) -> None:
    body = {"translations": {"de": {"title": "Titel"}, "en": None}}
    response = client.post("/api/v1/news", json=body, headers=token("editor"))
    assert response.status_code == 422
    assert "translations.en" in response.get_json()["errors"]
