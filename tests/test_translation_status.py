"""Translation status (issue 17): per item and language, outdated per field, over HTTP.

German is the source (the default language). A German change makes the English outdated for
exactly the changed fields, unless the PATCH says ``translation_impact: none``; the editing
representation and ``GET /api/v1/translation-status`` show it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import factories
import pytest
from flask import Flask
from flask.testing import FlaskClient

from ifm_api.config import ConfigError, load_settings

Headers = dict[str, str]
STATUS_URL = "/api/v1/translation-status"


@pytest.fixture
def editor(token: Callable[..., Headers]) -> Headers:
    return token("editor")


def editing(client: FlaskClient, resource: str, item_id: int, headers: Headers) -> Any:
    response = client.get(f"/api/v1/{resource}/{item_id}?lang=all&version=draft", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response


def patch(
    client: FlaskClient, resource: str, item_id: int, body: dict[str, Any], headers: Headers
) -> Any:
    etag = editing(client, resource, item_id, headers).headers["ETag"]
    response = client.patch(
        f"/api/v1/{resource}/{item_id}", json=body, headers={**headers, "If-Match": etag}
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def news_de_en(make_item: Callable[..., int], **kwargs: Any) -> int:
    return factories.news(
        make_item,
        de={"title": "Gründung", "teaser": "Kurz", "body": "<p>Text</p>"},
        en={"title": "Founding", "teaser": "Short", "body": "<p>Text</p>"},
        **kwargs,
    )


def test_german_change_makes_english_outdated_in_exactly_the_changed_fields(
    client: FlaskClient, make_item: Callable[..., int], editor: Headers
) -> None:
    item = news_de_en(make_item)
    before = editing(client, "news", item, editor).get_json()["translation_status"]
    assert before["en"]["status"] == "published"
    assert before["en"]["outdated_fields"] == []

    body = patch(
        client,
        "news",
        item,
        {"translations": {"de": {"teaser": "Kürzer", "body": "<p>Neu</p>"}}},
        editor,
    )
    status = body["translation_status"]
    assert status["en"]["status"] == "outdated"
    assert status["en"]["publication"] == "published"
    assert status["en"]["outdated_fields"] == ["teaser", "body"]
    assert status["en"]["source_changed_at"] > status["en"]["translation_changed_at"]
    assert status["de"]["status"] == "published"
    assert status["de"]["outdated_fields"] == []
    # The same in a GET of the editing representation.
    again = editing(client, "news", item, editor).get_json()["translation_status"]
    assert again == status

    # Translating the teaser brings it up to date; the body stays outdated.
    status = patch(client, "news", item, {"translations": {"en": {"teaser": "Shorter"}}}, editor)[
        "translation_status"
    ]
    assert status["en"]["outdated_fields"] == ["body"]
    status = patch(client, "news", item, {"translations": {"en": {"body": "<p>New</p>"}}}, editor)[
        "translation_status"
    ]
    assert status["en"]["status"] == "published"
    assert status["en"]["outdated_fields"] == []


def test_change_marked_translation_impact_none_does_not_make_english_outdated(
    client: FlaskClient, make_item: Callable[..., int], editor: Headers
) -> None:
    item = news_de_en(make_item)
    body = patch(
        client,
        "news",
        item,
        {"translations": {"de": {"title": "Gruendung"}}, "translation_impact": "none"},
        editor,
    )
    assert body["translations"]["de"]["title"] == "Gruendung"
    assert "translation_impact" not in body
    assert body["translation_status"]["en"]["status"] == "published"
    # A later ordinary change still counts.
    body = patch(client, "news", item, {"translations": {"de": {"title": "Gründung!"}}}, editor)
    assert body["translation_status"]["en"]["outdated_fields"] == ["title"]


def test_patch_with_unknown_translation_impact_is_422_and_writes_nothing(
    client: FlaskClient, make_item: Callable[..., int], editor: Headers
) -> None:
    item = news_de_en(make_item)
    etag = editing(client, "news", item, editor).headers["ETag"]
    response = client.patch(
        f"/api/v1/news/{item}",
        json={"translations": {"de": {"title": "X"}}, "translation_impact": "some"},
        headers={**editor, "If-Match": etag},
    )
    assert response.status_code == 422
    assert "translation_impact" in response.get_json()["errors"]
    assert editing(client, "news", item, editor).headers["ETag"] == etag


def test_editing_representation_shows_missing_draft_scheduled_and_fallback_fields(
    client: FlaskClient, make_item: Callable[..., int], editor: Headers
) -> None:
    german_only = factories.news(make_item, de={"title": "Nur Deutsch", "teaser": "Kurz"})
    status = editing(client, "news", german_only, editor).get_json()["translation_status"]
    assert status["en"]["status"] == "missing"
    assert status["en"]["publication"] is None
    # A public English read serves German: every filled field comes from there.
    assert status["en"]["public_lang"] == "de"
    assert status["en"]["fallback_fields"] == ["title", "teaser"]
    assert status["de"]["fallback_fields"] == []

    no_teaser = factories.news(
        make_item,
        de={"title": "Titel", "teaser": "Anriss"},
        en={"title": "Title"},
        languages=["de", "en"],
    )
    status = editing(client, "news", no_teaser, editor).get_json()["translation_status"]
    assert status["en"]["status"] == "published"
    assert status["en"]["public_lang"] == "en"
    assert status["en"]["fallback_fields"] == ["teaser"]

    draft = factories.news(make_item, de="Entwurf", en="Draft", languages=["de"])
    status = editing(client, "news", draft, editor).get_json()["translation_status"]
    assert status["en"]["status"] == "draft"
    assert status["en"]["public_lang"] == "de"

    later = datetime.now(UTC) + timedelta(days=3)
    scheduled = factories.news(make_item, de="Später", en="Later", publish_at=later)
    status = editing(client, "news", scheduled, editor).get_json()["translation_status"]
    assert status["de"]["status"] == "scheduled"
    assert status["en"]["status"] == "scheduled"
    assert status["en"]["public_lang"] is None


def test_status_list_filters_and_counts_across_types(
    client: FlaskClient,
    make_item: Callable[..., int],
    editor: Headers,
    token: Callable[..., Headers],
) -> None:
    outdated = news_de_en(make_item)
    patch(client, "news", outdated, {"translations": {"de": {"title": "Neu"}}}, editor)
    news_missing = factories.news(make_item, de="Ohne Englisch")
    report_missing = factories.report(make_item, de="Bericht ohne Englisch")
    report_draft = factories.report(make_item, de="Bericht", en="Report", languages=["de"])
    person = factories.person(make_item, de={"position": "Referentin"}, en={"position": "Officer"})
    preview = token("preview")

    everything = client.get(STATUS_URL, headers=preview)
    assert everything.status_code == 200, everything.get_data(as_text=True)
    body = everything.get_json()
    assert body["meta"] == {"page": 1, "page_size": 20, "total": 5, "pages": 1}
    assert body["counts"]["news"] == {
        "missing": 1,
        "draft": 0,
        "published": 2,
        "scheduled": 0,
        "outdated": 1,
    }
    assert body["counts"]["report"]["missing"] == 1
    assert body["counts"]["report"]["draft"] == 1
    assert body["counts"]["person"]["published"] == 2
    assert body["totals"]["outdated"] == 1
    assert everything.headers["Cache-Control"] == "private, no-store"
    rows = {(row["type"], row["id"]): row for row in body["items"]}
    row = rows[("news", outdated)]
    assert row["label"] == "Neu"
    assert row["languages"]["en"]["outdated_fields"] == ["title"]
    assert row["url"].endswith(f"/api/v1/news/{outdated}?lang=all&version=draft")
    assert rows[("person", person)]["label"] == "Anna Muster"

    def found(query: str) -> list[tuple[str, int]]:
        response = client.get(f"{STATUS_URL}?{query}", headers=preview)
        assert response.status_code == 200, response.get_data(as_text=True)
        return sorted((row["type"], row["id"]) for row in response.get_json()["items"])

    assert found("lang=en&status=outdated") == [("news", outdated)]
    assert found("lang=en&status=missing") == sorted(
        [("news", news_missing), ("report", report_missing)]
    )
    assert found("lang=en&status=missing&type=report") == [("report", report_missing)]
    assert found("status=draft") == [("report", report_draft)]
    assert found("lang=de&status=missing") == []
    assert found("type=person&type=report") == sorted(
        [("person", person), ("report", report_missing), ("report", report_draft)]
    )
    counted = client.get(f"{STATUS_URL}?lang=en&type=news", headers=preview).get_json()
    assert counted["counts"] == {
        "news": {"missing": 1, "draft": 0, "published": 0, "scheduled": 0, "outdated": 1}
    }


def test_status_list_is_paginated_like_every_list(
    client: FlaskClient, make_item: Callable[..., int], editor: Headers
) -> None:
    made = [factories.news(make_item, de=f"Nachricht {n}") for n in range(5)]
    first = client.get(f"{STATUS_URL}?page_size=2", headers=editor)
    body = first.get_json()
    assert body["meta"] == {"page": 1, "page_size": 2, "total": 5, "pages": 3}
    assert [row["id"] for row in body["items"]] == [made[4], made[3]]
    assert 'rel="next"' in first.headers["Link"] and 'rel="last"' in first.headers["Link"]
    last = client.get(f"{STATUS_URL}?page_size=2&page=3", headers=editor).get_json()
    assert [row["id"] for row in last["items"]] == [made[0]]
    beyond = client.get(f"{STATUS_URL}?page_size=2&page=9", headers=editor).get_json()
    assert beyond["items"] == [] and beyond["meta"]["total"] == 5


def test_status_list_needs_a_token_and_rejects_bad_filters(
    client: FlaskClient, editor: Headers
) -> None:
    anonymous = client.get(STATUS_URL)
    assert anonymous.status_code == 401
    assert anonymous.mimetype == "application/problem+json"
    for query, key in (
        ("status=stale", "invalid_query"),
        ("type=blog", "invalid_query"),
        ("lang=fr", "unsupported_language"),
        ("page=0", "invalid_query"),
        ("page_size=101", "invalid_query"),
    ):
        response = client.get(f"{STATUS_URL}?{query}", headers=editor)
        assert response.status_code == 400, query
        assert response.get_json()["type"] == f"urn:ifm-api:problem:{key}", query


def test_removing_and_readding_a_translation_starts_fresh(
    client: FlaskClient, make_item: Callable[..., int], editor: Headers
) -> None:
    item = news_de_en(make_item, languages=["de"])
    patch(client, "news", item, {"translations": {"de": {"title": "Neu"}}}, editor)
    status = patch(client, "news", item, {"translations": {"en": None}}, editor)[
        "translation_status"
    ]
    assert status["en"]["status"] == "missing"
    assert status["en"]["translation_changed_at"] is None
    status = patch(client, "news", item, {"translations": {"en": {"title": "New"}}}, editor)[
        "translation_status"
    ]
    assert status["en"]["status"] == "draft"
    assert status["en"]["outdated_fields"] == []


def test_configured_source_language_makes_german_outdated_after_an_english_change(
    app: Flask,
    client: FlaskClient,
    make_item: Callable[..., int],
    editor: Headers,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    item = news_de_en(make_item)
    monkeypatch.setitem(
        app.config, "IFM", dataclasses.replace(app.config["IFM"], translation_source="en")
    )
    status = patch(client, "news", item, {"translations": {"en": {"title": "Foundation"}}}, editor)[
        "translation_status"
    ]
    assert status["de"]["outdated_fields"] == ["title"]
    assert status["de"]["status"] == "outdated"
    assert status["en"]["status"] == "published"
    export = client.get(f"/api/v1/news/{item}/xliff?target=de", headers=editor)
    assert export.status_code == 200
    assert b'srcLang="en"' in export.data and b'trgLang="de"' in export.data
    assert client.get(f"/api/v1/news/{item}/xliff?target=en", headers=editor).status_code == 400


def test_translation_source_must_be_a_configured_language() -> None:
    assert load_settings({"IFM_TRANSLATION_SOURCE": "en"}).translation_source == "en"
    assert load_settings({}).translation_source is None
    with pytest.raises(ConfigError, match="IFM_TRANSLATION_SOURCE"):
        load_settings({"IFM_TRANSLATION_SOURCE": "fr"})
