"""Every error is an RFC 9457 problem document: 404, 400, 405 and unexpected ones."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from ifm_api import create_app
from ifm_api.config import load_settings

PROBLEM = "application/problem+json"


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status
    assert response.mimetype == PROBLEM
    body = response.get_json()
    assert body["status"] == status
    for key in ("type", "title", "detail"):
        assert isinstance(body[key], str) and body[key], key
    assert "<html" not in response.get_data(as_text=True).lower()
    return body


@pytest.mark.parametrize(
    "path",
    ["/nothing-here", "/api/v1/nope", "/api/v1/news/abc", "/api/v1/news/1/2", "/api/v2/news"],
)
def test_public_unknown_route_is_404_problem(client: FlaskClient, path: str):
    body = assert_problem(client.get(path), 404)
    assert body["type"].endswith("not_found")


@pytest.mark.parametrize("resource", ["news", "reports", "projects", "people", "research-areas"])
def test_public_unknown_id_is_404_problem(client: FlaskClient, resource: str):
    body = assert_problem(client.get(f"/api/v1/{resource}/424242"), 404)
    assert "424242" in body["detail"]
    assert_problem(client.get(f"/api/v1/{resource}/slug/no-such-slug"), 404)


@pytest.mark.parametrize(
    "query",
    [
        "page=abc",
        "page_size=101",
        "sort=nonsense",
        "fallback=maybe",
        "lang=xx",
        "include=nonsense",
        "version=old",
    ],
)
def test_public_bad_query_is_400_problem(client: FlaskClient, query: str):
    assert_problem(client.get(f"/api/v1/news?{query}"), 400)


def test_public_bad_query_problem_names_the_fields(client: FlaskClient):
    body = assert_problem(client.get("/api/v1/reports?page=abc&type=novel"), 400)
    assert set(body["errors"]) == {"page", "type"}
    assert all(isinstance(m, list) and m for m in body["errors"].values())


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/news/99999999999999999999",
        "/api/v1/people/2147483648",
        "/api/v1/media/99999999999999999999",
    ],
)
def test_public_id_beyond_the_database_range_is_404(client: FlaskClient, path: str):
    assert_problem(client.get(path), 404)


@pytest.mark.parametrize(
    "query",
    [
        "news?person=99999999999999999999",
        "news?report=2147483648",
        "reports?project=99999999999999999999",
        "projects?research_area=9223372036854775808",
        "people?research_area=99999999999999999999",
        "news?page=99999999999999999999999",
        "news?person=0",
    ],
)
def test_public_number_beyond_the_database_range_is_400(client: FlaskClient, query: str):
    body = assert_problem(client.get(f"/api/v1/{query}"), 400)
    assert query.split("?")[1].split("=")[0] in body["errors"]


@pytest.mark.parametrize(
    "path", ["/api/v1/news/slug/a%00b", "/api/v1/people/slug/%C3%A4rger", "/api/v1/news/slug/A"]
)
def test_public_slug_that_cannot_exist_is_404(client: FlaskClient, path: str):
    assert_problem(client.get(path), 404)


@pytest.mark.parametrize("query", ["news?tag=a%00b", "reports?lang=de%00", "people?sort=%00"])
def test_public_query_with_nul_is_400(client: FlaskClient, query: str):
    body = assert_problem(client.get(f"/api/v1/{query}"), 400)
    assert query.split("?")[1].split("=")[0] in body["errors"]


@pytest.mark.parametrize("method", ["put", "delete", "patch", "post"])
def test_public_wrong_method_is_405_problem_with_allow(client: FlaskClient, method: str):
    response = getattr(client, method)("/api/v1/news/slug/some-slug")
    assert_problem(response, 405)
    allowed = {m.strip() for m in response.headers["Allow"].split(",")}
    assert "GET" in allowed
    assert method.upper() not in allowed


def test_public_wrong_method_on_readonly_endpoint_is_405(client: FlaskClient):
    response = client.post("/healthz")
    assert_problem(response, 405)
    assert "GET" in response.headers["Allow"]


def test_public_problem_is_in_the_requested_language(client: FlaskClient):
    english = client.get("/api/v1/news/424242", headers={"Accept-Language": "en"})
    german = client.get("/api/v1/news/424242?lang=de")
    assert english.headers["Content-Language"] == "en"
    assert german.headers["Content-Language"] == "de"
    assert english.get_json()["type"] == german.get_json()["type"]


def test_public_problem_is_not_cached(client: FlaskClient):
    response = client.get("/api/v1/news/424242")
    assert "no-store" in response.headers["Cache-Control"]
    assert "ETag" not in response.headers


@pytest.fixture
def failing_app(database_url: str, media_root: Path) -> Flask:
    """A separate app with a route that fails the way a bug would."""
    application = create_app(
        load_settings({"DATABASE_URL": database_url, "IFM_MEDIA_ROOT": str(media_root)})
    )
    application.config["TESTING"] = False

    def boom() -> Any:
        raise RuntimeError("secret internals: password=hunter2")

    application.add_url_rule("/api/v1/boom", view_func=boom)
    return application


def test_public_unexpected_error_is_500_problem_without_trace(
    failing_app: Flask, caplog: pytest.LogCaptureFixture
):
    response = failing_app.test_client().get("/api/v1/boom")
    body = assert_problem(response, 500)
    text = response.get_data(as_text=True)
    for leak in ("Traceback", "RuntimeError", "hunter2", "secret internals", ".py"):
        assert leak not in text
    assert body["type"].endswith("internal_error")
    assert any("RuntimeError" in (r.exc_text or "") for r in caplog.records)
