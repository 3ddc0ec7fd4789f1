"""``include=`` copies stored bytes (``core.read.splice``): the same bodies as parsing them.

The demo content has every relation kind: news with people, projects and reports, reports
with authors (people and external names) and a project, projects with members (roles) and a
research area, people with a research area.
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update
from test_read_model import INCLUDES, assert_detail_matches, assert_list_matches

from ifm_api.core import db
from ifm_api.core.read import splice
from ifm_api.core.read.model import API_ROOT, PublicItem
from ifm_api.demo.loader import load_demo

SEGMENTS = {"news": "news", "reports": "reports", "projects": "projects", "people": "people"}


def parsed(text: str) -> Any:
    return orjson.loads(text.replace(API_ROOT, "https://host/api/v1"))


@pytest.fixture
def demo(app: Flask) -> None:
    with app.app_context():
        assert load_demo() is True


def _reads(client: FlaskClient) -> dict[str, tuple[int, bytes, str | None]]:
    """Every include read of the demo: lists and details, both languages, fallback on/off."""
    found = {}
    for resource, segment in SEGMENTS.items():
        include = ",".join(sorted(INCLUDES[resource]))
        for lang in ("de", "en"):
            for fallback in ("", "&fallback=false"):
                path = f"/api/v1/{segment}?lang={lang}&page_size=100&include={include}{fallback}"
                listed = client.get(path)
                found[path] = (listed.status_code, listed.data, listed.headers.get("ETag"))
                for item in listed.get_json()["items"]:
                    detail = f"/api/v1/{segment}/{item['id']}?lang={lang}&include={include}"
                    response = client.get(detail + fallback)
                    found[detail + fallback] = (
                        response.status_code,
                        response.data,
                        response.headers.get("ETag"),
                    )
    return found


def test_include_reads_match_the_reference_renderer(client: FlaskClient, app: Flask, demo: None):
    for resource in SEGMENTS:
        for lang in ("de", "en"):
            assert_list_matches(client, app, resource, lang, include=INCLUDES[resource])
            assert_list_matches(
                client, app, resource, lang, include=INCLUDES[resource], fallback=False
            )
        items = client.get(f"/api/v1/{SEGMENTS[resource]}?lang=de&page_size=100").get_json()
        for item in items["items"]:
            assert_detail_matches(
                client, app, resource, item["id"], "de", include=INCLUDES[resource]
            )


def test_one_language_rows_store_spans_and_embedded_types_their_bare_document(
    app: Flask, demo: None
):
    with app.app_context():
        rows = db.session().execute(
            select(PublicItem.type, PublicItem.lang, PublicItem.spans, PublicItem.bare)
        )
        by_type: dict[str, list[Any]] = {}
        for type_, lang, spans, bare in rows:
            by_type.setdefault(type_, []).append((lang, spans, bare))
    news = [row for row in by_type["news"] if row[0] != "all"]
    assert news and all(spans is not None for _lang, spans, _bare in news)
    assert any(orjson.loads(spans) for _lang, spans, _bare in news)
    assert all(bare is None for _lang, _spans, bare in by_type["news"])  # no one embeds news
    people = [row for row in by_type["person"] if row[0] != "all"]
    assert people and all(bare is not None for _lang, _spans, bare in people)
    assert all("research_area" not in parsed(bare) for _lang, _spans, bare in people)
    every = [row for rows in by_type.values() for row in rows if row[0] == "all"]
    assert every and all(spans is None and bare is None for _lang, spans, bare in every)


def test_rows_stored_without_spans_read_the_same(client: FlaskClient, app: Flask, demo: None):
    """A row without spans or bare text (stored before them) is parsed and embedded:
    byte for byte the same body and ETag."""
    spliced = _reads(client)
    with app.app_context(), db.transaction():
        db.session().execute(update(PublicItem).values(spans=None, bare=None))
    parsed = _reads(client)
    assert parsed == spliced
    assert all(status == 200 for status, _body, _etag in spliced.values())


@pytest.mark.parametrize(
    "item",
    [
        {"id": 1, "people": [], "title": "Ohne"},
        {"id": 2, "people": [{"id": 7, "name": "Käthe „Kä“ Schröder", "url": "\x01/people/7"}]},
        {"project": {"id": 3, "title": "Ü"}, "authors": [{"name": "Extern", "person": None}]},
        {"authors": [{"name": "A", "person": {"id": 4, "name": "A"}}], "x": [1.5, None, True]},
        {"members": [{"role": "Leitung", "person": {"id": 5}}, {"role": None, "person": {}}]},
    ],
)
def test_serialized_is_what_orjson_writes_and_its_spans_hold_the_summaries(item: dict[str, Any]):
    kinds = {"people": "items", "project": "item", "authors": "authors", "members": "members"}
    text, spans = splice.serialized(item, kinds, orjson.dumps)
    assert text == orjson.dumps(item)
    assert spans is not None
    for relation, start, end, target in orjson.loads(spans):
        summary = orjson.loads(text[start:end])
        assert summary["id"] == target
        assert relation in kinds
    embedded = {
        target: b'{"id":%d,"full":true}' % target for _r, _s, _e, target in orjson.loads(spans)
    }
    result = orjson.loads(splice.spliced(text, spans, frozenset(kinds), embedded))
    for relation, _start, _end, target in orjson.loads(spans):
        assert {"id": target, "full": True} in _summaries(result[relation])


def _summaries(value: Any) -> list[Any]:
    entries = value if isinstance(value, list) else [value]
    return [entry.get("person", entry) if isinstance(entry, dict) else entry for entry in entries]
