"""Bad input anywhere in a request is a 4xx problem on every endpoint, never a 500 (issue 9).

* NUL, which PostgreSQL refuses in text, in any path parameter, query parameter or body
  string (bug 6);
* a query parameter the endpoint does not take, such as ``tags=`` for ``tag=`` (bug 10).

The endpoints and their parameters and bodies come from the OpenAPI document, which a guard
test checks against the URL map: an endpoint added later is swept too.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

Headers = dict[str, str]
PROBLEM = "application/problem+json"
NUL = "a\x00b"
INVALID_TEXT = "Enthält Zeichen, die nicht erlaubt sind."  # the default language's message
# Served by flask-smorest itself (the document and Swagger UI), not API endpoints.
NOT_SWEPT = ("/api/openapi.json", "/api/docs")


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # OpenAPI template, e.g. /api/v1/tokens/{name}
    spec: dict[str, Any]

    def url(self, **values: str) -> str:
        def fill(match: re.Match[str]) -> str:
            name = match.group(1)
            return quote(values.get(name, self.path_defaults()[name]), safe="")

        return re.sub(r"\{([^}]+)\}", fill, self.path)

    def parameters(self, where: str) -> dict[str, dict[str, Any]]:
        return {p["name"]: p for p in self.spec.get("parameters", []) if p["in"] == where}

    def path_defaults(self) -> dict[str, str]:
        return {
            name: "1" if param["schema"].get("type") == "integer" else "x"
            for name, param in self.parameters("path").items()
        }

    @property
    def query(self) -> set[str]:
        return set(self.parameters("query"))


@pytest.fixture(scope="module")
def document(app: Flask) -> dict[str, Any]:
    return app.test_client().get("/api/openapi.json").get_json()


@pytest.fixture(scope="module")
def operations(document: dict[str, Any]) -> list[Operation]:
    def parameter(param: dict[str, Any]) -> dict[str, Any]:
        if "$ref" in param:
            return document["components"]["parameters"][param["$ref"].rsplit("/", 1)[1]]
        return param

    return [
        Operation(
            method.upper(),
            path,
            {
                **spec,
                "parameters": [
                    parameter(p)
                    for p in [*methods.get("parameters", []), *spec.get("parameters", [])]
                ],
            },
        )
        for path, methods in document["paths"].items()
        for method, spec in methods.items()
        if method in ("get", "post", "patch", "put", "delete")
    ]


@pytest.fixture
def admin(token: Callable[..., Headers]) -> Headers:
    # If-Match: * gets PATCH and DELETE past the 428 to their parameters and body.
    return {**token("admin"), "If-Match": "*"}


def send(client: FlaskClient, operation: Operation, url: str, headers: Headers, **kw: Any) -> Any:
    return client.open(url, method=operation.method, headers=headers, **kw)


def problem(response: TestResponse, *statuses: int) -> dict[str, Any]:
    assert response.status_code in statuses, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    return response.get_json()


def test_openapi_document_lists_every_api_route(app: Flask, document: dict[str, Any]) -> None:
    documented = {
        (re.sub(r"\{[^}]+\}", "<>", path), method.upper())
        for path, methods in document["paths"].items()
        for method in methods
        if method != "parameters"
    }
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(NOT_SWEPT):
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (re.sub(r"<[^>]+>", "<>", rule.rule), method) in documented, rule.rule


# --- NUL (bug 6) ------------------------------------------------------------------------------


def test_nul_in_any_path_parameter_matches_no_route(
    client: FlaskClient, operations: list[Operation], admin: Headers
) -> None:
    swept = 0
    for operation in operations:
        for name, param in operation.parameters("path").items():
            if param["schema"].get("type") == "integer":
                continue
            response = send(client, operation, operation.url(**{name: NUL}), admin)
            problem(response, 404)
            swept += 1
    assert swept >= 3  # token names, slugs, file names


def test_nul_in_a_token_name_is_404_for_get_and_delete(client: FlaskClient, admin: Headers) -> None:
    for method in ("GET", "DELETE"):
        response = client.open("/api/v1/tokens/a%00b", method=method, headers=admin)
        assert problem(response, 404)["status"] == 404


def test_nul_in_any_query_parameter_is_a_400_naming_it(
    client: FlaskClient, operations: list[Operation], admin: Headers
) -> None:
    swept = 0
    for operation in operations:
        for name in [*sorted(operation.query), NUL]:
            url = f"{operation.url()}?{quote(name)}={quote(NUL)}"
            body = problem(send(client, operation, url, admin), 400)
            assert body["errors"] == {name: [INVALID_TEXT]}, (operation, name)
            swept += 1
    assert swept > len(operations)


def _resolve(schema: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    if "oneOf" in schema or "allOf" in schema:
        return _resolve((schema.get("oneOf") or schema["allOf"])[0], document)
    return schema


def string_leaves(
    schema: dict[str, Any], document: dict[str, Any], path: tuple[str, ...] = (), depth: int = 0
) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every place a body may hold a string: (error path, the body with NUL just there)."""
    schema = _resolve(schema, document)
    kind = schema.get("type")
    if depth > 4 or schema.get("readOnly"):
        return
    if kind == "string":
        yield path, NUL
    elif kind == "array":
        for inner, value in string_leaves(schema["items"], document, (*path, "0"), depth + 1):
            yield inner, [value]
    elif kind == "object" or "properties" in schema:
        for name, prop in schema.get("properties", {}).items():
            for inner, value in string_leaves(prop, document, (*path, name), depth + 1):
                yield inner, {name: value}
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            for inner, value in string_leaves(extra, document, (*path, "de"), depth + 1):
                yield inner, {"de": value}


def test_nul_in_any_body_string_is_a_422_naming_the_field(
    client: FlaskClient, operations: list[Operation], document: dict[str, Any], admin: Headers
) -> None:
    swept = 0
    for operation in operations:
        content = operation.spec.get("requestBody", {}).get("content", {})
        for media_type, body_spec in content.items():
            for path, body in string_leaves(body_spec["schema"], document):
                if media_type == "application/json":
                    kwargs: dict[str, Any] = {"json": body}
                else:
                    form = {"file": (io.BytesIO(b"%PDF-1.4\n"), "x.pdf")}
                    kwargs = {"data": {**form, **body}, "content_type": media_type}
                response = send(client, operation, operation.url(), admin, **kwargs)
                found = problem(response, 422)
                assert found["errors"] == {".".join(path): [INVALID_TEXT]}, (
                    operation,
                    path,
                )
                swept += 1
    assert swept >= 50


def test_nul_in_a_json_key_and_in_an_uploaded_file_name_is_422(
    client: FlaskClient, admin: Headers
) -> None:
    key = client.post("/api/v1/news", json={"translations": {"de": {NUL: "x"}}}, headers=admin)
    assert problem(key, 422)["errors"] == {f"translations.de.{NUL}": [INVALID_TEXT]}
    upload = client.post(
        "/api/v1/media",
        data={"file": (io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "a\x00b.pdf")},
        headers=admin,
    )
    assert problem(upload, 422)["errors"] == {"file": [INVALID_TEXT]}


# --- If-Match (bug 9) -----------------------------------------------------------------------


def test_unparsable_if_match_is_a_400_wherever_if_match_is_read(
    client: FlaskClient, operations: list[Operation], admin: Headers
) -> None:
    swept = 0
    for operation in operations:
        if "If-Match" not in operation.parameters("header"):
            continue
        response = send(client, operation, operation.url(), {**admin, "If-Match": '"'})
        assert problem(response, 400)["type"] == "urn:ifm-api:problem:invalid_if_match", operation
        swept += 1
    assert swept >= 5 * 5 + 2  # content PATCH/DELETE/publish/unpublish/restore, media


# --- unknown query parameters (bug 10) --------------------------------------------------------


def test_unknown_query_parameter_is_a_400_naming_the_allowed_ones(
    client: FlaskClient, operations: list[Operation], admin: Headers
) -> None:
    for operation in operations:
        url = f"{operation.url()}?lang=en&bogus=1"
        body = problem(send(client, operation, url, admin), 400)
        assert body["type"] == "urn:ifm-api:problem:unknown_query_parameter", operation
        assert body["errors"] == {"bogus": ["Unknown field."]}
        allowed = body["detail"].rsplit(":", 1)[1].strip(" .").split(", ")
        assert set(allowed) == operation.query, operation
        assert "lang" in operation.query


def test_misspelt_tag_filter_is_a_400_in_the_requests_language(client: FlaskClient) -> None:
    response = client.get("/api/v1/news?tags=x")
    body = problem(response, 400)
    assert body["type"] == "urn:ifm-api:problem:unknown_query_parameter"
    assert "tags" in body["detail"] and "tag," in body["detail"]
    assert response.headers["Content-Language"] == "de"
    english = problem(client.get("/api/v1/news?tags=x", headers={"Accept-Language": "en"}), 400)
    assert english["detail"].startswith("Unknown query parameter tags")
    assert client.get("/api/v1/news?tag=x").status_code == 200
