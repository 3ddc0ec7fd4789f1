"""Operating on the public internet: security headers per kind of response, request ids (in
the response, the problem document and the logs), one JSON log line per request."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from media_files import image_bytes
from test_media import pdf_bytes, uploaded

from ifm_api import create_app
from ifm_api.config import load_settings
from ifm_api.migrate import upgrade
from ifm_api.ops import logs

Token = Callable[..., dict[str, str]]

BASE = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}
API_CSP = "default-src 'none'; frame-ancestors 'none'"
MEDIA_CSP = "default-src 'none'; sandbox"
DOCS_CSP_PARTS = [
    "default-src 'none'",
    "script-src 'self' 'sha256-",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "frame-ancestors 'none'",
]


def _news(make_item: Callable[..., int]) -> int:
    return make_item("news", {"translations": {"de": {"title": "Sicherheit"}}})


def _responses(client: FlaskClient, make_item: Callable[..., int], token: Token) -> dict[str, Any]:
    """One response of every kind the API gives, by a name for the kind."""
    news_id = _news(make_item)
    pdf = uploaded(client, token, pdf_bytes(), "bericht.pdf")
    jpeg = uploaded(client, token, image_bytes(400, 300), "bild.jpg")
    rendition = jpeg["renditions"][0]["url"]
    return {
        "json list": client.get("/api/v1/news"),
        "json detail": client.get(f"/api/v1/news/{news_id}"),
        "304": client.get(
            f"/api/v1/news/{news_id}",
            headers={"If-None-Match": client.get(f"/api/v1/news/{news_id}").headers["ETag"]},
        ),
        "problem 404": client.get("/api/v1/news/999999"),
        "problem 405": client.delete("/api/v1/news"),
        "problem 401": client.post("/api/v1/news", json={}),
        "problem 414 (request limits, before Flask)": client.get("/api/v1/news?q=" + "x" * 5000),
        "feed": client.get("/feeds/news.rss"),
        "openapi": client.get("/api/openapi.json"),
        "probe": client.get("/healthz"),
        "media file": client.get(pdf["url"]),
        "media rendition": client.get(rendition),
        "media 404": client.get("/api/v1/media/999999/x.pdf"),
        "docs page": client.get("/api/docs"),
        "docs asset": client.get("/api/docs/assets/swagger-ui-bundle.js"),
    }


def test_every_kind_of_response_gets_its_security_headers(
    client: FlaskClient, make_item: Callable[..., int], token: Token
) -> None:
    expected_csp = {
        "media file": MEDIA_CSP,
        "media rendition": MEDIA_CSP,
        "media 404": MEDIA_CSP,
    }
    responses = _responses(client, make_item, token)
    statuses = {kind: response.status_code for kind, response in responses.items()}
    assert statuses["problem 414 (request limits, before Flask)"] == 414
    assert statuses["304"] == 304 and statuses["problem 401"] == 401
    assert statuses["media file"] == 200 and statuses["media rendition"] == 200
    for kind, response in responses.items():
        for name, value in BASE.items():
            assert response.headers.get(name) == value, (kind, name)
        assert response.headers.get_all("Content-Security-Policy") != [], kind
        assert len(response.headers.get_all("Content-Security-Policy")) == 1, kind
        assert len(response.headers.get_all("X-Content-Type-Options")) == 1, kind
        csp = response.headers["Content-Security-Policy"]
        if kind == "docs page":
            for part in DOCS_CSP_PARTS:
                assert part in csp, (kind, part)
            assert "unsafe-eval" not in csp and "script-src 'self' 'unsafe-inline'" not in csp
        else:
            assert csp == expected_csp.get(kind, API_CSP), kind


def test_docs_page_policy_allows_exactly_its_inline_script(client: FlaskClient) -> None:
    import base64
    import hashlib
    import re

    response = client.get("/api/docs")
    scripts = re.findall(rb"<script>(.*?)</script>", response.data, re.DOTALL)
    assert len(scripts) == 1
    digest = base64.b64encode(hashlib.sha256(scripts[0]).digest()).decode()
    assert f"'sha256-{digest}'" in response.headers["Content-Security-Policy"]


# --- request ids ---------------------------------------------------------------------------


def test_client_request_id_is_echoed_and_in_the_problem_document(client: FlaskClient) -> None:
    response = client.get("/api/v1/news/999999", headers={"X-Request-ID": "edge-7f3a.1"})
    assert response.status_code == 404
    assert response.headers["X-Request-ID"] == "edge-7f3a.1"
    assert response.get_json()["request_id"] == "edge-7f3a.1"


@pytest.mark.parametrize(
    "sent", ["", "x" * 200, "a b", "<script>", "ü-umlaut", "-starts-with-dash"]
)
def test_malformed_request_id_is_replaced_by_a_new_one(client: FlaskClient, sent: str) -> None:
    response = client.get("/api/v1/news/999999", headers={"X-Request-ID": sent})
    generated = response.headers["X-Request-ID"]
    assert generated != sent and len(generated) == 32
    assert response.get_json()["request_id"] == generated


def test_every_request_gets_a_distinct_id_also_before_flask(client: FlaskClient) -> None:
    ids = {client.get("/healthz").headers["X-Request-ID"] for _ in range(3)}
    assert len(ids) == 3
    refused = client.get("/api/v1/news?q=" + "x" * 5000)
    assert refused.status_code == 414
    assert refused.get_json()["request_id"] == refused.headers["X-Request-ID"]


# --- logs ----------------------------------------------------------------------------------


class Lines(logging.Handler):
    """Collects what the JSON formatter of the running app writes, line by line."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(logs.formatter("json"))
        self.addFilter(logs.RequestIdFilter())
        self.lines: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))


@pytest.fixture
def log_lines() -> Iterator[list[dict[str, Any]]]:
    handler = Lines()
    logger = logging.getLogger("ifm_api")
    logger.addHandler(handler)
    try:
        yield handler.lines
    finally:
        logger.removeHandler(handler)


def test_each_request_logs_one_json_line_with_its_fields(
    client: FlaskClient, token: Token, log_lines: list[dict[str, Any]]
) -> None:
    headers = {**token("editor"), "X-Request-ID": "req-42"}
    response = client.get("/api/v1/news?status=draft&page=1", headers=headers)
    assert response.status_code == 200
    body = response.data  # the line is written once the body is sent
    access = [line for line in log_lines if line["logger"] == "ifm_api.access"]
    assert len(access) == 1
    line = access[0]
    assert line["request_id"] == "req-42"
    assert line["method"] == "GET" and line["path"] == "/api/v1/news"
    assert line["query"] == "status=draft&page=1"
    assert line["status"] == 200 and line["route"] == "/api/v1/news"
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] > 0
    assert line["bytes"] == len(body)
    assert line["token"] == "editor-1"  # the token's name
    assert headers["Authorization"].split()[1] not in json.dumps(log_lines)  # never the token
    assert line["client"] == "127.0.0.1"
    assert line["level"] == "INFO" and line["time"].endswith("+00:00")


def test_a_500_logs_its_traceback_with_the_id_the_client_gets(
    tmp_path: Path, log_lines: list[dict[str, Any]]
) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    upgrade(url)
    app = create_app(load_settings({"DATABASE_URL": url}))

    def broken() -> str:
        raise RuntimeError("a bug in a view")

    app.add_url_rule("/broken", "broken", broken)
    response = app.test_client().get("/broken", headers={"X-Request-ID": "broken-1"})
    problem = response.get_json()
    assert response.status_code == 500
    assert problem["type"] == "urn:ifm-api:problem:internal_error"
    assert problem["request_id"] == "broken-1"
    assert "Traceback" not in response.get_data(as_text=True)
    assert "a bug in a view" not in response.get_data(as_text=True)
    errors = [line for line in log_lines if line["level"] == "ERROR"]
    assert len(errors) == 1
    assert errors[0]["request_id"] == "broken-1"
    assert "Traceback" in errors[0]["exc_info"] and "a bug in a view" in errors[0]["exc_info"]
    access = [line for line in log_lines if line["logger"] == "ifm_api.access"]
    assert access[-1]["status"] == 500 and access[-1]["request_id"] == "broken-1"


def test_a_database_never_migrated_is_a_logged_503_not_a_500(
    tmp_path: Path, log_lines: list[dict[str, Any]]
) -> None:
    app = create_app(load_settings({"DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}"}))
    response = app.test_client().get("/api/v1/news", headers={"X-Request-ID": "behind-1"})
    problem = response.get_json()
    assert response.status_code == 503
    assert problem["type"] == "urn:ifm-api:problem:not_ready"
    assert problem["request_id"] == "behind-1"
    assert "Traceback" not in response.get_data(as_text=True)
    errors = [line for line in log_lines if line["level"] == "ERROR"]
    assert len(errors) == 1
    assert errors[0]["request_id"] == "behind-1"
    assert "ifm-api db upgrade" in errors[0]["message"]
    assert "no such table" in errors[0]["exc_info"]
    access = [line for line in log_lines if line["logger"] == "ifm_api.access"]
    assert access[-1]["status"] == 503 and access[-1]["request_id"] == "behind-1"


def test_log_format_and_level_come_from_configuration(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    app: Flask = create_app(load_settings({"DATABASE_URL": url, "IFM_LOG_FORMAT": "json"}))
    capsys.readouterr()
    assert app.test_client().get("/healthz", headers={"X-Request-ID": "json-1"}).data
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert line["request_id"] == "json-1" and line["path"] == "/healthz"

    text = {"DATABASE_URL": url, "IFM_LOG_LEVEL": "warning"}
    app = create_app(load_settings(text))
    assert app.test_client().get("/healthz").data
    assert capsys.readouterr().err == ""  # access lines are INFO
    app = create_app(load_settings({"DATABASE_URL": url}))
    assert app.test_client().get("/healthz", headers={"X-Request-ID": "text-1"}).data
    err = capsys.readouterr().err
    assert "INFO [text-1] ifm_api.access: GET /healthz 200" in err
