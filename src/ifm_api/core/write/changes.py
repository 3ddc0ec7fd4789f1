"""The one place where a content write announces what it changed for the public.

Write services call ``public_change(spec_key, entity_id, languages)`` for every item whose
public version may have changed (publish, unpublish, delete). Just before the transaction
commits, ``core.db.transaction`` hands the collected changes to every subscriber, in the
order they subscribed: first the read model (``core.read.build``), later also the search
index, the change feed and webhooks. A subscriber writes in the same transaction, so a read
after the write's 2xx sees all of it, and a failed write leaves none of it behind.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

PENDING = "ifm.public_changes"


@dataclass
class PublicChanges:
    """What one transaction changed: per resource key, entity ids and the languages touched.

    ``languages`` holds None for "any language" (e.g. a delete or a change of untranslated
    fields).
    """

    items: dict[str, dict[int, set[str | None]]] = field(default_factory=dict)
    # What subscribers noted of items before they were removed (``removing``), per subscriber.
    notes: dict[str, list[Any]] = field(default_factory=dict)

    def add(self, key: str, entity_id: int, languages: Iterable[str] | None = None) -> None:
        langs = self.items.setdefault(key, {}).setdefault(entity_id, set())
        langs.update(languages if languages is not None else [None])

    def ids(self, key: str) -> set[int]:
        return set(self.items.get(key, {}))

    def __bool__(self) -> bool:
        return bool(self.items)


Subscriber = Callable[[Session, PublicChanges], None]
SUBSCRIBERS: list[Subscriber] = []


Remover = Callable[[Session, PublicChanges, int], None]
REMOVERS: list[Remover] = []


def on_removal(remover: Remover) -> Remover:
    """Run ``remover(session, changes, entity_id)`` just before an item is removed with every
    trace, while what a subscriber holds of it is still there to be noted in ``changes``."""
    if remover not in REMOVERS:
        REMOVERS.append(remover)
    return remover


def subscribe(subscriber: Subscriber) -> Subscriber:
    """Run ``subscriber(session, changes)`` inside every write transaction, before commit."""
    if subscriber not in SUBSCRIBERS:
        SUBSCRIBERS.append(subscriber)
    return subscriber


def pending(session: Session) -> PublicChanges:
    changes = session.info.get(PENDING)
    if changes is None:
        changes = session.info[PENDING] = PublicChanges()
    return changes


def public_change(
    session: Session, key: str, entity_id: int, languages: Iterable[str] | None = None
) -> None:
    """Announce that the public version of one item may have changed in this transaction."""
    pending(session).add(key, entity_id, languages)


def removing(session: Session, key: str, entity_id: int) -> None:
    """Announce a hard delete before it is flushed: the database cascades it to whatever
    rows subscribers keep of the item, so they note those now (``on_removal``)."""
    changes = pending(session)
    changes.add(key, entity_id)
    for remover in REMOVERS:
        remover(session, changes, entity_id)


def before_commit(session: Session) -> None:
    """Hand the transaction's changes to the subscribers (called by ``db.transaction``)."""
    changes = session.info.pop(PENDING, None)
    if not changes:
        return
    for subscriber in SUBSCRIBERS:
        subscriber(session, changes)


def discard(session: Session) -> None:
    """A rolled-back transaction changed nothing."""
    session.info.pop(PENDING, None)
