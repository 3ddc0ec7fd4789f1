"""The OpenAPI document: served, complete, committed and current; docs work offline."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
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


def _operations(spec: dict) -> list[tuple[str, str, dict]]:
    return [
        (method, path, operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in ("get", "put", "post", "patch", "delete")
    ]


def test_every_operation_has_a_unique_lower_camel_case_operation_id(client: FlaskClient) -> None:
    spec = client.get("/api/openapi.json").get_json()
    ids = [operation["operationId"] for _m, _p, operation in _operations(spec)]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z]+(?:[A-Z0-9][a-z0-9]*)*", i) for i in ids), ids
    named = {
        ("get", "/api/v1/news"): "listNews",
        ("get", "/api/v1/news/{item_id}"): "getNewsItem",
        ("get", "/api/v1/news/slug/{slug}"): "getNewsItemBySlug",
        ("post", "/api/v1/news"): "createNewsItem",
        ("patch", "/api/v1/news/{item_id}"): "updateNewsItem",
        ("post", "/api/v1/news/{item_id}/publish"): "publishNewsItem",
        ("get", "/api/v1/news/{item_id}/revisions"): "listNewsRevisions",
        ("post", "/api/v1/news/{item_id}/revisions/{number}/restore"): "restoreNewsRevision",
        ("post", "/api/v1/media"): "uploadMedia",
        ("get", "/feeds/news.rss"): "getNewsFeedRss",
        ("get", "/api/v1/people/{item_id}"): "getPerson",
        ("get", "/api/v1/research-areas"): "listResearchAreas",
        ("delete", "/api/v1/tokens/{name}"): "revokeToken",
        ("get", "/sitemap.xml"): "getSitemap",
    }
    for (method, path), name in named.items():
        assert spec["paths"][path][method]["operationId"] == name


def test_every_operation_is_tagged_and_has_real_error_statuses(client: FlaskClient) -> None:
    spec = client.get("/api/openapi.json").get_json()
    assert spec["openapi"].startswith("3.1")
    assert spec["servers"] == [{"url": "/", "description": "The server that serves this document."}]
    tags = {tag["name"] for tag in spec["tags"]}
    for method, path, operation in _operations(spec):
        where = f"{method} {path}"
        assert operation["tags"] and set(operation["tags"]) <= tags, where
        assert "default" not in operation["responses"], where
        assert "400" in operation["responses"], where
        if "{" in path:
            assert "404" in operation["responses"], where
        assert {"$ref": "#/components/parameters/AcceptLanguage"} in operation["parameters"]
        not_modified = operation["responses"].get("304")
        if not_modified is not None:
            assert "content" not in not_modified, where


def test_feeds_sitemap_and_files_are_documented_in_their_media_types(client: FlaskClient) -> None:
    paths = client.get("/api/openapi.json").get_json()["paths"]
    text = {
        "/feeds/news.rss": "application/rss+xml",
        "/feeds/reports.atom": "application/atom+xml",
        "/sitemap.xml": "application/xml",
    }
    for path, media_type in text.items():
        content = paths[path]["get"]["responses"]["200"]["content"]
        assert content == {media_type: {"schema": {"type": "string"}}}, path
    download = paths["/api/v1/media/{media_id}/{filename}"]["get"]["responses"]
    for status in ("200", "206"):
        assert download[status]["content"]["application/pdf"]["schema"]["format"] == "binary"
    assert set(download["416"]["content"]) == {"application/problem+json"}


def test_problem_schema_allows_and_declares_extension_members(client: FlaskClient) -> None:
    problem = client.get("/api/openapi.json").get_json()["components"]["schemas"]["Problem"]
    assert problem.get("additionalProperties", True) is not False
    assert {"errors", "supported", "accepted"} <= set(problem["properties"])


def test_committed_document_is_a_valid_openapi_3_1_document() -> None:
    """openapi-spec-validator: the document itself follows the OpenAPI 3.1 specification
    (what generators and contract testers assume before reading a single operation)."""
    from openapi_spec_validator import validate
    from openapi_spec_validator.validation import OpenAPIV31SpecValidator

    document = json.loads(COMMITTED.read_text(encoding="utf-8"))
    validate(document, cls=OpenAPIV31SpecValidator)


def test_lang_outside_the_documented_enum_is_a_400_everywhere(client: FlaskClient) -> None:
    """Also where `lang` only picks the language of messages (found by schemathesis)."""
    for path in ("/healthz", "/readyz", "/sitemap.xml", "/api/v1/redirects?path=/x"):
        response = client.get(path + ("&" if "?" in path else "?") + "lang=xx")
        assert response.status_code == 400, path
        assert response.get_json()["supported"] == ["de", "en"], path
    assert client.get("/api/v1/redirects?path=/x&lang=all").status_code == 400


def test_ids_are_json_integers_and_unknown_ones_an_invalid_reference(
    client: FlaskClient, token: Callable[[str], dict[str, str]]
) -> None:
    """`12.0` is an integer in JSON Schema (accepted), `true` and `"12"` are not; an id that
    names nothing is a 422 of its own problem type (no schema can know the database)."""
    editor = token("editor")
    body = {"translations": {"de": {"title": "Projekt"}}}
    for wrong in (True, "12", 12.5):
        response = client.post(
            "/api/v1/projects", json={**body, "research_area": wrong}, headers=editor
        )
        assert response.status_code == 422, wrong
        assert response.get_json()["type"] == "urn:ifm-api:problem:validation_failed", wrong
    response = client.post(
        "/api/v1/projects", json={**body, "research_area": 99999.0}, headers=editor
    )
    assert response.status_code == 422
    problem = response.get_json()
    assert problem["type"] == "urn:ifm-api:problem:invalid_reference"
    assert list(problem["errors"]) == ["research_area"]


def _resolve(spec: dict, node: dict) -> dict:
    if "$ref" not in node:
        return node
    for part in node["$ref"].split("/")[1:]:
        spec = spec[part]
    return spec


def test_every_string_a_client_sends_says_which_characters_it_takes() -> None:
    """The server refuses NUL in every query parameter and form field (``core.parsing``): a
    string parameter without a pattern, enum or format would let a client that checks the
    document send what is refused (schemathesis ST202)."""
    spec = json.loads(COMMITTED.read_text())
    loose = []
    for method, path, operation in _operations(spec):
        params = [_resolve(spec, param) for param in operation.get("parameters", [])]
        inputs = [
            (param["name"], _resolve(spec, param.get("schema", {})))
            for param in params
            if param["in"] in ("query", "path")
        ]
        for media_type, content in operation.get("requestBody", {}).get("content", {}).items():
            if "form" in media_type:
                form = _resolve(spec, content["schema"])
                inputs += list(form.get("properties", {}).items())
        for name, schema in inputs:
            string = schema.get("type") in ("string", ["string", "null"])
            if string and not {"pattern", "enum", "format"} & schema.keys():
                loose.append(f"{method.upper()} {path} {name}")
    assert loose == []
    search_types = next(
        p["schema"]["pattern"]
        for p in spec["paths"]["/api/v1/search"]["get"]["parameters"]
        if p.get("name") == "type"
    )
    assert re.search(search_types, "news,people") and not re.search(search_types, "news,")
