"""``ifm-api export DIR`` / ``ifm-api import DIR [--merge]``: a full round trip gives byte for
byte the same public and editor reads, into a fresh SQLite and a fresh PostgreSQL database."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import Result
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.engine import make_url

from ifm_api import create_app
from ifm_api.cli import main
from ifm_api.config import load_settings
from ifm_api.core import db
from ifm_api.core.auth import create_token
from ifm_api.core.content import REGISTRY
from ifm_api.core.editing import (
    create_item,
    delete_item,
    get_entity,
    publish_item,
    update_item,
)
from ifm_api.core.media import store_file
from ifm_api.core.models import Media
from ifm_api.demo.loader import load_demo
from ifm_api.exchange.service import import_legacy_files, read_url_map
from ifm_api.migrate import upgrade

FIXTURES = Path(__file__).parent / "fixtures" / "legacy"
SITE = "https://www.ifm.example"
FUTURE = datetime(2099, 1, 1, 9, 0, tzinfo=UTC)
PDF = b"%PDF-1.4\n% a report\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
SEGMENTS = ("news", "reports", "projects", "people", "research-areas")
COMPARED_HEADERS = (
    "Content-Type",
    "Content-Language",
    "ETag",
    "Last-Modified",
    "Link",
    "Location",
    "Cache-Control",
    "Vary",
)


@pytest.fixture(autouse=True)
def _no_dotenv(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLASK_SKIP_DOTENV", "1")


def cli(app: Flask, *args: str | Path) -> Result:
    return app.test_cli_runner().invoke(main, [str(a) for a in args])


# --- content: the demo plus a few hundred generated items -----------------------------------


class Generator:
    """Writes through the editing services, as the API does, in one transaction."""

    def __init__(self) -> None:
        self.author = "generator"

    def make(
        self,
        resource: str,
        data: dict[str, Any],
        *,
        languages: list[str] | None = None,
        publish_at: datetime | None = None,
        publish: bool = True,
    ) -> int:
        spec = REGISTRY[resource]
        entity = create_item(spec, data, author=self.author)
        if publish:
            self.publish(resource, entity.id, languages=languages, publish_at=publish_at)
        return entity.id

    def publish(self, resource: str, entity_id: int, **kwargs: Any) -> None:
        spec = REGISTRY[resource]
        entity = get_entity(spec, entity_id)
        kwargs.setdefault("languages", None)
        kwargs.setdefault("publish_at", None)
        publish_item(spec, entity, expected_version=entity.version, author=self.author, **kwargs)

    def update(self, resource: str, entity_id: int, data: dict[str, Any]) -> None:
        spec = REGISTRY[resource]
        entity = get_entity(spec, entity_id)
        update_item(spec, entity, data, expected_version=entity.version, author=self.author)

    def delete(self, resource: str, entity_id: int) -> None:
        spec = REGISTRY[resource]
        entity = get_entity(spec, entity_id)
        delete_item(spec, entity, expected_version=entity.version, author=self.author)


def texts(label: str, de: str, en: str | None, **extra: Any) -> dict[str, Any]:
    out = {"de": {label: de, **extra}}
    if en is not None:
        out["en"] = {label: en, **extra}
    return out


def generate(g: Generator) -> dict[str, list[int]]:
    ids: dict[str, list[int]] = {key: [] for key in REGISTRY}
    for i in range(4):
        ids["research_areas"].append(
            g.make(
                "research_areas",
                {"sort_order": i, "translations": texts("name", f"Bereich {i}", f"Area {i}")},
            )
        )
    for i in range(30):
        portrait = store_file(PNG + bytes([i]), f"portrait-{i}.png", "image/png", author="gen")
        db.session().flush()
        ids["people"].append(
            g.make(
                "people",
                {
                    "honorific_prefix": ("Dr.", "Prof. Dr.", None)[i % 3],
                    "given_name": f"Vorname{i}",
                    "family_name": ("Müller", "Özdemir", "von Berg", "Weiß")[i % 4] + f"{i}",
                    "is_current": i % 5 != 0,
                    "portrait_id": portrait.id if i % 4 == 0 else None,
                    "research_area": ids["research_areas"][i % 4],
                    "translations": texts(
                        "position", f"Stelle {i}", f"Position {i}" if i % 2 else None
                    ),
                },
                publish=i % 9 != 0,
            )
        )
    people = ids["people"]
    for i in range(16):
        ids["projects"].append(
            g.make(
                "projects",
                {
                    "start_date": date(2015 + i % 8, 1 + i % 12, 1),
                    "end_date": date(2024, 12, 31) if i % 3 == 0 else None,
                    "funders": [f"Stiftung {i}"],
                    "partners": [],
                    "research_area": ids["research_areas"][i % 4],
                    "members": [
                        {"person": people[i], "role": "lead"},
                        {"person": people[i + 1], "role": "member"},
                    ],
                    "translations": texts("title", f"Projekt „{i}“", f"Project {i}"),
                },
                publish_at=FUTURE if i % 6 == 5 else None,
            )
        )
    for i in range(24):
        pdf = store_file(PDF + str(i).encode(), f"bericht-{i}.pdf", "application/pdf", author="gen")
        db.session().flush()
        ids["reports"].append(
            g.make(
                "reports",
                {
                    "publication_date": date(2016 + i % 9, 1 + i % 12, 1 + i % 28),
                    "report_type": ("short_report", "working_paper", "article")[i % 3],
                    "series": "ifm-Materialien" if i % 2 else None,
                    "authors": [{"person": people[i]}, {"name": f"Extern {i}"}],
                    "project": ids["projects"][i % 16],
                    "files": [{"media_id": pdf.id, "lang": "de", "label": f"PDF {i}"}],
                    "translations": texts(
                        "title", f"Bericht {i}", f"Report {i}" if i % 3 else None
                    ),
                },
                languages=["de"] if i % 4 == 1 else None,
            )
        )
    for i in range(120):
        data = {
            "published_at": datetime(2018, 1, 1, 10, tzinfo=UTC) + timedelta(days=5 * i),
            "people": [people[i % 30], people[(i * 7) % 30]],
            "projects": [ids["projects"][i % 16]],
            "reports": [ids["reports"][i % 24]] if i % 2 else [],
            "tags": [f"tag{i % 5}", "ifm"],
            "translations": texts(
                "title", f"Nachricht {i}: Gründung", f"News {i}: start-ups", teaser=f"Kurz {i}."
            ),
        }
        variant = i % 10
        news_id = g.make(
            "news",
            data,
            publish=variant != 0,
            languages=["de"] if variant in (1, 6) else None,
            publish_at=FUTURE if variant == 2 else None,
        )
        ids["news"].append(news_id)
        if variant == 3:  # the working copy differs from the public version
            g.update("news", news_id, {"translations": {"de": {"teaser": "Neu."}}, "tags": ["neu"]})
        elif variant == 4:  # a changed slug: the old one keeps answering with a 301
            g.update("news", news_id, {"translations": {"de": {"slug": f"umbenannt-{i}"}}})
            g.publish("news", news_id)
        elif variant == 5:
            g.delete("news", news_id)
        elif variant == 6:  # German now, English scheduled
            g.update("news", news_id, {"translations": {"en": {"title": f"Later {i}"}}})
            g.publish("news", news_id, languages=["en"], publish_at=FUTURE)
    return ids


@pytest.fixture
def content(app: Flask, tmp_path: Path) -> dict[str, list[int]]:
    with app.app_context():
        load_demo()
        url_map = tmp_path / "map.csv"
        seed = FIXTURES / "news-2019-12-27-integrationsmanagement.txt"
        url_map.write_text(f"/aktuelles/news.php?id=427,{seed}\n")
        report = import_legacy_files(
            sorted(FIXTURES.glob("*.txt")), publish=True, url_map=read_url_map(url_map)
        )
        assert not report.failed
        with db.transaction():
            return generate(Generator())


# --- reads ----------------------------------------------------------------------------------


def media_ids(app: Flask) -> list[int]:
    with app.app_context():
        return list(db.session().scalars(select(Media.id).order_by(Media.id)))


def read_urls(
    client: FlaskClient, editor: dict[str, str], media: list[int]
) -> list[tuple[str, bool]]:
    """Every list page and a sample of details, feeds, files and redirects: (url, as editor)."""
    urls: list[tuple[str, bool]] = []
    for segment in SEGMENTS:
        everything = client.get(
            f"/api/v1/{segment}?status=all&lang=all&page_size=100", headers=editor
        )
        pages = everything.get_json()["meta"]["pages"]
        for page in range(1, pages + 1):
            for query in ("lang=de", "lang=en&fallback=false", "lang=all"):
                urls.append((f"/api/v1/{segment}?page_size=100&page={page}&{query}", False))
            urls.append((f"/api/v1/{segment}?status=all&lang=all&page_size=100&page={page}", True))
        ids = [
            item["id"]
            for page in range(1, pages + 1)
            for item in client.get(
                f"/api/v1/{segment}?status=all&lang=all&page_size=100&page={page}", headers=editor
            ).get_json()["items"]
        ]
        for item_id in sorted(set(ids[::17] + ids[:2])):
            base = f"/api/v1/{segment}/{item_id}"
            urls += [(f"{base}?lang=de", False), (f"{base}?lang=en", False)]
            urls += [(f"{base}?lang=all", False), (f"{base}?lang=all&version=draft", True)]
            urls += [(f"{base}/revisions", True), (f"{base}/revisions/2", True)]
            draft = client.get(f"{base}?lang=all&version=draft", headers=editor).get_json()
            for translation in draft["translations"].values():
                urls.append((f"/api/v1/{segment}/slug/{translation['slug']}", False))
    urls.append(("/api/v1/news?include=people,projects,reports&lang=en&page_size=100", False))
    urls += [(f"/api/v1/news/slug/nachricht-{i}-gruendung", False) for i in (4, 14, 24)]
    urls += [(f"/feeds/{feed}.{kind}?lang={lang}", False) for feed in ("news", "reports")
             for kind in ("rss", "atom", "json") for lang in ("de", "en")]  # fmt: skip
    urls.append(("/sitemap.xml", False))
    for media_id in media[::10]:  # public only while a published item uses it
        urls += [
            (f"/api/v1/media/{media_id}/info", True),
            (f"/api/v1/media/{media_id}/info", False),
        ]
    for lang in ("de", "en"):
        urls.append(
            (f"/api/v1/redirects?path=%2Faktuelles%2Fnews.php%3Fid%3D427&lang={lang}", False)
        )
    urls.append(("/api/v1/redirects/rules", True))
    return urls


def snapshot(client: FlaskClient, urls: list[tuple[str, bool]], token: dict[str, str]) -> dict:
    result = {}
    for url, as_editor in urls:
        # One request id for all: problem documents carry it (``request_id``).
        sent = {**(token if as_editor else {}), "X-Request-ID": "snapshot"}
        response = client.get(url, headers=sent)
        headers = {name: response.headers.get(name) for name in COMPARED_HEADERS}
        result[(url, as_editor)] = (response.status_code, headers, response.get_data())
    return result


def files_of(client: FlaskClient, token: dict[str, str], media: list[int]) -> dict[str, bytes]:
    out = {}
    for media_id in media:
        info = client.get(f"/api/v1/media/{media_id}/info", headers=token)
        if info.status_code == 200:
            out[info.get_json()["url"]] = client.get(
                info.get_json()["url"], headers=token
            ).get_data()
    return out


# --- targets ----------------------------------------------------------------------------------


def target_app(url: str, media_root: Path) -> Flask:
    upgrade(url)
    settings = load_settings(
        {
            "DATABASE_URL": url,
            "IFM_MEDIA_ROOT": str(media_root),
            "IFM_SITE_URL": SITE,
            "IFM_CACHE_MAX_AGE": "60",
        }
    )
    application = create_app(settings)
    application.config["TESTING"] = True
    return application


def bearer(application: Flask, name: str, role: str) -> dict[str, str]:
    with application.app_context(), db.transaction():
        _token, plain = create_token(name, role)
    return {"Authorization": f"Bearer {plain}"}


def postgres_server() -> str:
    configured = os.environ.get("TEST_DATABASE_URL", "")
    if configured.startswith("postgresql"):
        return str(make_url(configured).set(database="postgres").render_as_string(False))
    return "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def _plain(url: str) -> str:
    return url.replace("+psycopg", "")


def scratch_postgres() -> Iterator[str | None]:
    """A fresh PostgreSQL database of this test run's own, dropped afterwards."""
    server = postgres_server()
    name = f"ifm_exchange_rt_{os.getpid()}"
    try:
        admin = psycopg.connect(_plain(server), autocommit=True, connect_timeout=3)
    except psycopg.OperationalError:
        yield None
        return
    with admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield str(make_url(server).set(database=name).render_as_string(False))
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def round_trip(
    target: Flask, export_dir: Path, expected: dict, urls: list, files: dict[str, bytes]
) -> None:
    """Import into ``target`` (fresh) and read everything again."""
    imported = cli(target, "import", export_dir)
    assert imported.exit_code == 0, imported.output
    assert "tokens are not imported; create them anew: " in imported.stdout
    client = target.test_client()
    token = bearer(target, "round-trip", "admin")
    got = snapshot(client, urls, token)
    different = [key for key in expected if got[key] != expected[key]]
    assert not different, (different[:5], [(got[k][:2], expected[k][:2]) for k in different[:2]])
    assert files_of(client, token, media_ids(target)) == files
    again = cli(target, "import", export_dir)
    assert again.exit_code == 1
    assert "the database is not empty" in again.output
    db.dispose(target)


def test_export_then_import_into_fresh_sqlite_and_postgresql_reads_the_same(
    app: Flask,
    client: FlaskClient,
    content: dict[str, list[int]],
    token: Callable[..., dict[str, str]],
    tmp_path: Path,
) -> None:
    source_token = token("admin")
    media = media_ids(app)
    info = client.get(f"/api/v1/media/{media[0]}/info", headers=source_token)
    texts = {"de": {"title": "Kurzbericht", "credit": "ifm"}, "en": {"title": "Short report"}}
    described = client.patch(
        f"/api/v1/media/{media[0]}",
        json={"translations": texts, "license": "CC BY 4.0"},
        headers={**source_token, "If-Match": info.headers["ETag"]},
    )
    assert described.status_code == 200, described.get_json()
    urls = read_urls(client, source_token, media)
    expected = snapshot(client, urls, source_token)
    files = files_of(client, source_token, media)
    assert len(files) == 1 + 30 + 24  # the demo's PDF, portraits, reports' PDFs
    assert sum(status == 301 for status, _h, _b in expected.values()) >= 3
    assert sum(status == 200 for status, _h, _b in expected.values()) > 150

    exported = cli(app, "export", tmp_path / "export", "--with-revisions", "--json")

    assert exported.exit_code == 0, exported.output
    manifest = json.loads(exported.stdout)
    assert manifest["files"]["news.jsonl"]["count"] == 124  # demo 1 + pages 3 + generated 120
    assert manifest["media"]["count"] == len(files)
    tokens = (tmp_path / "export" / "tokens.jsonl").read_text()
    assert "admin-1" in tokens
    assert "token_hash" not in tokens and "ifm_" not in tokens

    sqlite = target_app(f"sqlite:///{tmp_path / 'target.sqlite3'}", tmp_path / "media-sqlite")
    round_trip(sqlite, tmp_path / "export", expected, urls, files)
    for url in scratch_postgres():
        if url is None:
            pytest.skip(
                "PostgreSQL at 127.0.0.1:5432 not reachable: the PostgreSQL target is skipped"
            )
        postgres = target_app(url, tmp_path / "media-postgres")
        round_trip(postgres, tmp_path / "export", expected, urls, files)


def test_import_into_a_database_with_content_needs_merge_which_remaps_ids(
    app: Flask, client: FlaskClient, tmp_path: Path
) -> None:
    with app.app_context():
        load_demo()
    assert cli(app, "export", tmp_path / "export").exit_code == 0
    before = client.get("/api/v1/news?lang=all").get_json()["items"]

    refused = cli(app, "import", tmp_path / "export")
    merged = cli(app, "import", tmp_path / "export", "--merge", "--json")

    assert refused.exit_code == 1
    assert "the database is not empty (7 items, 1 files, 0 redirects)" in refused.output
    assert merged.exit_code == 0, merged.output
    summary = json.loads(merged.stdout)
    news_map = summary["remapped"]["news"]
    people_map = summary["remapped"]["people"]
    (old_news,) = before
    new_id = news_map[str(old_news["id"])]
    assert new_id != old_news["id"]
    copy = client.get(f"/api/v1/news/{new_id}?lang=all").get_json()
    assert copy["people"] == [people_map[str(p)] for p in old_news["people"]]
    assert copy["translations"]["de"]["title"] == old_news["translations"]["de"]["title"]
    assert copy["translations"]["de"]["slug"] == old_news["translations"]["de"]["slug"] + "-2"
    slug = old_news["translations"]["de"]["slug"]
    renamed = {"resource": "news", "id": new_id, "lang": "de", "from": slug, "to": f"{slug}-2"}
    assert renamed in summary["renamed_slugs"]
    assert client.get(f"/api/v1/news/{old_news['id']}?lang=all").get_json() == old_news
    text = cli(app, "import", tmp_path / "export", "--merge")
    assert f"remapped news {old_news['id']} -> " in text.stdout


def test_export_refuses_a_directory_with_files_and_import_a_changed_export(
    app: Flask, tmp_path: Path
) -> None:
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    assert "is not an empty directory" in cli(app, "export", tmp_path / "full").output
    assert cli(app, "export", tmp_path / "export").exit_code == 0
    with (tmp_path / "export" / "news.jsonl").open("a") as handle:
        handle.write("{}\n")

    result = cli(app, "import", tmp_path / "export")

    assert result.exit_code == 1
    assert "news.jsonl: missing or changed since the export" in result.output


def test_export_reads_one_snapshot_while_others_write(app: Flask, database_url: str) -> None:
    """What another connection commits during an export is not half in it."""
    from sqlalchemy import create_engine, text

    from ifm_api.exchange.snapshot import _snapshot

    other = create_engine(database_url)
    version = text("SELECT version FROM content_state WHERE id = 1")
    with app.app_context():
        with _snapshot():
            before = db.session().scalar(version)
            with other.begin() as connection:
                connection.execute(text("UPDATE content_state SET version = version + 1"))
            assert db.session().scalar(version) == before
        assert db.session().scalar(version) == before + 1
        db.session().close()
    other.dispose()
