"""Seed a benchmark database: N bilingual news items, 6 people and 24 reports, all published.

    .venv/bin/python bench/seed.py 1000        # prints the seeded database's URL (last line)

SQLite (default): ``bench/run/db-<N>.sqlite3``. PostgreSQL: with
``DATABASE_URL=postgresql+psycopg://user@host:5432/<name>`` the data goes into the database
``<name>_<N>`` on that server (created if missing), so every size is kept side by side. A seeded
database is reused as long as its marker (format, N, seed, schema head) and its seeded news count
match; one whose marker differs in the schema head or the read-model format only is migrated
forward (what ``ifm-api db upgrade`` does: the migrations, and the read model built again when
its format changed); ``--force`` seeds again.

The text follows the peers' Wagtail seed (``seed_news``): the same generator, word lists and
seed, titles ~80 characters, teasers ~300, bodies ~3,000 characters of ``<h2>``/``<p>`` rich
text with umlauts; 5 items a day backwards from 2025-11-01. Each item links 1-2 people and
0-1 report. The rows are what ``create_item`` + ``publish_item`` leave behind (entity, draft
and live rows, draft and live translations with slugs, draft and live links), written with
SQLAlchemy Core in batches: going through the services takes hours for 100,000 items. No
revisions are written (reads never touch them).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any

from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, func, select, text
from sqlalchemy.engine import make_url

from ifm_api.core.models import DRAFT, LIVE, ContentEntity, ContentLink
from ifm_api.core.read.model import FORMAT as READ_MODEL_FORMAT
from ifm_api.core.text import clean_html, make_slug, nfc
from ifm_api.migrate import alembic_config, upgrade
from ifm_api.news.models import NewsItem, NewsItemTranslation
from ifm_api.people.models import Person, PersonTranslation
from ifm_api.people.service import sort_key
from ifm_api.reports.models import REPORT_TYPES, Report, ReportTranslation

FORMAT = 1  # bump whenever the generated data changes: cached databases are seeded again
RUN_DIR = Path(__file__).resolve().parent / "run"
AUTHOR = "bench"
BASE_DATE = date(2025, 11, 1)
ITEMS_PER_DAY = 5
REPORT_COUNT = 24
BATCH = 1000


def _words(text: str) -> list[str]:
    return text.split()


DE_WORDS = _words(
    "Bürgerbeteiligung Stadtverwaltung Schülerinnen Förderprogramm Straßenbahn Übergangszeit "
    "Öffentlichkeit Jahresabschluss Haushaltsplan Grünfläche Universität Wissenschaftlerinnen "
    "Forschungsergebnisse Gemeinderat Beschluss Veranstaltung Klimaschutz Energiewende Ausschüsse "
    "Fußgängerzone Bürgermeisterin Zuständigkeit Überprüfung Ärztekammer Gebühren Größenordnung "
    "Maßnahmen Änderungen Prüfung Lösung Küstenschutz Hochwasser Zuschüsse Bündnis Führung "
    "Gespräche Rückmeldung Verkehrsführung Baustelle Genehmigung Stellungnahme Öffnungszeiten "
    "Ausstellung Museum Bibliothek Konzert Spielzeit Vereine Ehrenamt Jugendliche Senioren "
    "Wohnungsbau Mietpreise Nahverkehr Fahrradwege Schulhof Kindertagesstätte Gesundheitsamt "
    "Feuerwehr Polizei Landkreis Bundesland Ministerium Förderung Digitalisierung Glasfaser "
    "Breitband Rathaus Marktplatz Wochenmarkt Sommerfest Weihnachtsmarkt Haushaltsjahr Überschuss "
    "Fehlbetrag Schätzung Prognose Umfrage Mehrheit Abstimmung Antrag Anfrage Fraktion Vorsitzende "
    "Geschäftsführer Unternehmen Arbeitsplätze Ausbildung Fachkräfte Übernahme Tarifverhandlungen"
)
DE_SMALL = _words(
    "und der die das mit für über nach bei wird wurde hat sind auch noch im am zum zur "
    "vor seit gegen ohne durch außerdem zudem jedoch künftig bereits rund etwa mehr weniger "
    "neue große wichtige öffentliche zusätzliche städtische gemeinsame nächste frühere"
)
EN_WORDS = _words(
    "citizens council administration students funding tramway transition public annual budget "
    "parks university researchers results committee decision event climate energy pedestrian "
    "mayor responsibility review doctors fees measures changes inspection solution coastline "
    "flooding grants alliance leadership talks feedback traffic construction permit statement "
    "opening exhibition museum library concert season clubs volunteers young seniors housing "
    "rents transport cycling schoolyard nursery health department firefighters police district "
    "state ministry digitalisation fibre broadband townhall marketplace festival surplus deficit "
    "estimate forecast survey majority vote motion inquiry chairwoman manager companies jobs "
    "apprenticeship workers takeover negotiations"
)
EN_SMALL = _words(
    "and the a of with for about after at will was has are also still in on to before since "
    "against without through moreover however already around roughly more fewer new large "
    "important public additional municipal joint next former"
)

# (honorific, given name, family name, position de, position en): the peers' six people
PEOPLE = [
    (None, "Jürgen", "Müller", "Chefredakteur", "Editor-in-chief"),
    ("Dr.", "Käthe", "Schröder", "Redakteurin", "Editor"),
    (None, "Björn", "Weiß", "Reporter", "Reporter"),
    (None, "Sören", "Groß", "Fotograf", "Photographer"),
    ("Prof. Dr.", "Özlem", "Yılmaz", "Korrespondentin", "Correspondent"),
    (None, "Lena", "Fuchs", "Volontärin", "Trainee"),
]


class TextGen:
    """The peers' text generator (``seed_news.TextGen``), unchanged."""

    def __init__(self, rng: random.Random, words: list[str], small: list[str]) -> None:
        self.rng, self.words, self.small = rng, words, small

    def sentence(self, lo: int = 8, hi: int = 16) -> str:
        n = self.rng.randint(lo, hi)
        out = [
            self.rng.choice(self.words if self.rng.random() < 0.55 else self.small)
            for _ in range(n)
        ]
        s = " ".join(out)
        return s[0].upper() + s[1:] + "."

    def title(self, target: int = 80) -> str:
        words: list[str] = []
        while len(" ".join(words)) < target - 8:
            words.append(self.rng.choice(self.words if self.rng.random() < 0.7 else self.small))
        t = " ".join(words)
        t = t[: target + 8].rsplit(" ", 1)[0] if len(t) > target + 8 else t
        return t[0].upper() + t[1:]

    def text(self, target: int) -> str:
        out = ""
        while len(out) < target - 20:
            out = (out + " " + self.sentence()).strip()
        return out

    def body(self, target: int = 3000) -> str:
        parts, total, i = [], 0, 0
        while total < target - 150:
            if i % 3 == 0 and i:
                h = self.title(40)
                parts.append(f"<h2>{h}</h2>")
                total += len(h)
            p = self.text(self.rng.randint(350, 550))
            parts.append(f"<p>{p}</p>")
            total += len(p)
            i += 1
        return "".join(parts)


# --- where the data goes -------------------------------------------------------------------


def target_url(n: int, base_url: str | None) -> str:
    """The database for size ``n``: a cached SQLite file, or ``<name>_<n>`` on PostgreSQL."""
    if not base_url or base_url.startswith("sqlite"):
        return f"sqlite:///{RUN_DIR / f'db-{n}.sqlite3'}"
    for prefix in ("postgres://", "postgresql://"):
        if base_url.startswith(prefix):
            base_url = "postgresql+psycopg://" + base_url.removeprefix(prefix)
    url = make_url(base_url)
    return url.set(database=f"{url.database or 'ifm_bench'}_{n}").render_as_string(
        hide_password=False
    )


def marker_path(url: str) -> Path:
    parsed = make_url(url)
    if parsed.drivername.startswith("sqlite"):
        return Path(str(parsed.database)).with_suffix(".json")
    return RUN_DIR / f"pg-{parsed.host}-{parsed.port}-{parsed.database}.json"


def wanted_marker(n: int, seed: int, url: str) -> dict[str, Any]:
    heads = sorted(ScriptDirectory.from_config(alembic_config(url)).get_heads())
    return {
        "format": FORMAT,
        "read_model": READ_MODEL_FORMAT,
        "n": n,
        "seed": seed,
        "schema": heads,
    }


def is_current(url: str, marker: dict[str, Any]) -> bool:
    path = marker_path(url)
    if not path.exists() or json.loads(path.read_text()) != marker:
        return False
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            count = conn.scalar(
                select(func.count())
                .select_from(ContentEntity)
                .where(ContentEntity.type == "news", ContentEntity.created_by == AUTHOR)
            )
    except Exception:
        return False
    finally:
        engine.dispose()
    return count == marker["n"]


def _stored_versions(url: str) -> dict[str, Any]:
    """The schema head and read-model format the cached database's marker records."""
    path = marker_path(url)
    stored = json.loads(path.read_text()) if path.exists() else {}
    return {key: stored.get(key) for key in ("schema", "read_model")}


def migrate_forward(url: str, *, log: Any = print) -> None:
    """A database seeded before newer migrations or read-model formats (the same data):
    what ``ifm-api db upgrade`` does, the migrations and, when needed, the read model built
    again; then ``ANALYZE`` (PostgreSQL) as after seeding."""
    from ifm_api import create_app
    from ifm_api.config import load_settings
    from ifm_api.core import db
    from ifm_api.core.read.build import needs_build
    from ifm_api.core.read.marks import build as build_marks

    started = time.monotonic()
    upgrade(url)
    app = create_app(load_settings({"DATABASE_URL": url, "IFM_MEDIA_ROOT": str(RUN_DIR / "media")}))
    with app.app_context():
        with db.transaction() as session:
            stale = needs_build(session)
            if not stale:  # what `ifm-api db upgrade` adds: the lists' keyset marks
                build_marks(session, db.utcnow())
        db.dispose(app)
    if stale:
        build_read_model(url, log=log)
    engine = _engine(url)
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    engine.dispose()
    log(
        f"seed: migrated to {', '.join(wanted_marker(0, 0, url)['schema'])}, "
        f"{time.monotonic() - started:.0f} s"
    )


def recreate(url: str) -> None:
    """Start from nothing: delete the SQLite file, or drop and create the PG database."""
    parsed = make_url(url)
    marker_path(url).unlink(missing_ok=True)
    if parsed.drivername.startswith("sqlite"):
        path = Path(str(parsed.database))
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    server = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    name = parsed.database
    with server.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0"))
    server.dispose()


# --- generating rows -----------------------------------------------------------------------


@dataclass
class Ids:
    """Explicit primary keys, so rows can point at each other without a round trip."""

    entity: int = 0
    row: dict[str, int] | None = None

    def next_entity(self) -> int:
        self.entity += 1
        return self.entity

    def next_row(self, table: str) -> int:
        assert self.row is not None
        self.row[table] = self.row.get(table, 0) + 1
        return self.row[table]


@dataclass
class Batch:
    """Rows of every table for one batch of items, inserted table by table."""

    entities: list[dict[str, Any]]
    rows: list[dict[str, Any]]
    translations: list[dict[str, Any]]
    links: list[dict[str, Any]]


def _empty_batch() -> Batch:
    return Batch([], [], [], [])


def _add_item(
    batch: Batch,
    ids: Ids,
    *,
    entity_type: str,
    row_table: str,
    translation_table: str,
    when: datetime,
    row_values: dict[str, Any],
    translations: dict[str, dict[str, Any]],
    links: list[tuple[str, int]],
) -> int:
    """One published item: entity, draft + live row, draft + live translations and links."""
    entity_id = ids.next_entity()
    batch.entities.append(
        {
            "id": entity_id,
            "type": entity_type,
            "version": 2,  # created (1), published (2)
            "created_at": when,
            "updated_at": when,
            "created_by": AUTHOR,
            "updated_by": AUTHOR,
            "deleted_at": None,
        }
    )
    for state in (DRAFT, LIVE):
        row_pk = ids.next_row(row_table)
        batch.rows.append(
            {"pk": row_pk, "entity_id": entity_id, "state": state, "updated_at": when} | row_values
        )
        for lang, values in translations.items():
            batch.translations.append(
                {
                    "pk": ids.next_row(translation_table),
                    "row_pk": row_pk,
                    "state": state,
                    "lang": lang,
                    "visible_from": when if state == LIVE else None,
                }
                | values
            )
        positions: dict[str, int] = {}
        for relation, target in links:
            position = positions.get(relation, 0)
            positions[relation] = position + 1
            batch.links.append(
                {
                    "id": ids.next_row("content_links"),
                    "source_id": entity_id,
                    "source_state": state,
                    "relation": relation,
                    "position": position,
                    "target_id": target,
                    "name": None,
                    "role": None,
                }
            )
    return entity_id


def _insert(conn: Connection, batch: Batch, row_model: Any, translation_model: Any) -> None:
    for table, rows in (
        (ContentEntity.__table__, batch.entities),
        (row_model.__table__, batch.rows),
        (translation_model.__table__, batch.translations),
        (ContentLink.__table__, batch.links),
    ):
        if rows:
            conn.execute(table.insert(), rows)


def _rich(value: str) -> str:
    """What the write path stores for rich text: NFC, cleaned by nh3."""
    return clean_html(nfc(value)) or ""


def seed_people(conn: Connection, ids: Ids, rng: random.Random) -> list[int]:
    batch, out = _empty_batch(), []
    when = datetime(2020, 1, 6, 9, 0, tzinfo=UTC)
    de, en = TextGen(rng, DE_WORDS, DE_SMALL), TextGen(rng, EN_WORDS, EN_SMALL)
    for index, (prefix, given, family, position_de, position_en) in enumerate(PEOPLE):
        slug = make_slug(f"{given} {family}")
        out.append(
            _add_item(
                batch,
                ids,
                entity_type="person",
                row_table="people",
                translation_table="person_translations",
                when=when + timedelta(days=index),
                row_values={
                    "honorific_prefix": prefix,
                    "given_name": nfc(given),
                    "family_name": nfc(family),
                    "sort_key": sort_key(nfc(family), nfc(given)),
                    "email": f"{slug}@ifm.example",
                    "phone": f"+49 621 181-{2800 + index}",
                    "orcid": None,
                    "is_current": index != 5,
                    "portrait_id": None,
                },
                translations={
                    "de": {
                        "slug": slug,
                        "position": position_de,
                        "biography": _rich(f"<p>{de.text(400)}</p>"),
                    },
                    "en": {
                        "slug": slug,
                        "position": position_en,
                        "biography": _rich(f"<p>{en.text(400)}</p>"),
                    },
                },
                links=[],
            )
        )
    _insert(conn, batch, Person, PersonTranslation)
    return out


def seed_reports(conn: Connection, ids: Ids, rng: random.Random, people: list[int]) -> list[int]:
    batch, out = _empty_batch(), []
    de, en = TextGen(rng, DE_WORDS, DE_SMALL), TextGen(rng, EN_WORDS, EN_SMALL)
    for index in range(REPORT_COUNT):
        day = BASE_DATE - timedelta(days=30 * index + 7)
        title_de, title_en = de.title(), en.title()
        authors = rng.sample(people, rng.randint(1, 2))
        out.append(
            _add_item(
                batch,
                ids,
                entity_type="report",
                row_table="reports",
                translation_table="report_translations",
                when=datetime.combine(day, dtime(10, 0), tzinfo=UTC),
                row_values={
                    "publication_date": day,
                    "report_type": REPORT_TYPES[index % len(REPORT_TYPES)],
                    "series": "ifm-Materialien" if index % 2 else None,
                    "number": str(200 + index) if index % 2 else None,
                    "doi": None,
                    "isbn": None,
                    "external_url": None,
                },
                translations={
                    "de": {
                        "slug": f"{make_slug(title_de)[:60].rstrip('-')}-{index + 1}",
                        "title": title_de,
                        "abstract": _rich(f"<p>{de.text(600)}</p>"),
                    },
                    "en": {
                        "slug": f"{make_slug(title_en)[:60].rstrip('-')}-{index + 1}",
                        "title": title_en,
                        "abstract": _rich(f"<p>{en.text(600)}</p>"),
                    },
                },
                links=[("authors", person) for person in authors],
            )
        )
    _insert(conn, batch, Report, ReportTranslation)
    return out


def news_batches(
    n: int,
    ids: Ids,
    rng: random.Random,
    report_rng: random.Random,
    people: list[int],
    reports: list[int],
) -> Iterator[Batch]:
    """News item i is published at 08:30 + 2 h * (i % 5) on BASE_DATE - i // 5 days.

    ``rng`` draws exactly what the peers' seed draws (same text for the same seed); the
    links to reports, which the peers do not have, come from ``report_rng``.
    """
    de, en = TextGen(rng, DE_WORDS, DE_SMALL), TextGen(rng, EN_WORDS, EN_SMALL)
    batch = _empty_batch()
    for i in range(n):
        day = BASE_DATE - timedelta(days=i // ITEMS_PER_DAY)
        published = datetime.combine(day, dtime(8 + i % ITEMS_PER_DAY * 2, 30), tzinfo=UTC)
        authors = [people[a] for a in rng.sample(range(len(people)), rng.randint(1, 2))]
        report = report_rng.choice(reports) if report_rng.random() < 0.5 else None
        title_de = de.title()
        translation_de = {
            "slug": f"{make_slug(title_de)[:60].rstrip('-')}-{i + 1}",
            "title": title_de,
            "teaser": de.text(265),
            "body": _rich(de.body(3000)),
        }
        title_en = en.title()
        translation_en = {
            "slug": f"{make_slug(title_en)[:60].rstrip('-')}-{i + 1}",
            "title": title_en,
            "teaser": en.text(265),
            "body": _rich(en.body(3000)),
        }
        links = [("people", person) for person in authors]
        if report is not None:
            links.append(("reports", report))
        _add_item(
            batch,
            ids,
            entity_type="news",
            row_table="news_items",
            translation_table="news_item_translations",
            when=published,
            row_values={"published_at": published},
            translations={"de": translation_de, "en": translation_en},
            links=links,
        )
        if len(batch.entities) >= BATCH:
            yield batch
            batch = _empty_batch()
    if batch.entities:
        yield batch


def _fix_sequences(conn: Connection) -> None:
    """Explicit ids do not move PostgreSQL's sequences; later API writes would collide."""
    for table, column in (
        ("content_entities", "id"),
        ("content_links", "id"),
        ("news_items", "pk"),
        ("news_item_translations", "pk"),
        ("people", "pk"),
        ("person_translations", "pk"),
        ("reports", "pk"),
        ("report_translations", "pk"),
    ):
        conn.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
                f"COALESCE((SELECT MAX({column}) FROM {table}), 1))"
            )
        )


def _engine(url: str) -> Engine:
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _fast(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=OFF")
            cursor.close()

    return engine


def build_read_model(url: str, *, log: Any = print) -> None:
    """What ``ifm-api db upgrade`` does after a migration: the published read model of
    everything seeded (rendered by the product, with the server's default settings)."""
    from ifm_api import create_app
    from ifm_api.config import load_settings
    from ifm_api.core import db
    from ifm_api.core.read.build import rebuild

    started = time.monotonic()
    app = create_app(load_settings({"DATABASE_URL": url, "IFM_MEDIA_ROOT": str(RUN_DIR / "media")}))
    with app.app_context():
        with db.transaction() as session:
            rows = rebuild(session)
        db.dispose(app)
    log(f"seed: read model built, {rows} rows, {time.monotonic() - started:.0f} s")


def seed(n: int, seed_value: int, url: str, *, log: Any = print) -> None:
    """Fill a fresh, migrated database."""
    upgrade(url)
    rng, side_rng = random.Random(seed_value), random.Random(seed_value + 1)
    ids = Ids(row={})
    engine = _engine(url)
    started = time.monotonic()
    with engine.begin() as conn:
        people = seed_people(conn, ids, side_rng)
        reports = seed_reports(conn, ids, side_rng, people)
    done = 0
    for batch in news_batches(n, ids, rng, side_rng, people, reports):
        with engine.begin() as conn:
            _insert(conn, batch, NewsItem, NewsItemTranslation)
        done += len(batch.entities)
        if done % 10_000 == 0 or done == n:
            log(f"seed: {done}/{n} news items, {time.monotonic() - started:.0f} s")
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            _fix_sequences(conn)
    build_read_model(url, log=log)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("VACUUM ANALYZE"))  # what autovacuum does soon after a bulk load
        else:
            conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    engine.dispose()


def main(argv: list[str] | None = None) -> int:
    import os

    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("n", type=int, help="number of bilingual news items")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--force", action="store_true", help="seed again even when cached")
    args = parser.parse_args(argv)
    url = target_url(args.n, args.database_url)
    shown = make_url(url).render_as_string(hide_password=True)
    marker = wanted_marker(args.n, args.seed, url)
    if not args.force and is_current(url, marker):
        print(f"seed: {shown} holds {args.n} items already", file=sys.stderr)
    elif not args.force and is_current(url, {**marker, **_stored_versions(url)}):
        print(f"seed: {shown} holds {args.n} items, migrating it forward", file=sys.stderr)
        migrate_forward(url, log=lambda msg: print(msg, file=sys.stderr))
        marker_path(url).write_text(json.dumps(marker))
    else:
        print(f"seed: {args.n} items into {shown}", file=sys.stderr)
        started = time.monotonic()
        recreate(url)
        seed(args.n, args.seed, url, log=lambda msg: print(msg, file=sys.stderr))
        marker_path(url).parent.mkdir(parents=True, exist_ok=True)
        marker_path(url).write_text(json.dumps(marker))
        print(f"seed: done in {time.monotonic() - started:.0f} s", file=sys.stderr)
    print(url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
