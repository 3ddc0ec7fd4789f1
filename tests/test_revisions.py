"""Restoring revisions: content comes back, the publication history stays (issue 9, bug 1).

Every content type restores its dates and other untranslated fields from the snapshot; a news
item's publication date is publication history, never restored, so an old item does not jump
to the top of lists and feeds at its next publish.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

Headers = dict[str, str]


@pytest.fixture
def editor(token: Callable[..., Headers]) -> Headers:
    return token("editor")


def post(client: FlaskClient, url: str, headers: Headers, **kwargs: Any) -> TestResponse:
    response = client.post(url, headers=headers, **kwargs)
    assert response.status_code in (200, 201), response.get_data(as_text=True)
    return response


def patch(client: FlaskClient, url: str, headers: Headers, etag: str, body: Any) -> TestResponse:
    response = client.patch(url, json=body, headers={**headers, "If-Match": etag})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response


def test_editor_restores_a_revision_of_a_published_news_item(
    client: FlaskClient, editor: Headers
) -> None:
    created = post(
        client, "/api/v1/news", editor, json={"translations": {"de": {"title": "Erste Fassung"}}}
    )
    item = created.get_json()["id"]
    published = post(client, f"/api/v1/news/{item}/publish", editor)
    published_at = published.get_json()["published_at"]
    assert published_at is not None
    patch(
        client,
        f"/api/v1/news/{item}",
        editor,
        published.headers["ETag"],
        {"translations": {"de": {"title": "Zweite Fassung"}}},
    )

    restored = client.post(f"/api/v1/news/{item}/revisions/2/restore", headers=editor)

    assert restored.status_code == 200, restored.get_data(as_text=True)
    body = restored.get_json()
    assert body["translations"]["de"]["title"] == "Erste Fassung"
    assert body["published_at"] == published_at
    assert restored.headers["ETag"]


def test_restoring_a_revision_from_before_publication_keeps_the_publication_date(
    client: FlaskClient, editor: Headers
) -> None:
    created = post(
        client, "/api/v1/news", editor, json={"translations": {"de": {"title": "Alte Meldung"}}}
    )
    item = created.get_json()["id"]
    assert created.get_json()["published_at"] is None
    published = post(client, f"/api/v1/news/{item}/publish", editor)
    published_at = published.get_json()["published_at"]
    patch(
        client,
        f"/api/v1/news/{item}",
        editor,
        published.headers["ETag"],
        {"translations": {"de": {"title": "Geänderte Meldung"}}},
    )

    restored = post(client, f"/api/v1/news/{item}/revisions/1/restore", editor)
    assert restored.get_json()["translations"]["de"]["title"] == "Alte Meldung"
    assert restored.get_json()["published_at"] == published_at
    post(client, f"/api/v1/news/{item}/publish", editor)

    public = client.get(f"/api/v1/news/{item}?lang=de").get_json()
    assert public["title"] == "Alte Meldung"
    assert public["published_at"] == published_at


def test_restoring_keeps_a_publication_date_an_editor_set_later(
    client: FlaskClient, editor: Headers
) -> None:
    created = post(
        client,
        "/api/v1/news",
        editor,
        json={
            "published_at": "2019-12-27T10:00:00+00:00",
            "translations": {"de": {"title": "Meldung"}},
        },
    )
    item = created.get_json()["id"]
    changed = patch(
        client,
        f"/api/v1/news/{item}",
        editor,
        created.headers["ETag"],
        {"published_at": "2020-01-15T09:00:00+01:00"},
    )
    restored = post(
        client,
        f"/api/v1/news/{item}/revisions/1/restore",
        {**editor, "If-Match": changed.headers["ETag"]},
    )
    stored = datetime.fromisoformat(restored.get_json()["published_at"])
    assert stored == datetime.fromisoformat("2020-01-15T09:00:00+01:00")


# Per type: the body of revision 1, the change after the publish, and what revision 1 shows.
RESTORE_CASES: dict[str, tuple[dict[str, Any], dict[str, Any], dict[str, Any]]] = {
    "reports": (
        {
            "report_type": "short_report",
            "publication_date": "2019-12-27",
            "series": "Reihe A",
            "translations": {"de": {"title": "Bericht", "abstract": "<p>Kurz</p>"}},
        },
        {
            "report_type": "final_report",
            "publication_date": "2021-03-01",
            "series": None,
            "translations": {"de": {"title": "Bericht neu"}},
        },
        {"report_type": "short_report", "publication_date": "2019-12-27", "series": "Reihe A"},
    ),
    "projects": (
        {
            "start_date": "2018-05-01",
            "end_date": "2019-04-30",
            "funders": ["Land Baden-Württemberg"],
            "translations": {"de": {"title": "Projekt"}},
        },
        {
            "start_date": "2020-01-01",
            "end_date": None,
            "funders": [],
            "translations": {"de": {"title": "Projekt neu"}},
        },
        {
            "start_date": "2018-05-01",
            "end_date": "2019-04-30",
            "funders": ["Land Baden-Württemberg"],
        },
    ),
    "people": (
        {
            "given_name": "Bettina",
            "family_name": "Müller",
            "is_current": True,
            "translations": {"de": {"position": "Forscherin"}},
        },
        {"family_name": "Schmidt", "is_current": False},
        {"given_name": "Bettina", "family_name": "Müller", "is_current": True},
    ),
    "research-areas": (
        {"sort_order": 3, "translations": {"de": {"name": "Gründung"}}},
        {"sort_order": 7, "translations": {"de": {"name": "Gründung neu"}}},
        {"sort_order": 3},
    ),
    "news": (
        {"tags": ["gruendung"], "translations": {"de": {"title": "Meldung"}}},
        {"tags": [], "translations": {"de": {"title": "Meldung neu"}}},
        {"tags": ["gruendung"]},
    ),
}


@pytest.mark.parametrize("segment", list(RESTORE_CASES))
def test_editor_restores_the_content_of_a_published_item_of_every_type(
    client: FlaskClient, editor: Headers, segment: str
) -> None:
    first, change, expected = RESTORE_CASES[segment]
    url = f"/api/v1/{segment}"
    item = post(client, url, editor, json=first).get_json()["id"]
    published = post(client, f"{url}/{item}/publish", editor)
    before = published.get_json()
    patch(client, f"{url}/{item}", editor, published.headers["ETag"], change)

    restored = post(client, f"{url}/{item}/revisions/2/restore", editor).get_json()

    for name, value in expected.items():
        assert restored[name] == value, name
    assert restored["translations"]["de"] == before["translations"]["de"]
    assert restored["publication"] == before["publication"]
    post(client, f"{url}/{item}/publish", editor)
    public = client.get(f"{url}/{item}?lang=de").get_json()
    for name, value in expected.items():
        assert public[name] == value, name
