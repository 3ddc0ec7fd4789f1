"""Absolute URLs: IFM_PUBLIC_URL pins them, IFM_PROXY_COUNT decides whose X-Forwarded-* count."""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Callable, Iterator
from importlib import resources
from typing import Any

import pytest
from factories import edit_and_publish, news, person, report
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from ifm_api import create_app
from ifm_api.config import ConfigError, load_settings
from ifm_api.core import db
from ifm_api.core.media import store_file

PUBLIC = "https://api.ifm.example/content"
EVIL = "evil.example"
FORGED = {"X-Forwarded-Host": EVIL, "X-Forwarded-Proto": "http", "X-Forwarded-Prefix": "/x"}
DEMO_PDF = "kurzbericht-integrationsmanagement-bw.pdf"


def _variant(app: Flask, **changes: Any) -> Iterator[Flask]:
    """The test app with some settings changed, on the same database."""
    other = create_app(dataclasses.replace(app.config["IFM"], **changes))
    other.config["TESTING"] = True
    yield other
    with other.app_context():
        db.dispose(other)


@pytest.fixture(scope="module")
def pinned(app: Flask) -> Iterator[Flask]:
    yield from _variant(app, public_url=PUBLIC)


@pytest.fixture(scope="module")
def behind_one_proxy(app: Flask) -> Iterator[Flask]:
    yield from _variant(app, proxy_count=1)


@pytest.fixture
def content(app: Flask, make_item: Callable[..., int]) -> dict[str, Any]:
    data = resources.files("ifm_api.demo").joinpath(DEMO_PDF).read_bytes()
    with app.app_context(), db.transaction():
        media = store_file(data, "kurzbericht.pdf", "application/pdf", author="tests")
        db.session().flush()
        media_id = media.id
    author = person(make_item, "Bettina", "Müller")
    first = news(make_item, de="Erste Nachricht", en="First news", people=[author])
    second = news(make_item, de="Zweite Nachricht", en="Second news")
    edit_and_publish(app, "news", second, {"translations": {"de": {"slug": "neu"}}})
    paper = report(
        make_item,
        de="Ein Bericht",
        en="A report",
        authors=[{"person": author}],
        files=[{"media_id": media_id, "lang": "de"}],
    )
    return {"news": first, "moved": second, "report": paper, "media": media_id}


def everything(response: TestResponse) -> str:
    headers = "\n".join(f"{name}: {value}" for name, value in response.headers.items())
    return f"{headers}\n{response.get_data(as_text=True)}"


def read_paths(content: dict[str, Any]) -> list[str]:
    return [
        "/api/v1/news?page_size=1&page=2",
        f"/api/v1/news/{content['news']}?lang=en&include=people",
        "/api/v1/news/slug/erste-nachricht",
        "/api/v1/news/slug/zweite-nachricht",
        f"/api/v1/reports/{content['report']}",
        "/api/v1/reports?lang=all",
        f"/api/v1/media/{content['media']}/info",
        "/feeds/news.rss?lang=en",
        "/feeds/news.atom",
        "/feeds/reports.json",
        "/feeds/reports.rss",
        "/sitemap.xml",
    ]


def test_public_url_forged_host_never_appears_in_any_url(
    pinned: Flask, content: dict[str, Any]
) -> None:
    client = pinned.test_client()
    for path in read_paths(content):
        for _ in range(2):  # the second answer may come from the response cache
            response = client.get(path, base_url=f"http://{EVIL}", headers=FORGED)
            assert response.status_code in (200, 301), (path, response.status_code)
            assert EVIL not in everything(response), path
    links = client.get("/api/v1/news?page_size=1", base_url=f"http://{EVIL}").headers["Link"]
    assert f'<{PUBLIC}/api/v1/news?page_size=1&page=2>; rel="next"' in links
    assert f"<{PUBLIC}/feeds/news.rss?lang=de>" in links
    detail = client.get(f"/api/v1/news/{content['news']}?lang=en", base_url=f"http://{EVIL}")
    assert detail.get_json()["url"] == f"{PUBLIC}/api/v1/news/{content['news']}?lang=en"
    assert f"<{PUBLIC}/api/v1/news/{content['news']}?lang=de>" in detail.headers["Link"]
    moved = client.get("/api/v1/news/slug/zweite-nachricht", base_url=f"http://{EVIL}")
    assert moved.status_code == 301
    assert moved.headers["Location"] == f"{PUBLIC}/api/v1/news/slug/neu"
    paper = client.get(f"/api/v1/reports/{content['report']}", base_url=f"http://{EVIL}")
    assert paper.get_json()["files"][0]["url"].startswith(f"{PUBLIC}/api/v1/media/")
    feed = client.get("/feeds/reports.json", base_url=f"http://{EVIL}").get_json()
    assert feed["feed_url"] == f"{PUBLIC}/feeds/reports.json?lang=de"
    assert feed["items"][0]["attachments"][0]["url"].startswith(f"{PUBLIC}/api/v1/media/")


def test_public_url_forged_host_never_reaches_a_location_header(
    pinned: Flask, token: Callable[..., dict[str, str]]
) -> None:
    client = pinned.test_client()
    evil = {"base_url": f"http://{EVIL}"}
    editor = {**token("editor"), **FORGED}
    created = client.post(
        "/api/v1/news",
        json={"translations": {"de": {"title": "Neu"}}},
        headers=editor,
        **evil,
    )
    assert created.status_code == 201
    assert created.headers["Location"] == f"{PUBLIC}/api/v1/news/{created.get_json()['id']}"
    data = resources.files("ifm_api.demo").joinpath(DEMO_PDF).read_bytes()
    upload = client.post(
        "/api/v1/media",
        data={"file": (io.BytesIO(data), "bericht.pdf")},
        content_type="multipart/form-data",
        headers=editor,
        **evil,
    )
    assert upload.status_code == 201
    assert upload.headers["Location"].startswith(f"{PUBLIC}/api/v1/media/")
    assert EVIL not in everything(upload)
    admin = {**token("admin"), **FORGED}
    made = client.post("/api/v1/tokens", json={"name": "site", "role": "preview"}, headers=admin)
    assert made.headers["Location"] == f"{PUBLIC}/api/v1/tokens/site"


def test_public_url_with_a_path_serves_whether_the_proxy_strips_it_or_not(
    pinned: Flask, content: dict[str, Any]
) -> None:
    client = pinned.test_client()
    for path in ("/api/v1/news?page_size=1", "/content/api/v1/news?page_size=1"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert f'<{PUBLIC}/api/v1/news?page_size=1&page=2>; rel="next"' in response.headers["Link"]


def test_without_proxies_forwarded_headers_are_ignored(
    client: FlaskClient, content: dict[str, Any]
) -> None:
    response = client.get(
        "/api/v1/news?page_size=1",
        headers={"X-Forwarded-Host": "proxy.example", "X-Forwarded-Proto": "https"},
    )
    assert "proxy.example" not in everything(response)
    assert "<http://localhost/api/v1/news?page_size=1&page=2>" in response.headers["Link"]


def test_behind_one_proxy_only_the_last_forwarded_values_count(
    behind_one_proxy: Flask, content: dict[str, Any]
) -> None:
    client = behind_one_proxy.test_client()
    response = client.get(
        "/api/v1/news?page_size=1",
        headers={"X-Forwarded-Host": f"{EVIL}, api.ifm.example", "X-Forwarded-Proto": "https"},
    )
    assert EVIL not in everything(response)
    assert "<https://api.ifm.example/api/v1/news?page_size=1&page=2>" in response.headers["Link"]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("IFM_PUBLIC_URL", "api.ifm.example"),
        ("IFM_PUBLIC_URL", "ftp://api.ifm.example"),
        ("IFM_PUBLIC_URL", "https://api.ifm.example/?a=1"),
        ("IFM_PUBLIC_URL", "https://user@api.ifm.example"),
        ("IFM_PUBLIC_URL", "https://api.ifm.example:99999"),
        ("IFM_PROXY_COUNT", "two"),
        ("IFM_PROXY_COUNT", "-1"),
    ],
)
def test_operator_bad_origin_setting_stops_start_up_naming_it(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        load_settings({name: value})


def test_operator_public_url_loses_its_trailing_slash() -> None:
    settings = load_settings({"IFM_PUBLIC_URL": "https://api.ifm.example/", "IFM_PROXY_COUNT": "2"})
    assert (settings.public_url, settings.proxy_count) == ("https://api.ifm.example", 2)
