"""The documented response schemas describe the bodies the API really sends.

Every list and detail body (one language, with and without `include=`, and `lang=all`) is
loaded with the marshmallow schema the OpenAPI document is generated from: a field the
schema does not declare, a missing required field or a wrong type fails.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from marshmallow import Schema

from ifm_api.demo.loader import load_demo
from ifm_api.news.schemas import NewsItemEditSchema, NewsItemSchema
from ifm_api.people.schemas import PersonEditSchema, PersonSchema
from ifm_api.projects.schemas import ProjectEditSchema, ProjectSchema
from ifm_api.reports.schemas import ReportEditSchema, ReportSchema
from ifm_api.research_areas.schemas import ResearchAreaEditSchema, ResearchAreaSchema

SCHEMAS: dict[str, tuple[type[Schema], type[Schema], str | None]] = {
    "news": (NewsItemSchema, NewsItemEditSchema, "people,projects,reports"),
    "reports": (ReportSchema, ReportEditSchema, "authors,project"),
    "projects": (ProjectSchema, ProjectEditSchema, "members,research_area"),
    "people": (PersonSchema, PersonEditSchema, "research_area"),
    "research-areas": (ResearchAreaSchema, ResearchAreaEditSchema, None),
}
EMBEDDED = {
    "people": PersonSchema,
    "projects": ProjectSchema,
    "reports": ReportSchema,
    "research_area": ResearchAreaSchema,
}


@pytest.fixture
def demo(app: Flask) -> None:
    with app.app_context():
        load_demo()


def assert_matches(schema: type[Schema], body: dict[str, Any]) -> None:
    errors = schema().validate(body)
    assert errors == {}, (schema.__name__, errors)


def embedded_items(body: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Full items embedded by include=, with the schema name of their resource."""
    found = []
    for name, value in body.items():
        if name not in (*EMBEDDED, "authors", "members"):
            continue
        values = value if isinstance(value, list) else [value]
        for entry in values:
            if not isinstance(entry, dict):
                continue
            item = entry.get("person") if name in ("authors", "members") else entry
            if isinstance(item, dict) and "lang" in item:
                found.append(("people" if name in ("authors", "members") else name, item))
    return found


@pytest.mark.parametrize("resource", list(SCHEMAS))
def test_public_list_and_detail_match_their_schemas(client: FlaskClient, demo: None, resource: str):
    item_schema, _edit, _include = SCHEMAS[resource]
    for lang in ("de", "en"):
        listed = client.get(f"/api/v1/{resource}?lang={lang}").get_json()
        assert listed["items"], resource
        assert set(listed) == {"items", "meta"}
        for item in listed["items"]:
            assert_matches(item_schema, item)
        detail = client.get(f"/api/v1/{resource}/{listed['items'][0]['id']}?lang={lang}")
        assert_matches(item_schema, detail.get_json())


@pytest.mark.parametrize("resource", [r for r, s in SCHEMAS.items() if s[2]])
def test_public_included_items_match_their_schemas(client: FlaskClient, demo: None, resource: str):
    item_schema, _edit, include = SCHEMAS[resource]
    body = client.get(f"/api/v1/{resource}?include={include}").get_json()["items"][0]
    assert_matches(item_schema, body)
    embedded = embedded_items(body)
    assert embedded, resource
    for name, item in embedded:
        assert_matches(EMBEDDED[name], item)


@pytest.mark.parametrize("resource", list(SCHEMAS))
def test_public_lang_all_is_the_write_shape(
    app: Flask, client: FlaskClient, demo: None, resource: str
):
    _item, edit_schema, _include = SCHEMAS[resource]
    listed = client.get(f"/api/v1/{resource}?lang=all").get_json()
    detail = client.get(f"/api/v1/{resource}/{listed['items'][0]['id']}?lang=all").get_json()
    with app.test_request_context():
        for item in [*listed["items"], detail]:
            assert_matches(edit_schema, item)


def _error_responses(spec: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    found = [
        (f"{method} {path} {status}", response)
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
        if isinstance(operation, dict) and "responses" in operation
        for status, response in operation["responses"].items()
        if status == "default" or status[0] in "45"
    ]
    found += [
        (name, response)
        for name, response in spec["components"]["responses"].items()
        if "content" in response
    ]
    return found


def test_openapi_documents_every_error_as_problem_document(client: FlaskClient):
    spec = client.get("/api/openapi.json").get_json()
    errors = _error_responses(spec)
    assert errors
    for where, response in errors:
        if "$ref" in response:
            continue
        assert set(response.get("content", {})) <= {"application/problem+json"}, where
        for content in response.get("content", {}).values():
            assert content["schema"] == {"$ref": "#/components/schemas/Problem"}, where
    assert "Error" not in spec["components"]["schemas"]


@pytest.mark.parametrize("resource", list(SCHEMAS))
def test_openapi_documents_reads_as_sent(client: FlaskClient, resource: str):
    spec = client.get("/api/openapi.json").get_json()
    item, edit, _include = SCHEMAS[resource]
    name, edit_name = item.__name__.removesuffix("Schema"), edit.__name__.removesuffix("Schema")
    one_of = {"oneOf": [{"$ref": f"#/components/schemas/{s}"} for s in (name, edit_name)]}
    page = spec["components"]["schemas"][f"{name}Page"]
    assert page["properties"]["items"]["items"] == one_of
    expected = {
        f"/api/v1/{resource}": {"$ref": f"#/components/schemas/{name}Page"},
        f"/api/v1/{resource}/{{item_id}}": one_of,
        f"/api/v1/{resource}/slug/{{slug}}": one_of,
    }
    for path, schema in expected.items():
        responses = spec["paths"][path]["get"]["responses"]
        ok = responses["200"]
        assert ok["description"] and "ETag" in ok["headers"], path
        assert ok["content"]["application/json"]["schema"] == schema, path
        assert {"304", "400", "401"} <= set(responses), path
        assert "422" not in responses, path
