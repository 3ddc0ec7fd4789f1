"""The published read model: every public read equals a render from the content tables.

The reference is the content read path (``core.content``), which the read model is built
with: after every write of a long random sequence, ``readmodel check`` finds no difference
and the public reads over HTTP equal what the reference renders from the content tables.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import orjson
import pytest
from factories import edit_and_publish, news, person, project, report, research_area
from flask import Flask
from flask.testing import FlaskClient

from ifm_api.cli import main
from ifm_api.core import db
from ifm_api.core.content import REGISTRY, ReadContext, get_item, list_items
from ifm_api.core.db import utcnow
from ifm_api.core.editing import (
    create_item,
    delete_item,
    get_entity,
    list_revisions,
    publish_item,
    restore_revision,
    unpublish_item,
    update_item,
)
from ifm_api.core.errors import ApiError
from ifm_api.core.i18n import ALL
from ifm_api.core.read import marks
from ifm_api.core.read.build import check

API_ROOT = "http://localhost/api/v1"
LANGS = ("de", "en")


def problems(app: Flask) -> list[str]:
    with app.app_context():
        return check(db.session())


# --- the reference: the content read path, straight from the content tables ---------------


def reference_context(app: Flask, lang: str, **kwargs: Any) -> ReadContext:
    settings = app.config["IFM"]
    return ReadContext(
        lang=lang,
        fallback=kwargs.pop("fallback", True),
        now=utcnow(),
        api_root=API_ROOT,
        site_url=settings.site_url,
        url_templates=settings.url_templates,
        **kwargs,
    )


def jsonable(value: Any) -> Any:
    return orjson.loads(orjson.dumps(value))


def reference_list(
    app: Flask, resource: str, lang: str, *, page_size: int = 100, **kwargs: Any
) -> dict[str, Any]:
    spec = REGISTRY[resource]
    filters = kwargs.pop("filters", {})
    sort = kwargs.pop("sort", None)
    with app.app_context():
        ctx = reference_context(app, lang, **kwargs)
        args = {**filters, "today": ctx.now.date()}
        items, total = list_items(spec, ctx, page=1, page_size=page_size, sort=sort, filters=args)
    return {"items": jsonable(items), "total": total}


def reference_detail(app: Flask, resource: str, entity_id: int, lang: str, **kwargs: Any) -> Any:
    with app.app_context():
        return jsonable(
            get_item(REGISTRY[resource], reference_context(app, lang, **kwargs), entity_id)
        )


def query(**params: Any) -> str:
    return "&".join(f"{key}={value}" for key, value in params.items() if value is not None)


def assert_list_matches(
    client: FlaskClient, app: Flask, resource: str, lang: str, **kwargs: Any
) -> None:
    include = ",".join(sorted(kwargs.get("include", ())))
    fallback = kwargs.get("fallback", True)
    params = {
        "lang": lang,
        "page_size": 100,
        "include": include or None,
        "fallback": None if fallback else "false",
        "sort": kwargs.get("sort"),
        **kwargs.get("filters", {}),
    }
    response = client.get(f"/api/v1/{resource.replace('_', '-')}?{query(**params)}")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    expected = reference_list(app, resource, lang, **kwargs)
    assert body["meta"]["total"] == expected["total"], (resource, lang, kwargs)
    assert body["items"] == expected["items"], (resource, lang, kwargs)


def assert_detail_matches(
    client: FlaskClient, app: Flask, resource: str, entity_id: int, lang: str, **kwargs: Any
) -> None:
    include = ",".join(sorted(kwargs.get("include", ())))
    fallback = kwargs.get("fallback", True)
    params = {"lang": lang, "include": include or None, "fallback": None if fallback else "false"}
    response = client.get(f"/api/v1/{resource.replace('_', '-')}/{entity_id}?{query(**params)}")
    expected = reference_detail(app, resource, entity_id, lang, **kwargs)
    if expected is None:
        assert response.status_code == 404, (resource, entity_id, lang, response.get_json())
        return
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == expected
    if lang != ALL:
        assert response.headers["Content-Language"] == expected["lang"]


INCLUDES = {
    "news": {"people", "projects", "reports"},
    "reports": {"authors", "project"},
    "projects": {"members", "research_area"},
    "people": {"research_area"},
    "research_areas": set(),
}
FILTERS = {
    "news": lambda ids: [{"tag": "Tag1"}, {"person": ids["people"][0]}, {"year": 2020}],
    "reports": lambda ids: [{"person": ids["people"][0]}, {"type": "working_paper"}],
    "projects": lambda ids: [{"status": "ongoing"}, {"person": ids["people"][0]}, {"year": 2019}],
    "people": lambda ids: [{"status": "alumni"}, {"research_area": ids["research_areas"][0]}],
    "research_areas": lambda ids: [],
}
SORTS = {
    "news": ["title", "published_at"],
    "reports": ["-title", "publication_date"],
    "projects": ["-end_date", "title"],
    "people": ["-family_name"],
    "research_areas": ["name"],
}


def assert_reads_match(client: FlaskClient, app: Flask, ids: dict[str, list[int]]) -> None:
    for resource in REGISTRY:
        for lang in (*LANGS, ALL):
            assert_list_matches(client, app, resource, lang)
        assert_list_matches(client, app, resource, "en", fallback=False)
        if INCLUDES[resource]:
            assert_list_matches(client, app, resource, "en", include=INCLUDES[resource])
        for filters in FILTERS[resource](ids) if ids["people"] and ids["research_areas"] else []:
            assert_list_matches(client, app, resource, "de", filters=filters)
        for sort in SORTS[resource]:
            assert_list_matches(client, app, resource, "en", sort=sort)
        for entity_id in ids[resource]:
            assert_detail_matches(client, app, resource, entity_id, "en")
            assert_detail_matches(
                client, app, resource, entity_id, "de", include=INCLUDES[resource]
            )
            assert_detail_matches(client, app, resource, entity_id, "en", fallback=False)


# --- random writes -----------------------------------------------------------------------


class Writer:
    """Random writes through the editing services, each in its own transaction."""

    def __init__(self, app: Flask, seed: int) -> None:
        self.app = app
        self.rng = random.Random(seed)
        self.ids: dict[str, list[int]] = {key: [] for key in REGISTRY}
        self.counter = 0

    def pick(self, resource: str) -> int | None:
        return self.rng.choice(self.ids[resource]) if self.ids[resource] else None

    def some(self, resource: str, most: int = 2) -> list[int]:
        pool = self.ids[resource]
        return self.rng.sample(pool, min(len(pool), self.rng.randint(0, most)))

    def text(self, label: str, lang: str) -> dict[str, Any]:
        self.counter += 1
        values: dict[str, Any] = {
            label: f"{lang.upper()} {self.rng.choice('AÄBOÖZß')}{self.counter}"
        }
        if label == "title" and self.rng.random() < 0.7:
            values["teaser" if self.rng.random() < 0.5 else "summary"] = None
        return values

    def body(self, resource: str) -> dict[str, Any]:
        rng = self.rng
        langs = rng.choice([("de",), ("en",), ("de", "en"), ("de", "en")])
        if resource == "people":
            translations = {lang: {"position": f"Position {lang} {self.counter}"} for lang in langs}
            self.counter += 1
            return {
                "given_name": rng.choice(["Anna", "Jörg", "Émile"]),
                "family_name": rng.choice(["Müller", "von Alt", "Zander", "Ober"])
                + str(self.counter),
                "is_current": rng.random() < 0.7,
                "research_area": self.pick("research_areas"),
                "translations": translations,
            }
        label = "name" if resource == "research_areas" else "title"
        translations = {lang: self.text(label, lang) for lang in langs}
        for values in translations.values():
            values.pop("summary", None) if resource != "projects" else values.pop("teaser", None)
            if resource not in ("news",):
                values.pop("teaser", None)
        if resource == "news":
            return {
                "published_at": datetime(
                    2019 + rng.randint(0, 2), rng.randint(1, 12), 1, 23, 30, tzinfo=UTC
                ),
                "people": self.some("people"),
                "projects": self.some("projects"),
                "reports": self.some("reports"),
                "tags": rng.sample(["Tag1", "tag2", "Ärger"], rng.randint(0, 2)),
                "translations": translations,
            }
        if resource == "reports":
            return {
                "publication_date": rng.choice([None, date(2019, 5, 1), date(2021, 1, 1)]),
                "report_type": rng.choice(["short_report", "working_paper"]),
                "authors": [{"person": p} for p in self.some("people")] + [{"name": "Extern"}],
                "project": self.pick("projects"),
                "translations": translations,
            }
        if resource == "projects":
            today = utcnow().date()
            start = rng.choice([None, date(2018, 1, 1), today, today + timedelta(days=30)])
            end = rng.choice([None, today - timedelta(days=1), today + timedelta(days=60)])
            if start and end and end < start:
                end = None
            return {
                "start_date": start,
                "end_date": end,
                "research_area": self.pick("research_areas"),
                "members": [
                    {"person": p, "role": rng.choice(["lead", "member"])}
                    for p in self.some("people")
                ],
                "translations": translations,
            }
        return {"sort_order": rng.randint(0, 3), "translations": translations}

    def run(self, operation: Callable[[], None]) -> None:
        try:
            with self.app.app_context(), db.transaction():
                operation()
        except ApiError:
            pass  # a refused write (e.g. nothing to publish) changes nothing

    def step(self) -> str:
        rng = self.rng
        resource = rng.choice(list(REGISTRY))
        spec = REGISTRY[resource]
        existing = self.pick(resource)
        actions = [
            "edit", "publish", "publish_one", "schedule", "unpublish_one", "unpublish", "slug",
            "relations", "soft_delete", "hard_delete", "restore",
        ]  # fmt: skip
        action = rng.choice(actions) if existing and rng.random() > 0.35 else "create"

        def entity() -> Any:
            return get_entity(spec, existing)

        def publish(languages: list[str] | None = None, at: datetime | None = None) -> None:
            item = entity()
            publish_item(
                spec,
                item,
                languages=languages,
                publish_at=at,
                expected_version=item.version,
                author="t",
            )

        def edit(data: dict[str, Any]) -> None:
            item = entity()
            update_item(spec, item, data, expected_version=item.version, author="t")

        if action == "create":

            def create() -> None:
                item = create_item(spec, self.body(resource), author="t")
                self.ids[resource].append(item.id)
                if rng.random() < 0.8:
                    publish_item(
                        spec,
                        item,
                        languages=None,
                        publish_at=None,
                        expected_version=item.version,
                        author="t",
                    )

            self.run(create)
        elif action == "edit":
            data = self.body(resource)
            self.run(lambda: (edit({"translations": data["translations"]}), publish()))
        elif action == "publish":
            self.run(publish)
        elif action == "publish_one":
            self.run(lambda: publish([rng.choice(LANGS)]))
        elif action == "schedule":
            self.run(
                lambda: publish([rng.choice(LANGS)], utcnow() + timedelta(days=rng.randint(1, 3)))
            )
        elif action == "unpublish_one":
            self.run(
                lambda: unpublish_item(
                    spec,
                    entity(),
                    languages=[rng.choice(LANGS)],
                    expected_version=entity().version,
                    author="t",
                )
            )
        elif action == "unpublish":
            self.run(
                lambda: unpublish_item(
                    spec, entity(), languages=None, expected_version=entity().version, author="t"
                )
            )
        elif action == "slug":
            lang = rng.choice(LANGS)
            self.counter += 1
            self.run(
                lambda: (edit({"translations": {lang: {"slug": f"neu-{self.counter}"}}}), publish())
            )
        elif action == "relations":
            data = {
                key: value for key, value in self.body(resource).items() if key != "translations"
            }
            self.run(lambda: (edit(data), publish()))
        elif action in ("soft_delete", "hard_delete"):
            hard = action == "hard_delete"
            self.run(
                lambda: delete_item(
                    spec, entity(), expected_version=entity().version, author="t", hard=hard
                )
            )
            self.ids[resource].remove(existing)
        elif action == "restore":

            def restore() -> None:
                item = entity()
                revisions = list_revisions(item)
                number = rng.choice(revisions).number
                restore_revision(spec, item, number, expected_version=item.version, author="t")
                publish_item(
                    spec,
                    item,
                    languages=None,
                    publish_at=None,
                    expected_version=item.version,
                    author="t",
                )

            self.run(restore)
        return f"{action} {resource} {existing}"


def assert_pages_add_up(client: FlaskClient) -> None:
    """Every page of each default order is the slice of the whole list (deep pages start at
    keyset marks, ``core.read.marks``)."""
    for resource in REGISTRY:
        for lang, fallback in (("de", True), ("en", False), (ALL, True)):
            base = f"/api/v1/{resource.replace('_', '-')}?lang={lang}"
            base += "" if fallback else "&fallback=false"
            whole = [item["id"] for item in client.get(f"{base}&page_size=100").get_json()["items"]]
            paged = [
                item["id"]
                for page in range(1, len(whole) + 2)
                for item in client.get(f"{base}&page_size=1&page={page}").get_json()["items"]
            ]
            assert paged == whole, (resource, lang, fallback)


def test_random_writes_keep_every_public_read_equal_to_the_reference(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(marks, "EVERY", 1)  # marks on lists of a few items: every row
    writer = Writer(app, seed=20261201)
    for number in range(45):
        done = writer.step()
        assert problems(app) == [], f"step {number}: {done}"
        if number % 15 == 14:
            assert_reads_match(client, app, writer.ids)
            assert_pages_add_up(client)
    assert sum(len(ids) for ids in writer.ids.values()) >= 8


# --- embedding, scheduling ---------------------------------------------------------------


def test_person_rename_shows_in_every_item_that_embeds_them(
    app: Flask, client: FlaskClient, make_item
):
    anna = person(make_item, "Anna", "Alt")
    project_id = project(make_item, members=[{"person": anna, "role": "lead"}])
    report_id = report(make_item, authors=[{"person": anna}], project=project_id)
    news_ids = [
        news(make_item, de=f"Nachricht {n}", people=[anna], reports=[report_id]) for n in range(3)
    ]
    edit_and_publish(app, "people", anna, {"family_name": "Neu"})
    for news_id in news_ids:
        body = client.get(f"/api/v1/news/{news_id}").get_json()
        assert [p["name"] for p in body["people"]] == ["Anna Neu"]
        included = client.get(f"/api/v1/news/{news_id}?include=people").get_json()
        assert included["people"][0]["family_name"] == "Neu"
    assert client.get(f"/api/v1/reports/{report_id}").get_json()["authors"][0]["name"] == "Anna Neu"
    members = client.get(f"/api/v1/projects/{project_id}").get_json()["members"]
    assert members[0]["person"]["name"] == "Anna Neu"
    listed = client.get(f"/api/v1/news?person={anna}").get_json()
    assert {p["name"] for item in listed["items"] for p in item["people"]} == {"Anna Neu"}
    feed = client.get("/feeds/reports.json").get_json()
    assert feed["items"][0]["authors"] == [{"name": "Anna Neu"}, {"name": "Extern"}] or feed[
        "items"
    ][0]["authors"] == [{"name": "Anna Neu"}]
    assert problems(app) == []


def test_a_rename_writes_the_read_model_rows_of_its_dependants_in_one_batch(
    app: Flask, make_item, count_queries
):
    """However many items embed a person, their new read-model rows are one INSERT (SQLite
    included, where ordered RETURNING would mean one INSERT per row)."""

    def inserts_for_rename(embedding: int, family_name: str) -> int:
        someone = person(make_item, "Berta", family_name)
        for n in range(embedding):
            news(make_item, de=f"{family_name} {n}", people=[someone])
        with count_queries() as counter:
            edit_and_publish(app, "people", someone, {"family_name": f"{family_name} neu"})
        return sum(s.startswith("INSERT INTO public_items ") for s in counter.statements)

    assert inserts_for_rename(2, "Zwei") == inserts_for_rename(7, "Sieben")
    assert problems(app) == []


def test_every_page_of_every_sort_is_the_slice_of_the_whole_list(client: FlaskClient, make_item):
    """Pages past the middle are read from the far end of the list (in the opposite order,
    NULLs included): page by page they still add up to the whole list, ties included."""
    day = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
    for n in range(7):  # ties on the date and on the title
        news(
            make_item,
            de=f"Titel {n % 3}",
            en=f"Title {n % 2}",
            published_at=day + (n // 2) * timedelta(days=1),
        )
    for n, end in enumerate([None, date(2020, 1, 1), None, date(2022, 5, 1), date(2020, 1, 1)]):
        project(make_item, de=f"Projekt {n % 2}", start_date=date(2018, n + 1, 1), end_date=end)
    for n in range(5):
        report(make_item, de=f"Bericht {n}", publication_date=date(2021, 1, 1 + n % 2))
    for resource, sorts in {
        "news": ["-published_at", "published_at", "title", "-title"],
        "projects": ["-start_date", "start_date", "-end_date", "end_date", "title"],
        "reports": ["-publication_date", "publication_date", "title"],
    }.items():
        for lang in ("de", "en"):
            for sort in sorts:
                base = f"/api/v1/{resource}?lang={lang}&sort={sort}"
                whole = [
                    item["id"] for item in client.get(f"{base}&page_size=100").get_json()["items"]
                ]
                for size in (1, 2, 3):
                    pages = -(-len(whole) // size)
                    paged = [
                        item["id"]
                        for page in range(1, pages + 1)
                        for item in client.get(f"{base}&page_size={size}&page={page}").get_json()[
                            "items"
                        ]
                    ]
                    assert paged == whole, (resource, lang, sort, size)


def test_scheduled_item_appears_on_time_with_no_write(app: Flask, client: FlaskClient, make_item):
    news(make_item, de="Schon da")
    soon = utcnow() + timedelta(seconds=5)  # room for the writes below on a busy machine
    scheduled = news(make_item, de="Gleich da", publish_at=soon)
    anna = person(make_item, "Anna", "Bald", publish_at=soon)
    linking = news(make_item, de="Mit Anna", people=[anna])

    def state() -> tuple[int, bool, int, list[str]]:
        listed = client.get("/api/v1/news?lang=de").get_json()["meta"]["total"]
        strict = client.get("/api/v1/news?lang=de&fallback=false").get_json()["meta"]["total"]
        assert strict == listed
        detail = client.get(f"/api/v1/news/{scheduled}").status_code == 200
        people = len(client.get(f"/api/v1/news/{linking}").get_json()["people"])
        feed = client.get("/feeds/news.json?lang=de").get_json()
        return listed, detail, people, sorted(item["title"] for item in feed["items"])

    assert state() == (2, False, 0, ["Mit Anna", "Schon da"])
    time.sleep(max(0.0, (soon - utcnow()).total_seconds()) + 0.1)
    assert state() == (3, True, 1, ["Gleich da", "Mit Anna", "Schon da"])
    assert problems(app) == []


# --- the command line -----------------------------------------------------------------------


def test_readmodel_check_finds_a_difference_and_rebuild_repairs_it(
    app: Flask, client: FlaskClient, make_item
):
    item = news(make_item, de="Richtig")
    runner = app.test_cli_runner()
    assert runner.invoke(main, ["readmodel", "check"]).exit_code == 0
    with app.app_context(), db.transaction() as session:
        from sqlalchemy import update

        from ifm_api.core.read.model import PublicItem

        session.execute(
            update(PublicItem).where(PublicItem.entity_id == item).values(doc='{"title":"Falsch"}')
        )
    assert client.get(f"/api/v1/news/{item}").get_json() == {"title": "Falsch"}
    result = runner.invoke(main, ["readmodel", "check"])
    assert result.exit_code == 1
    assert f"item {item}: missing" in result.output and "Falsch" in result.output
    result = runner.invoke(main, ["readmodel", "rebuild"])
    assert result.exit_code == 0, result.output
    assert runner.invoke(main, ["readmodel", "check"]).exit_code == 0
    assert client.get(f"/api/v1/news/{item}").get_json()["title"] == "Richtig"


def test_feeds_serve_the_entries_stored_at_write_time_and_check_compares_them(
    app: Flask, client: FlaskClient, make_item
):
    import feedparser
    from sqlalchemy import select, update

    from ifm_api.core.feeds import pack_entry, unpack_entry
    from ifm_api.core.read.model import PublicFeedEntry, PublicItem

    item = news(make_item, de="Gespeichert", en="Stored")
    runner = app.test_cli_runner()
    with app.app_context(), db.transaction() as session:
        rows = session.execute(
            select(PublicFeedEntry.item_id, PublicFeedEntry.rss, PublicItem.lang)
            .join(PublicItem, PublicItem.id == PublicFeedEntry.item_id)
            .where(PublicItem.entity_id == item)
        ).all()
        assert sorted(lang for _id, _rss, lang in rows) == ["de", "en"]  # own languages only
        german = next((row_id, rss) for row_id, rss, lang in rows if lang == "de")
        tampered = unpack_entry(german[1]).replace("Gespeichert", "Manipuliert")
        session.execute(
            update(PublicFeedEntry)
            .where(PublicFeedEntry.item_id == german[0])
            .values(rss=pack_entry(tampered))
        )
    feed = feedparser.parse(client.get("/feeds/news.rss?lang=de").data)
    assert [entry.title for entry in feed.entries] == ["Manipuliert"]  # read as stored
    result = runner.invoke(main, ["readmodel", "check"])
    assert result.exit_code == 1
    assert f"item {item}: stale feed entry (de)" in result.output
    assert runner.invoke(main, ["readmodel", "rebuild"]).exit_code == 0
    assert runner.invoke(main, ["readmodel", "check"]).exit_code == 0
    feed = feedparser.parse(client.get("/feeds/news.rss?lang=de").data)
    assert [entry.title for entry in feed.entries] == ["Gespeichert"]


@pytest.mark.parametrize("resource", ["people", "research_areas"])
def test_hard_delete_of_a_linked_item_updates_the_items_showing_it(
    app: Flask, client: FlaskClient, make_item, token, resource: str
):
    area = research_area(make_item)
    anna = person(make_item, research_area=area)
    target = anna if resource == "people" else area
    news_id = news(make_item, people=[anna])
    path = f"/api/v1/{resource.replace('_', '-')}/{target}"
    etag = client.get(f"{path}?lang=all&version=draft", headers=token("admin")).headers["ETag"]
    response = client.delete(f"{path}?hard=true", headers={**token("admin"), "If-Match": etag})
    assert response.status_code == 204
    assert problems(app) == []
    if resource == "people":
        assert client.get(f"/api/v1/news/{news_id}").get_json()["people"] == []
    else:
        assert client.get(f"/api/v1/people/{anna}").get_json()["research_area"] is None


# --- migration -------------------------------------------------------------------------------


@pytest.fixture
def other_database(database_url: str, tmp_path: Any) -> Any:
    """A database of its own (the session's is shared by every test)."""
    if not database_url.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    name = f"{url.database}_migration"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_upgrade_from_the_previous_head_builds_the_read_model(other_database: str, media_root: Any):
    from alembic import command

    from ifm_api import create_app
    from ifm_api.config import load_settings
    from ifm_api.migrate import alembic_config, upgrade

    upgrade(other_database)
    other = create_app(
        load_settings({"DATABASE_URL": other_database, "IFM_MEDIA_ROOT": str(media_root)})
    )

    def make(resource: str, data: dict[str, Any], **kwargs: Any) -> int:
        with other.app_context(), db.transaction():
            entity = create_item(REGISTRY[resource], data, author="t")
            publish_item(
                REGISTRY[resource],
                entity,
                languages=None,
                publish_at=kwargs.get("publish_at"),
                expected_version=entity.version,
                author="t",
            )
            return entity.id

    anna = person(make, "Anna", "Alt")
    item = news(make, de="Vorher da", en="There before", people=[anna])
    news(make, de="Später", publish_at=utcnow() + timedelta(days=1))
    with other.app_context():
        db.dispose(other)
    command.downgrade(alembic_config(other_database), "0005")  # the previous head, with content

    runner = other.test_cli_runner()
    result = runner.invoke(main, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "read model built" in result.output
    assert runner.invoke(main, ["readmodel", "check"]).exit_code == 0
    client = other.test_client()
    body = client.get(f"/api/v1/news/{item}?lang=en").get_json()
    assert (body["title"], body["people"][0]["name"]) == ("There before", "Anna Alt")
    assert client.get("/api/v1/news").get_json()["meta"]["total"] == 1
    again = runner.invoke(main, ["db", "upgrade"])
    assert again.exit_code == 0 and "read model built" not in again.output
    with other.app_context():
        db.dispose(other)


# --- CORS ------------------------------------------------------------------------------------


def test_cors_headers_on_every_one_of_ten_identical_requests(
    database_url: str, media_root: Any, make_item
):
    from ifm_api import create_app
    from ifm_api.config import load_settings

    cors_app = create_app(
        load_settings(
            {
                "DATABASE_URL": database_url,
                "IFM_MEDIA_ROOT": str(media_root),
                "IFM_CORS_ORIGINS": "https://front.example",
            }
        )
    )
    item = news(make_item, de="Für das Frontend")
    client = cors_app.test_client()
    for path in ("/api/v1/news?lang=de", f"/api/v1/news/{item}", "/feeds/news.rss"):
        for _ in range(10):
            response = client.get(path, headers={"Origin": "https://front.example"})
            assert response.status_code == 200
            assert response.headers["Access-Control-Allow-Origin"] == "https://front.example"
            assert "Origin" in ", ".join(response.headers.getlist("Vary"))
        for _ in range(3):
            response = client.get(path, headers={"Origin": "https://evil.example"})
            assert response.status_code == 200
            assert "Access-Control-Allow-Origin" not in response.headers
