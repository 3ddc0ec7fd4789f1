"""The cost of a write with the read model: a plain edit + publish of one news item, a hard
delete of one, and the rename + publish of a person whom EMBEDS news items embed (all of them
re-rendered in the same transaction). Runs on a copy of a seeded SQLite database
(bench/run/db-N.sqlite3).

    .venv/bin/python bench/write_cost.py 1000 [EMBEDS=500]   # EMBEDS=0: no rename

The person is the one most news items embed of those at most EMBEDS do (a new published
person when every one has more: the seeded people each have thousands); when fewer than
EMBEDS do, more published news items are linked to them first (link rows written directly,
those items' read model refreshed: set-up, not measured), so the rename re-renders exactly
EMBEDS items.
"""

from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from ifm_api import create_app
from ifm_api.config import load_settings
from ifm_api.core import db
from ifm_api.core.content import REGISTRY
from ifm_api.core.editing import create_item, delete_item, get_entity, publish_item, update_item
from ifm_api.core.models import DRAFT, LIVE, ContentEntity, ContentLink
from ifm_api.core.read import marks
from ifm_api.core.read.build import refresh_items
from ifm_api.core.read.model import PublicItem
from ifm_api.serving import freeze_startup_objects

RUN = Path(__file__).resolve().parent / "run"


def edit_and_publish(resource: str, entity_id: int, data: dict) -> float:
    spec = REGISTRY[resource]
    started = time.perf_counter()
    with db.transaction():
        entity = get_entity(spec, entity_id)
        update_item(spec, entity, data, expected_version=entity.version, author="bench")
        publish_item(
            spec,
            entity,
            languages=None,
            publish_at=None,
            expected_version=entity.version,
            author="bench",
        )
    return time.perf_counter() - started


def hard_delete(resource: str, entity_id: int) -> float:
    spec = REGISTRY[resource]
    started = time.perf_counter()
    with db.transaction():
        entity = get_entity(spec, entity_id)
        delete_item(spec, entity, expected_version=entity.version, author="bench", hard=True)
    return time.perf_counter() - started


def link_more(person: int, embeds: int) -> int:
    """Link further published news items to ``person`` until ``embeds`` of them do."""
    session = db.session()
    linked = select(ContentLink.source_id).where(
        ContentLink.relation == "people", ContentLink.target_id == person
    )
    wanted = embeds - session.scalar(
        select(func.count(func.distinct(ContentLink.source_id))).where(
            ContentLink.relation == "people", ContentLink.target_id == person
        )
    )
    more = list(
        session.scalars(
            select(ContentEntity.id)
            .where(ContentEntity.type == "news", ContentEntity.id.not_in(linked))
            .order_by(ContentEntity.id)
            .limit(wanted)
        )
    )
    with db.transaction() as tx:
        tx.add_all(
            ContentLink(
                source_id=news, source_state=state, relation="people", position=9, target_id=person
            )
            for news in more
            for state in (LIVE, DRAFT)
        )
        tx.flush()
        refresh_items(tx, {"news": set(more)})
    return embeds - wanted + len(more)


def the_person(embeds: int) -> tuple[int, int]:
    """(id, how many news items embed them) of the person most news items embed of those at
    most ``embeds`` do; a new published person (embedded by none) when there is none."""
    embedders = func.count(func.distinct(ContentLink.source_id))
    found = (
        db.session()
        .execute(
            select(ContentLink.target_id, embedders)
            .join(ContentEntity, ContentEntity.id == ContentLink.source_id)
            .where(ContentLink.source_state == LIVE, ContentLink.relation == "people")
            .group_by(ContentLink.target_id)
            .having(embedders <= embeds)
            .order_by(embedders.desc())
            .limit(1)
        )
        .first()
    )
    if found is not None:
        return found[0], found[1]
    spec = REGISTRY["people"]
    with db.transaction():
        data = {
            "given_name": "Bench",
            "family_name": "Person",
            "translations": {"de": {"position": "Bench"}},
        }
        entity = create_item(spec, data, author="bench")
        publish_item(
            spec,
            entity,
            languages=None,
            publish_at=None,
            expected_version=entity.version,
            author="bench",
        )
    return entity.id, 0


def _timed_marks() -> list[float]:
    """Per write from now on: the seconds the keyset marks took (``core.read.marks``)."""
    spent: list[float] = []

    def timed(name: str, original: Any) -> Any:
        def run(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                took = time.perf_counter() - started
                if name == "basis":
                    spent.append(took)
                else:
                    spent[-1] += took

        return run

    for name in ("basis", "maintain"):
        setattr(marks, name, timed(name, getattr(marks, name)))
    return spent


def main(n: int, embeds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "db.sqlite3"
        shutil.copy(RUN / f"db-{n}.sqlite3", copy)
        app = create_app(
            load_settings({"DATABASE_URL": f"sqlite:///{copy}", "IFM_MEDIA_ROOT": tmp})
        )
        freeze_startup_objects()  # as the servers do (wsgi.py, ifm-api serve)
        with app.app_context():
            session = db.session()
            news_ids = list(
                session.scalars(
                    select(ContentEntity.id).where(ContentEntity.type == "news").limit(10)
                )
            )
            news_ids, doomed = news_ids[:7], news_ids[7:]
            times = [
                edit_and_publish(
                    "news", entity_id, {"translations": {"de": {"teaser": f"Neu {i}"}}}
                )
                for i, entity_id in enumerate(news_ids)
            ]
            median = statistics.median(times) * 1000
            print(
                f"N={n} edit+publish of one news item: median {median:.0f} ms "
                f"(min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f}, {len(times)} writes)"
            )
            spent = _timed_marks()
            moved = [
                edit_and_publish(
                    "news", entity_id, {"published_at": datetime(2030 + i, 1, 1, 9, tzinfo=UTC)}
                )
                for i, entity_id in enumerate(news_ids)
            ]
            print(
                f"N={n} edit+publish of one news item that moves it to the list's head: median "
                f"{statistics.median(moved) * 1000:.0f} ms, of it the marks "
                f"{statistics.median(spent) * 1000:.1f} ms ({len(moved)} writes)"
            )
            deleted = [hard_delete("news", entity_id) for entity_id in doomed]
            print(
                f"N={n} hard delete of one news item: median "
                f"{statistics.median(deleted) * 1000:.0f} ms ({len(deleted)} writes)"
            )
            if not embeds:  # EMBEDS=0: the single-item writes only
                return
            person, embedded = the_person(embeds)
            if embedded < embeds:
                embedded = link_more(person, embeds)
            took = edit_and_publish("people", person, {"family_name": "Umbenannt"})
            session.close()
            shown = db.session().scalar(
                select(func.count(func.distinct(PublicItem.entity_id))).where(
                    PublicItem.type == "news", PublicItem.doc.contains("Umbenannt")
                )
            )
            print(
                f"N={n} rename + publish of a person {embedded} news items embed: {took:.2f} s, "
                f"{shown} news items show the new name when it returns"
            )


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 500)
