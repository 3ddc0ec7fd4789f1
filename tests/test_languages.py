"""Language of a read: negotiation, fallback (item and field), translations, lang=all."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from factories import news, person, project, report
from flask import Flask
from flask.testing import FlaskClient

from ifm_api import create_app
from ifm_api.cli import main
from ifm_api.config import load_settings

BILINGUAL = {"de": "Deutscher Titel", "en": "English title"}


@pytest.fixture
def bilingual(make_item) -> int:
    return news(make_item, **BILINGUAL)


def test_public_read_with_lang_query_serves_that_language(client: FlaskClient, bilingual: int):
    response = client.get(f"/api/v1/news/{bilingual}?lang=en")
    assert response.status_code == 200
    body = response.get_json()
    assert (body["lang"], body["title"], body["fallback"]) == ("en", "English title", False)
    assert response.headers["Content-Language"] == "en"


def test_public_read_with_q_values_picks_best_supported_language(
    client: FlaskClient, bilingual: int
):
    response = client.get(
        f"/api/v1/news/{bilingual}", headers={"Accept-Language": "fr;q=1, en;q=0.8, de;q=0.5"}
    )
    assert response.status_code == 200
    assert response.get_json()["title"] == "English title"
    assert response.headers["Content-Language"] == "en"


def test_public_read_with_q_values_honours_order_not_position(client: FlaskClient, bilingual: int):
    response = client.get(
        f"/api/v1/news/{bilingual}", headers={"Accept-Language": "en;q=0.3, de;q=0.9"}
    )
    assert response.get_json()["lang"] == "de"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("fr, en;q=0", "de"),
        ("en;q=0", "de"),
        ("de;q=0, en;q=0.1", "en"),
        ("de;q=0, *", "en"),
        ("*;q=0.5, en;q=0", "de"),
    ],
)
def test_public_read_never_serves_a_language_refused_with_q_zero(
    client: FlaskClient, bilingual: int, header: str, expected: str
):
    response = client.get(f"/api/v1/news/{bilingual}", headers={"Accept-Language": header})
    assert response.get_json()["lang"] == expected
    assert response.headers["Content-Language"] == expected


def test_public_read_with_regional_variant_matches_language(client: FlaskClient, bilingual: int):
    response = client.get(f"/api/v1/news/{bilingual}", headers={"Accept-Language": "en-GB"})
    assert response.get_json()["lang"] == "en"
    assert response.headers["Content-Language"] == "en"


def test_public_read_with_regional_lang_query_matches_language(client: FlaskClient, bilingual: int):
    response = client.get(f"/api/v1/news/{bilingual}?lang=en-US")
    assert response.status_code == 200
    assert response.get_json()["lang"] == "en"


def test_public_read_without_preference_uses_default_language(client: FlaskClient, bilingual: int):
    response = client.get(f"/api/v1/news/{bilingual}")
    assert response.get_json()["title"] == "Deutscher Titel"
    assert response.headers["Content-Language"] == "de"


def test_public_read_with_only_unsupported_languages_uses_default(
    client: FlaskClient, bilingual: int
):
    response = client.get(
        f"/api/v1/news/{bilingual}", headers={"Accept-Language": "fr-FR, it;q=0.5"}
    )
    assert response.status_code == 200
    assert response.get_json()["lang"] == "de"


def test_public_read_with_wildcard_accept_language_uses_default(
    client: FlaskClient, bilingual: int
):
    response = client.get(f"/api/v1/news/{bilingual}", headers={"Accept-Language": "*"})
    assert response.get_json()["lang"] == "de"


def test_public_read_lang_query_wins_over_accept_language(client: FlaskClient, bilingual: int):
    response = client.get(f"/api/v1/news/{bilingual}?lang=de", headers={"Accept-Language": "en"})
    assert response.get_json()["lang"] == "de"
    assert response.headers["Content-Language"] == "de"


@pytest.mark.parametrize("path", ["/api/v1/news", "/api/v1/news/1", "/api/v1/people"])
def test_public_read_with_unsupported_lang_is_400_listing_supported(client: FlaskClient, path: str):
    response = client.get(f"{path}?lang=xx")
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == 400
    assert body["type"].endswith("unsupported_language")
    assert {"de", "en"} <= set(body["supported"])
    assert "de" in body["detail"] and "en" in body["detail"] and "xx" in body["detail"]


def test_public_read_sets_vary_accept_language(client: FlaskClient, bilingual: int):
    for path in ("/api/v1/news", f"/api/v1/news/{bilingual}"):
        response = client.get(path)
        assert "Accept-Language" in response.headers["Vary"]


def test_public_detail_links_other_languages_and_x_default(client: FlaskClient, bilingual: int):
    response = client.get(f"/api/v1/news/{bilingual}?lang=en")
    link = response.headers["Link"]
    assert f'/api/v1/news/{bilingual}?lang=de>; rel="alternate"; hreflang="de"' in link
    assert 'hreflang="x-default"' in link
    assert 'hreflang="en"' not in link
    german = client.get(f"/api/v1/news/{bilingual}?lang=de").headers["Link"]
    assert f'/api/v1/news/{bilingual}?lang=en>; rel="alternate"; hreflang="en"' in german
    assert f'/api/v1/news/{bilingual}?lang=de>; rel="alternate"; hreflang="x-default"' in german


def test_public_detail_by_slug_links_other_languages(client: FlaskClient, bilingual: int):
    response = client.get("/api/v1/news/slug/english-title")
    assert response.status_code == 200
    assert response.headers["Content-Language"] == "en"
    assert 'hreflang="de"' in response.headers["Link"]
    assert 'hreflang="x-default"' in response.headers["Link"]


@pytest.mark.parametrize("accept", [None, "de", "de-DE, en;q=0.5", "fr"])
def test_public_slug_without_lang_serves_the_slugs_own_language(
    client: FlaskClient, bilingual: int, accept: str | None
):
    headers = {"Accept-Language": accept} if accept else {}
    english = client.get("/api/v1/news/slug/english-title", headers=headers)
    assert english.status_code == 200
    body = english.get_json()
    assert (body["id"], body["lang"], body["fallback"]) == (bilingual, "en", False)
    assert body["title"] == "English title"
    assert english.headers["Content-Language"] == "en"
    german = client.get("/api/v1/news/slug/deutscher-titel", headers=headers).get_json()
    assert (german["lang"], german["title"]) == ("de", "Deutscher Titel")


def test_public_slug_with_lang_serves_that_language(client: FlaskClient, bilingual: int):
    german = client.get("/api/v1/news/slug/english-title?lang=de")
    assert german.get_json()["lang"] == "de"
    assert german.headers["Content-Language"] == "de"
    both = client.get("/api/v1/news/slug/english-title?lang=all").get_json()
    assert set(both["translations"]) == {"de", "en"}


def test_draft_slug_without_lang_serves_the_slugs_own_language(
    client: FlaskClient, make_item, token
):
    item = news(make_item, de="Entwurf deutsch", en="Draft english", publish=False)
    response = client.get("/api/v1/news/slug/draft-english?version=draft", headers=token("preview"))
    assert response.status_code == 200
    assert (response.get_json()["id"], response.get_json()["lang"]) == (item, "en")


# --- fallback --------------------------------------------------------------------------------


def test_public_english_read_of_german_only_item_falls_back_flagged(client: FlaskClient, make_item):
    item = news(make_item, de="Nur deutsch")
    response = client.get(f"/api/v1/news/{item}?lang=en")
    assert response.status_code == 200
    body = response.get_json()
    assert (body["lang"], body["fallback"], body["title"]) == ("de", True, "Nur deutsch")
    assert response.headers["Content-Language"] == "de"
    listed = client.get("/api/v1/news?lang=en").get_json()["items"]
    assert [(i["id"], i["lang"], i["fallback"]) for i in listed] == [(item, "de", True)]


def test_public_german_read_of_english_only_item_falls_back_flagged(client: FlaskClient, make_item):
    item = news(make_item, de=None, en="English only")
    body = client.get(f"/api/v1/news/{item}").get_json()
    assert (body["lang"], body["fallback"], body["title"]) == ("en", True, "English only")


def test_public_read_fills_missing_field_from_fallback_language(client: FlaskClient, make_item):
    item = news(
        make_item,
        de={"title": "Titel", "teaser": "Deutscher Anreißer", "body": "<p>Text</p>"},
        en={"title": "Title", "body": "<p>Text</p>"},
    )
    body = client.get(f"/api/v1/news/{item}?lang=en").get_json()
    assert (body["lang"], body["fallback"]) == ("en", False)
    assert body["title"] == "Title"
    assert body["teaser"] == "Deutscher Anreißer"
    assert body["fallback_fields"] == ["teaser"]


def test_public_read_without_fallback_leaves_missing_field_empty(client: FlaskClient, make_item):
    item = news(
        make_item,
        de={"title": "Titel", "teaser": "Deutscher Anreißer"},
        en={"title": "Title"},
    )
    body = client.get(f"/api/v1/news/{item}?lang=en&fallback=false").get_json()
    assert body["teaser"] is None
    assert body["fallback_fields"] == []


def test_public_read_with_fallback_false_leaves_untranslated_items_out(
    client: FlaskClient, make_item
):
    german_only = news(make_item, de="Nur deutsch")
    both = news(make_item, **BILINGUAL)
    listed = client.get("/api/v1/news?lang=en&fallback=false")
    body = listed.get_json()
    assert [i["id"] for i in body["items"]] == [both]
    assert body["meta"]["total"] == 1
    assert client.get(f"/api/v1/news/{german_only}?lang=en&fallback=false").status_code == 404
    assert client.get("/api/v1/news/slug/nur-deutsch?lang=en&fallback=false").status_code == 404
    assert client.get(f"/api/v1/news/{german_only}?lang=de&fallback=false").status_code == 200


def test_public_relations_without_fallback_skip_untranslated_targets(
    client: FlaskClient, make_item
):
    german_report = report(make_item, de="Nur deutscher Bericht")
    item = news(make_item, **BILINGUAL, reports=[german_report])
    body = client.get(f"/api/v1/news/{item}?lang=en&fallback=false").get_json()
    assert body["reports"] == []
    with_fallback = client.get(f"/api/v1/news/{item}?lang=en").get_json()
    assert [r["id"] for r in with_fallback["reports"]] == [german_report]


# --- translations map and lang=all ---------------------------------------------------------


def test_public_translations_list_published_languages_with_urls(client: FlaskClient, make_item):
    item = news(make_item, **BILINGUAL)
    body = client.get(f"/api/v1/news/{item}").get_json()
    assert body["translations"] == {
        "de": {
            "slug": "deutscher-titel",
            "title": "Deutscher Titel",
            "url": f"http://localhost/api/v1/news/{item}?lang=de",
            "web_url": "https://www.ifm.example/de/news/deutscher-titel",
        },
        "en": {
            "slug": "english-title",
            "title": "English title",
            "url": f"http://localhost/api/v1/news/{item}?lang=en",
            "web_url": "https://www.ifm.example/en/news/english-title",
        },
    }
    assert body["web_url"] == "https://www.ifm.example/de/news/deutscher-titel"


def test_public_translations_leave_out_unpublished_language(client: FlaskClient, make_item):
    item = news(make_item, **BILINGUAL, languages=["de"])
    response = client.get(f"/api/v1/news/{item}?lang=en")
    body = response.get_json()
    assert list(body["translations"]) == ["de"]
    assert (body["lang"], body["fallback"], body["title"]) == ("de", True, "Deutscher Titel")
    assert 'hreflang="en"' not in response.headers["Link"]
    assert client.get("/api/v1/news/slug/english-title").status_code == 404


def test_public_translations_of_people_carry_the_name(client: FlaskClient, make_item):
    item = person(make_item, "Bettina", "Müller", honorific_prefix="Dr.", en="Researcher")
    body = client.get(f"/api/v1/people/{item}").get_json()
    assert body["translations"]["en"]["name"] == "Dr. Bettina Müller"
    assert body["translations"]["en"]["web_url"] == (
        "https://www.ifm.example/en/people/bettina-mueller"
    )


def test_public_lang_all_returns_every_published_translation(client: FlaskClient, make_item):
    author = person(make_item, "Bettina", "Müller")
    item = news(
        make_item,
        de={"title": "Titel", "teaser": "Anreißer"},
        en={"title": "Title", "teaser": "Teaser"},
        people=[author],
        tags=["integration"],
    )
    response = client.get(f"/api/v1/news/{item}?lang=all")
    assert response.status_code == 200
    assert "Content-Language" not in response.headers
    body = response.get_json()
    assert body["id"] == item
    assert body["people"] == [author]
    assert body["tags"] == ["integration"]
    assert body["translations"]["de"] == {
        "slug": "titel",
        "title": "Titel",
        "teaser": "Anreißer",
        "body": None,
    }
    assert body["translations"]["en"]["teaser"] == "Teaser"
    assert "lang" not in body and "fallback" not in body


def test_public_lang_all_hides_unpublished_translation(client: FlaskClient, make_item):
    item = news(make_item, **BILINGUAL, languages=["de"])
    body = client.get(f"/api/v1/news/{item}?lang=all").get_json()
    assert list(body["translations"]) == ["de"]
    listed = client.get("/api/v1/news?lang=all").get_json()
    assert [list(i["translations"]) for i in listed["items"]] == [["de"]]


def test_public_lang_all_leaves_out_unpublished_related_items(client: FlaskClient, make_item):
    hidden = person(make_item, "Dora", "Draft", publish=False)
    shown = person(make_item, "Anna", "Arendt")
    hidden_project = project(make_item, "Geheim", publish=False)
    item = report(
        make_item,
        "Bericht",
        authors=[{"person": hidden}, {"name": "Extern, E."}, {"person": shown}],
        project=hidden_project,
    )
    body = client.get(f"/api/v1/reports/{item}?lang=all").get_json()
    assert body["authors"] == [{"name": "Extern, E."}, {"person": shown}]
    assert body["project"] is None
    news_item = news(make_item, "Nachricht", people=[hidden, shown])
    listed = client.get("/api/v1/news?lang=all").get_json()["items"]
    assert [i["people"] for i in listed if i["id"] == news_item] == [[shown]]


def test_public_lang_all_lists_items(client: FlaskClient, make_item):
    news(make_item, **BILINGUAL)
    response = client.get("/api/v1/news?lang=all")
    assert response.status_code == 200
    item = response.get_json()["items"][0]
    assert set(item["translations"]) == {"de", "en"}


# --- dates -------------------------------------------------------------------------------------


def test_public_read_shows_display_date_in_the_language(client: FlaskClient, make_item):
    item = news(make_item, **BILINGUAL, published_at=datetime(2019, 12, 27, 10, tzinfo=UTC))
    german = client.get(f"/api/v1/news/{item}?lang=de").get_json()
    english = client.get(f"/api/v1/news/{item}?lang=en").get_json()
    assert german["display_date"] == "27. Dezember 2019"
    assert english["display_date"] == "December 27, 2019"
    assert german["published_at"] == "2019-12-27T10:00:00+00:00"


def test_public_read_of_fallback_item_shows_date_in_requested_language(
    client: FlaskClient, make_item
):
    item = news(make_item, de="Nur deutsch", published_at=datetime(2019, 12, 27, tzinfo=UTC))
    body = client.get(f"/api/v1/news/{item}?lang=en").get_json()
    assert body["display_date"] == "December 27, 2019"


def test_public_display_date_counts_days_in_the_institutes_time_zone(
    client: FlaskClient, make_item
):
    # 00:30 in Mannheim on 27 December is still 26 December in UTC
    item = news(make_item, **BILINGUAL, published_at=datetime(2019, 12, 26, 23, 30, tzinfo=UTC))
    german = client.get(f"/api/v1/news/{item}?lang=de").get_json()
    assert german["display_date"] == "27. Dezember 2019"
    assert german["published_at"] == "2019-12-26T23:30:00+00:00"
    new_year = news(make_item, "Neujahr", published_at=datetime(2019, 12, 31, 23, 30, tzinfo=UTC))
    assert client.get(f"/api/v1/news/{new_year}").get_json()["display_date"] == "1. Januar 2020"
    in_2020 = client.get("/api/v1/news?year=2020").get_json()["items"]
    assert [i["id"] for i in in_2020] == [new_year]
    in_2019 = client.get("/api/v1/news?year=2019").get_json()["items"]
    assert [i["id"] for i in in_2019] == [item]


# --- a third language is configuration -----------------------------------------------------


@pytest.fixture
def trilingual_app(database_url: str, media_root: Path) -> Flask:
    settings = load_settings(
        {
            "DATABASE_URL": database_url,
            "IFM_MEDIA_ROOT": str(media_root),
            "IFM_LANGUAGES": "de,en,fr",
            "IFM_FALLBACKS": "fr:en,de;en:de;de:en",
        }
    )
    application = create_app(settings)
    application.config["TESTING"] = True
    return application


def test_public_read_in_a_configured_third_language(trilingual_app: Flask, make_item):
    english_fallback = news(make_item, **BILINGUAL)
    # A new language needs no migration, only the read model rendered for it once.
    result = trilingual_app.test_cli_runner().invoke(main, ["readmodel", "rebuild"])
    assert result.exit_code == 0, result.output
    client = trilingual_app.test_client()
    body = client.get(f"/api/v1/news/{english_fallback}?lang=fr").get_json()
    assert (body["lang"], body["fallback"], body["title"]) == ("en", True, "English title")
    response = client.get("/api/v1/news?lang=xx")
    assert response.get_json()["supported"] == ["de", "en", "fr", "all"]
