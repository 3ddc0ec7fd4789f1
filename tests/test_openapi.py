"""The OpenAPI document: served, complete, committed and current; docs work offline."""

from __future__ import annotations

import json
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from ifm_api.cli import openapi_document

COMMITTED = Path(__file__).resolve().parents[1] / "openapi" / "openapi.json"


def test_committed_openapi_document_is_current(app: Flask) -> None:
    with app.app_context():
        generated = openapi_document()
    assert COMMITTED.exists(), "run `make openapi` and commit openapi/openapi.json"
    assert COMMITTED.read_text(encoding="utf-8") == generated, (
        "openapi/openapi.json is stale: run `make openapi` and commit it"
    )


def test_public_openapi_json_lists_every_resource(client: FlaskClient) -> None:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    paths = response.get_json()["paths"]
    for resource in ("news", "reports", "projects", "people", "research-areas"):
        assert f"/api/v1/{resource}" in paths
        assert f"/api/v1/{resource}/{{item_id}}" in paths
        assert f"/api/v1/{resource}/slug/{{slug}}" in paths
    assert "/healthz" in paths and "/readyz" in paths


def test_docs_ui_uses_only_local_assets(client: FlaskClient) -> None:
    page = client.get("/api/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "http://" not in html.replace("http://localhost", "")
    assert "https://" not in html
    assert "/api/docs/assets/swagger-ui-bundle.js" in html
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        response = client.get(f"/api/docs/assets/{asset}")
        assert response.status_code == 200
        assert len(response.data) > 1000


def test_openapi_documents_problem_responses(client: FlaskClient) -> None:
    spec = client.get("/api/openapi.json").get_json()
    detail = spec["paths"]["/api/v1/news/{item_id}"]["get"]
    assert "404" in detail["responses"]
    assert "304" in detail["responses"]
    assert json.dumps(spec).count("ProblemSchema") or json.dumps(spec).count("Problem")
