"""Guard: a read's number of SQL queries does not grow with page size, relations or include.

``include=`` costs one statement more, whatever it embeds."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from factories import news, person, project, report, research_area
from flask import Flask
from flask.testing import FlaskClient

from ifm_api.core import db
from ifm_api.core.media import store_file

N = 30
# From the read model: a list is its count and its page of stored rows, a detail one row.
# Page 1 of an unfiltered list reads its rows with the stored total beside them.
FIRST_PAGE_QUERIES = 1
LIST_QUERIES = 2
DETAIL_QUERIES = 1
# A revalidation reads the page without its documents; a stale one then reads it whole.
STALE_REVALIDATION_QUERIES = 2 * LIST_QUERIES
INCLUDES = {
    "news": "people,projects,reports",
    "reports": "authors,project",
    "projects": "members,research_area",
    "people": "research_area",
    "research-areas": None,
}


PDF = b"%PDF-1.4\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(16)


def stored(app: Flask, data: bytes, name: str, content_type: str) -> int:
    with app.app_context(), db.transaction() as session:
        media = store_file(data, name, content_type, author="tests")
        session.flush()
        return media.id


class Graph:
    """Items of one resource, each linked to several published items of every related type."""

    def __init__(self, app: Flask, make_item: Callable[..., int], resource: str) -> None:
        self.pdf = stored(app, PDF, "bericht.pdf", "application/pdf")
        self.portrait = stored(app, PNG, "portrait.png", "image/png")
        self.areas = [research_area(make_item, de=f"Team {n}", en=f"Team {n} EN") for n in range(3)]
        self.people = [
            person(
                make_item,
                f"Vorname{n}",
                f"Name{n}",
                research_area=self.areas[n % 3],
                portrait_id=self.portrait,
            )
            for n in range(6)
        ]
        self.projects = [
            project(
                make_item,
                de=f"Projekt {n}",
                en=f"Project {n}",
                research_area=self.areas[n % 3],
                members=[{"person": p, "role": "member"} for p in self.people[n : n + 3]],
            )
            for n in range(3)
        ]
        self.reports = [
            report(
                make_item,
                de=f"Bericht {n}",
                project=self.projects[n],
                files=[{"media_id": self.pdf, "lang": "de"}],
                authors=[{"person": p} for p in self.people[n : n + 3]] + [{"name": "Extern"}],
            )
            for n in range(3)
        ]
        self.resource = resource

    def item(self, make_item: Callable[..., int], n: int, width: int) -> int:
        """One more item of the resource with ``width`` links per relation."""
        people = self.people[:width]
        if self.resource == "news":
            return news(
                make_item,
                de=f"Nachricht {n}",
                en=f"News {n}",
                published_at=datetime(2020, 1, 1, tzinfo=UTC) + timedelta(hours=n),
                people=people,
                projects=self.projects[:width],
                reports=self.reports[:width],
                tags=[f"tag{t}" for t in range(width)],
            )
        if self.resource == "reports":
            return report(
                make_item,
                de=f"Weiterer Bericht {n}",
                project=self.projects[n % 3],
                files=[{"media_id": self.pdf, "lang": "de"}],
                authors=[{"person": p} for p in people] + [{"name": "Extern"}],
            )
        if self.resource == "projects":
            return project(
                make_item,
                de=f"Weiteres Projekt {n}",
                research_area=self.areas[n % 3],
                members=[{"person": p, "role": "lead"} for p in people],
            )
        if self.resource == "people":
            return person(
                make_item,
                f"Person{n}",
                f"Familie{n}",
                research_area=self.areas[n % 3],
                portrait_id=self.portrait,
            )
        return research_area(make_item, de=f"Weiteres Team {n}", sort_order=n)


@pytest.fixture
def measure(client: FlaskClient, count_queries: Callable[[], Any]) -> Callable[[str], int]:
    seen: set[str] = set()

    def run(path: str) -> int:
        assert path not in seen, "each measured URL once"
        seen.add(path)
        with count_queries() as counter:
            response = client.get(path)
        assert response.status_code == 200, (path, response.get_json())
        return counter.count

    return run


RESOURCES = list(INCLUDES)


@pytest.mark.parametrize("resource", RESOURCES)
def test_public_list_queries_do_not_grow_with_page_size(
    app: Flask, make_item: Callable[..., int], measure: Callable[[str], int], resource: str
):
    graph = Graph(app, make_item, resource)
    for n in range(N):
        graph.item(make_item, n, width=3)
    path = f"/api/v1/{resource}"
    small = measure(f"{path}?page_size=1")
    assert measure(f"{path}?page_size=100") == small
    assert measure(f"{path}?page_size=100&lang=en") == small
    assert measure(f"{path}?page_size=1&lang=all") == measure(f"{path}?page_size=100&lang=all")
    later = measure(f"{path}?page_size=10&page=2")
    assert measure(f"{path}?page_size=1&page={N - 1}") == later
    assert measure(f"{path}?page_size=10&page=3&lang=en") == later
    include = INCLUDES[resource]
    if include:  # one more read: the embedded items' stored rows, all types at once
        assert measure(f"{path}?page_size=1&include={include}") == small + 1
        assert measure(f"{path}?page_size=100&include={include}") == small + 1
        assert measure(f"{path}?page_size=10&page=2&include={include}") == later + 1
    assert small <= FIRST_PAGE_QUERIES, small
    assert later <= LIST_QUERIES, later


@pytest.mark.parametrize("resource", RESOURCES)
def test_public_detail_queries_do_not_grow_with_relations(
    app: Flask, make_item: Callable[..., int], measure: Callable[[str], int], resource: str
):
    graph = Graph(app, make_item, resource)
    narrow = graph.item(make_item, 1, width=1)
    wide = graph.item(make_item, 2, width=6)
    path = f"/api/v1/{resource}"
    by_id = measure(f"{path}/{narrow}")
    assert measure(f"{path}/{wide}") == by_id
    include = INCLUDES[resource]
    if include:
        assert measure(f"{path}/{narrow}?include={include}") == by_id + 1
        assert measure(f"{path}/{wide}?include={include}") == by_id + 1
    assert measure(f"{path}/{wide}?lang=en") == by_id
    assert by_id <= DETAIL_QUERIES, by_id


@pytest.mark.parametrize("resource", RESOURCES)
def test_public_slug_queries_do_not_grow_with_relations(
    app: Flask,
    client: FlaskClient,
    make_item: Callable[..., int],
    measure: Callable[[str], int],
    resource: str,
):
    graph = Graph(app, make_item, resource)
    narrow = graph.item(make_item, 1, width=1)
    wide = graph.item(make_item, 2, width=6)
    path = f"/api/v1/{resource}"
    slug_of = {
        item: client.get(f"{path}/{item}?lang=en").get_json()["slug"] for item in (narrow, wide)
    }
    counts = [measure(f"{path}/slug/{slug_of[item]}") for item in (narrow, wide)]
    assert counts[0] == counts[1]
    include = INCLUDES[resource]
    if include:
        assert measure(f"{path}/slug/{slug_of[wide]}?include={include}") == counts[0] + 1
    assert counts[0] <= DETAIL_QUERIES, counts  # the slug and its stored row: one statement
    assert measure(f"{path}/slug/{slug_of[wide]}?lang=de") == counts[0]


@pytest.mark.parametrize("resource", RESOURCES)
def test_list_revalidation_queries_do_not_grow_with_page_size(
    app: Flask,
    client: FlaskClient,
    make_item: Callable[..., int],
    count_queries: Callable[[], Any],
    resource: str,
):
    graph = Graph(app, make_item, resource)
    for n in range(N):
        graph.item(make_item, n, width=3)

    def revalidations(path: str) -> tuple[Any, Any]:
        """The statements of a revalidation that matches, and of one that no longer does."""
        etag = client.get(path).headers["ETag"]
        with count_queries() as fresh:
            assert client.get(path, headers={"If-None-Match": etag}).status_code == 304
        with count_queries() as stale:
            assert client.get(path, headers={"If-None-Match": '"other"'}).status_code == 200
        return fresh, stale

    for page_size in (1, 100):
        path = f"/api/v1/{resource}?page_size={page_size}"
        fresh, stale = revalidations(path)
        assert fresh.count <= FIRST_PAGE_QUERIES, (path, fresh.statements)
        assert stale.count <= 2 * FIRST_PAGE_QUERIES, (path, stale.statements)
        deeper = f"{path}&page=2"
        fresh, stale = revalidations(deeper)
        assert fresh.count <= LIST_QUERIES, (deeper, fresh.statements)
        assert stale.count <= STALE_REVALIDATION_QUERIES, (deeper, stale.statements)
