"""The change feed: written at write time from the read model's refresh, read by cursor.

After the read model renders the rows of the changed items (``core.read.build``), ``record``
compares, per item and read language, what is public now with what the feed told last
(``change_feed_items``) and appends the difference to the log. The rows' later intervals
(a scheduled publication, a project ending) become ``scheduled_changes``, which enter the
log when their time comes: at the next write, feed read or worker round, whichever is
first (no cron). Every append holds the content version's row lock until commit, so log
ids grow in commit order and a cursor (the last id seen) never skips a change that commits
later. Reads fall back like the default public reads: a language's version is its lenient
row (an item without that translation shows in its fallback language).
"""

from __future__ import annotations

import base64
import binascii
import secrets
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, delete, func, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from ifm_api.changes.models import ChangeFeedState, ChangeRecord, ScheduledChange, ToldState
from ifm_api.core import db
from ifm_api.core.cache import bump_version
from ifm_api.core.content import REGISTRY, ResourceSpec
from ifm_api.core.errors import DETAILS, ApiError
from ifm_api.core.i18n import supported_languages
from ifm_api.core.models import ContentEntity
from ifm_api.core.read import build
from ifm_api.core.read.model import API_ROOT
from ifm_api.core.read.tags import stale_tags

PAGE_SIZE = 500
CURSOR_VERSION = "c1"

DETAILS.update(
    {
        "invalid_cursor": _l(
            "The cursor %(cursor)s is not one this feed handed out. Start again with a full "
            "sync: read the lists, then follow the feed from the cursor of GET /api/v1/changes."
        ),
        "cursor_expired": _l(
            "The cursor has expired (the feed keeps changes for %(days)s days, or the database "
            "was replaced). Start again with a full sync: read the lists, then follow the feed "
            "from the cursor of GET /api/v1/changes."
        ),
    }
)


class InvalidCursor(ApiError):
    status, default_key = 400, "invalid_cursor"


class CursorExpired(ApiError):
    status, default_key = 410, "cursor_expired"


@dataclass(frozen=True)
class Version:
    """One public version of an item in one read language: ``served`` is the language it
    shows (the read language's own translation, or a fallback; None: not known)."""

    etag: str
    slug: str | None
    doc: str
    served: str | None = None
    web_url: str | None = None  # the read model's, when the row has it (not for a fallback)


@dataclass(frozen=True)
class Change:
    type: str
    entity_id: int
    lang: str
    action: str  # published | updated | unpublished | deleted
    at: datetime
    new: Version | None
    former_slug: str | None


# --- writing -------------------------------------------------------------------------------

_STATEMENTS: dict[tuple[str, ...], Any] = {}


def prebuilt(key: tuple[str, ...], make: Any) -> Any:
    """A statement built once (bound values only): no building or cache-key walk per write."""
    stmt = _STATEMENTS.get(key)
    if stmt is None:
        stmt = _STATEMENTS[key] = make()
    return stmt


def _ids() -> Any:
    return bindparam("ids", expanding=True)


def _spec_of_type() -> dict[str, ResourceSpec]:
    return {spec.type: spec for spec in REGISTRY.values()}


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _entry(change: Change, spec: ResourceSpec) -> str:
    """The change as the feed serves it, without the item (``API_ROOT`` for the API root)."""
    body = {
        "type": change.type,
        "id": change.entity_id,
        "lang": change.lang,
        "change": change.action,
        "slug": change.new.slug if change.new else None,
        "former_slug": change.former_slug,
        "served_lang": change.new.served if change.new else None,
        "occurred_at": _iso(change.at),
        "url": f"{build.ROOT_TOKEN}/{spec.segment}/{change.entity_id}?lang={change.lang}",
        "tags": stale_tags(change.type, change.entity_id, change.lang),
    }
    return orjson.dumps(body).decode().replace(build.ROOT_TOKEN, API_ROOT)


def _values(change: Change, specs: dict[str, ResourceSpec]) -> dict[str, Any]:
    return {
        "type": change.type,
        "entity_id": change.entity_id,
        "lang": change.lang,
        "action": change.action,
        "tags": " ".join(stale_tags(change.type, change.entity_id, change.lang)),
        "entry": _entry(change, specs[change.type]),
        "doc": change.new.doc if change.new else None,
    }


def _slug_of(row: dict[str, Any]) -> str | None:
    if row["slug"] is not None or row["served_lang"] is None:
        return row["slug"]
    return orjson.loads(row["doc"].replace(API_ROOT, "")).get("slug")  # a fallback's slug


def _version(row: dict[str, Any] | None) -> Version | None:
    if row is None:
        return None
    return Version(row["etag"], _slug_of(row), row["doc"], row["served_lang"], row["web_url"])


def _covering(spans: Sequence[dict[str, Any]], moment: datetime) -> dict[str, Any] | None:
    for row in spans:
        until = row["visible_until"]
        if row["visible_from"] <= moment and (until is None or moment < until):
            return row
    return None


def _action(before: Version | None, after: Version | None, lang: str) -> str | None:
    """What happened to the item's version in ``lang``.

    ``published``: reads in ``lang`` show the item and did not, or show its own ``lang``
    translation where they showed a fallback; ``unpublished``: they show it no more, or no
    more in ``lang`` (a fallback now); ``updated``: the same language version changed.
    """
    if (before.etag if before else None) == (after.etag if after else None):
        return None
    if before is None:
        return "published"
    if after is None:
        return "unpublished"
    if before.served == lang and after.served != lang:
        return "unpublished"  # its own version went, a fallback shows instead
    if before.served not in (None, lang) and after.served == lang:
        return "published"  # its own version came, where a fallback showed
    return "updated"


def _former(before: Version | None, after: Version | None, action: str) -> str | None:
    if before is None or before.slug is None:
        return None
    if after is None or action == "unpublished" or after.slug != before.slug:
        return before.slug
    return None


def lock(session: Session) -> None:
    """Take the content version's row lock (held until commit): appends are serialized."""
    bump_version()
    session.flush()


def record(
    session: Session,
    now: datetime,
    refreshed: dict[str, set[int]],
    rows: list[dict[str, Any]],
) -> None:
    """The read model's refresh hook: log what changed for the public, schedule the rest."""
    lock(session)  # a write holds it already: then no statement
    specs = _spec_of_type()
    type_of = {eid: REGISTRY[key].type for key, ids in refreshed.items() for eid in ids}
    ids = sorted(type_of)
    due, waiting = _schedule_state(session, now, ids)
    if due:
        promote_due(session, now)
    if not ids:
        return
    languages = supported_languages()
    spans: dict[tuple[int, str], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        if row["lenient"] and row["lang"] in languages:
            spans[(row["entity_id"], row["lang"])].append(row)
    told = _told(session, ids)
    if waiting:
        S = ScheduledChange
        stmt = prebuilt(("unschedule",), lambda: delete(S).where(S.entity_id.in_(_ids())))
        for chunk in build._chunks(ids):
            session.execute(stmt, {"ids": chunk})
    now_changes: list[Change] = []
    later: list[Change] = []
    for entity_id in ids:
        for lang in languages:
            own = sorted(spans.get((entity_id, lang), []), key=lambda r: r["visible_from"])
            current = _version(_covering(own, now))
            before = told.get((entity_id, lang))
            action = _action(before, current, lang)
            if action:
                change = Change(
                    type_of[entity_id], entity_id, lang, action, now, current,
                    _former(before, current, action),
                )  # fmt: skip
                now_changes.append(change)
            later.extend(_scheduled(type_of[entity_id], entity_id, lang, own, current, now))
    _mark_deletions(session, now_changes)
    append(session, now_changes, specs)
    _schedule(session, later, specs)


def _schedule_state(session: Session, now: datetime, ids: Sequence[int]) -> tuple[bool, bool]:
    """In one statement: is a scheduled change due, and do ``ids`` have any waiting?"""
    S = ScheduledChange
    small = 0 < len(ids) <= build.CHUNK

    def make() -> Any:
        columns: list[Any] = [select(func.min(S.due_at)).scalar_subquery()]
        if small:
            columns.append(select(S.id).where(S.entity_id.in_(_ids())).exists())
        return select(*columns)

    stmt = prebuilt(("schedule_state", str(small)), make)
    row = session.execute(stmt, {"ids": list(ids)} if small else {}).one()
    next_moment = _aware(row[0])
    return next_moment is not None and next_moment <= now, bool(row[1]) if small else bool(ids)


def _scheduled(
    type_: str,
    entity_id: int,
    lang: str,
    spans: list[dict[str, Any]],
    current: Version | None,
    now: datetime,
) -> list[Change]:
    moments = sorted(
        {r["visible_from"] for r in spans if r["visible_from"] > now}
        | {r["visible_until"] for r in spans if r["visible_until"] and r["visible_until"] > now}
    )
    out = []
    previous = current
    for moment in moments:
        version = _version(_covering(spans, moment))
        action = _action(previous, version, lang)
        if action:
            former = _former(previous, version, action)
            out.append(Change(type_, entity_id, lang, action, moment, version, former))
        previous = version
    return out


def _mark_deletions(session: Session, changes: list[Change]) -> None:
    """An item that is gone (deleted, softly or hard) is ``deleted``, not ``unpublished``."""
    gone = {c.entity_id for c in changes if c.action == "unpublished" and c.new is None}
    if not gone:
        return
    alive = set(
        session.scalars(
            select(ContentEntity.id).where(
                ContentEntity.id.in_(sorted(gone)), ContentEntity.deleted_at.is_(None)
            )
        )
    )
    for index, change in enumerate(changes):
        if change.action == "unpublished" and change.new is None and change.entity_id not in alive:
            changes[index] = Change(
                change.type, change.entity_id, change.lang, "deleted", change.at, None,
                change.former_slug,
            )  # fmt: skip


def _told(session: Session, ids: Sequence[int]) -> dict[tuple[int, str], Version]:
    told: dict[tuple[int, str], Version] = {}
    T = ToldState
    stmt = prebuilt(
        ("told",),
        lambda: select(T.entity_id, T.lang, T.etag, T.slug, T.served_lang).where(
            T.entity_id.in_(_ids())
        ),
    )
    for chunk in build._chunks(ids):
        for entity_id, lang, etag, slug, served in session.execute(stmt, {"ids": chunk}):
            told[(entity_id, lang)] = Version(etag, slug, "", served)
    return told


def _update_told(session: Session, changes: Iterable[Change]) -> None:
    """What the feed has told: the latest version per item and language, a removal none.

    One upsert of what is shown now; a delete only for what is not shown any more."""
    latest: dict[tuple[int, str], Change] = {}
    for change in changes:
        latest[(change.entity_id, change.lang)] = change
    gone: dict[str, list[int]] = defaultdict(list)
    shown = []
    for (entity_id, lang), change in latest.items():
        if change.new is None:
            gone[lang].append(entity_id)
        else:
            shown.append(
                {
                    "entity_id": entity_id,
                    "lang": lang,
                    "type": change.type,
                    "etag": change.new.etag,
                    "slug": change.new.slug,
                    "served_lang": change.new.served,
                }
            )
    T = ToldState
    forget = prebuilt(
        ("untell",),
        lambda: delete(T).where(T.lang == bindparam("lang"), T.entity_id.in_(_ids())),
    )
    for lang, entity_ids in gone.items():
        for chunk in build._chunks(entity_ids):
            session.execute(forget, {"lang": lang, "ids": chunk})
    if shown:
        dialect = session.get_bind().dialect.name

        def make() -> Any:
            stmt = (sqlite_insert if dialect == "sqlite" else pg_insert)(T)
            names = ("type", "etag", "slug", "served_lang")
            return stmt.on_conflict_do_update(
                index_elements=["entity_id", "lang"],
                set_={name: stmt.excluded[name] for name in names},
            )

        session.execute(prebuilt(("tell", dialect), make), shown)


APPENDED: list[Any] = []  # hooks (session, [change]) run after every append, in its transaction


def append(session: Session, changes: list[Change], specs: dict[str, ResourceSpec]) -> None:
    """Add changes to the log (the lock is held) and to what the feed has told."""
    if not changes:
        return
    log = prebuilt(("log",), lambda: insert(ChangeRecord))
    session.execute(log, [{**_values(c, specs), "occurred_at": c.at} for c in changes])
    _update_told(session, changes)
    for hook in APPENDED:
        hook(session, changes)


def _schedule(session: Session, changes: list[Change], specs: dict[str, ResourceSpec]) -> None:
    if changes:
        session.execute(
            insert(ScheduledChange),
            [
                {
                    **_values(c, specs),
                    "due_at": c.at,
                    "etag": c.new.etag if c.new else None,
                    "slug": c.new.slug if c.new else None,
                    "served_lang": c.new.served if c.new else None,
                }
                for c in changes
            ],
        )


def promote_due(session: Session, now: datetime) -> int:
    """Move the scheduled changes whose time has come into the log (the lock is held)."""
    due = session.execute(
        select(ScheduledChange)
        .where(ScheduledChange.due_at <= now)
        .order_by(ScheduledChange.due_at, ScheduledChange.id)
    ).scalars()
    changes = []
    ids = []
    for row in due:
        ids.append(row.id)
        new = (
            Version(row.etag, row.slug, row.doc, row.served_lang)
            if row.etag and row.doc is not None
            else None
        )
        former = orjson.loads(row.entry.replace(API_ROOT, ""))["former_slug"]
        changes.append(
            Change(row.type, row.entity_id, row.lang, row.action, row.due_at, new, former)
        )
    if not changes:
        return 0
    for chunk in build._chunks(ids):
        session.execute(delete(ScheduledChange).where(ScheduledChange.id.in_(chunk)))
    append(session, changes, _spec_of_type())
    return len(changes)


build.REFRESHED.append(record)


# --- reading -------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedState:
    epoch: str
    pruned_through: int
    last_id: int
    next_due: datetime | None


def read_state(session: Session) -> FeedState | None:
    """Epoch, expiry, the newest id and the next scheduled moment, in one query."""
    last_id = select(func.coalesce(func.max(ChangeRecord.id), 0)).scalar_subquery()
    next_due = select(func.min(ScheduledChange.due_at)).scalar_subquery()
    row = session.execute(
        select(ChangeFeedState.epoch, ChangeFeedState.pruned_through, last_id, next_due).where(
            ChangeFeedState.id == 1
        )
    ).first()
    if row is None:
        return None
    return FeedState(row[0], row[1] or 0, row[2] or 0, _aware(row[3]))


def next_due(session: Session) -> datetime | None:
    """When the next scheduled change is due (None: none is waiting)."""
    return _aware(session.scalar(select(func.min(ScheduledChange.due_at))))


def _aware(due: Any) -> datetime | None:
    if isinstance(due, str):  # SQLite hands an aggregate's datetime back as text
        due = datetime.fromisoformat(due)
    if due is not None and due.tzinfo is None:
        due = due.replace(tzinfo=UTC)
    return due


def ensure_state(session: Session) -> None:
    """Create the state row (a new epoch) if there is none; under the lock."""
    lock(session)
    exists = session.scalar(select(ChangeFeedState.id).where(ChangeFeedState.id == 1))
    if exists is None:
        session.execute(
            insert(ChangeFeedState).values(id=1, epoch=secrets.token_hex(8), pruned_through=0)
        )


def encode_cursor(epoch: str, position: int) -> str:
    raw = f"{CURSOR_VERSION}.{epoch}.{position}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, int]:
    """(epoch, position) of a cursor; a 400 for anything this feed never handed out."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
        version, epoch, position = raw.split(".")
        if version != CURSOR_VERSION or not position.isdigit() or len(position) > 18:
            raise ValueError(raw)
        return epoch, int(position)
    except (ValueError, UnicodeDecodeError, binascii.Error) as exc:
        raise InvalidCursor(detail_args={"cursor": cursor[:100]}) from exc


def check_cursor(state: FeedState, cursor: str, retention_days: int) -> int:
    epoch, position = decode_cursor(cursor)
    if epoch != state.epoch or position < state.pruned_through or position > state.last_id:
        raise CursorExpired(detail_args={"days": retention_days})
    return position


@dataclass(frozen=True)
class Page:
    entries: list[tuple[bytes, bytes | None]]  # (entry, doc) as stored, UTF-8
    next_cursor: str
    has_more: bool


def read_page(
    session: Session,
    state: FeedState,
    after: int,
    *,
    types: Sequence[str] = (),
    langs: Sequence[str] = (),
    limit: int = PAGE_SIZE,
    with_items: bool = True,
) -> Page:
    """The changes after position ``after`` up to the state's newest, in log order."""
    R = ChangeRecord
    entry = db.utf8_bytes(R.entry)
    columns = (R.id, entry, db.utf8_bytes(R.doc)) if with_items else (R.id, entry)
    stmt = select(*columns).where(R.id > after, R.id <= state.last_id)
    if types:
        stmt = stmt.where(R.type.in_(list(types)))
    if langs:
        stmt = stmt.where(R.lang.in_(list(langs)))
    rows = session.execute(stmt.order_by(R.id).limit(limit + 1)).all()
    has_more = len(rows) > limit
    rows = rows[:limit]
    position = rows[-1][0] if has_more else state.last_id
    entries = [(bytes(row[1]), bytes(row[2]) if with_items and row[2] is not None else None)
               for row in rows]  # fmt: skip
    return Page(entries, encode_cursor(state.epoch, position), has_more)


def render_page(page: Page, api_root: str, *, with_items: bool) -> bytes:
    """The response body, joined from the stored entries and documents (one join and one
    replace of the API root, all in bytes: a page of 500 items is megabytes)."""
    parts: list[bytes] = [b'{"changes":[']
    for entry, doc in page.entries:
        if with_items:
            parts += (entry[:-1], b',"item":', doc if doc is not None else b"null", b"},")
        else:
            parts += (entry, b",")
    if page.entries:
        parts[-1] = parts[-1][:-1]  # no comma after the last change
    tail = orjson.dumps({"next_cursor": page.next_cursor, "has_more": page.has_more})
    parts += (b"],", tail[1:])
    return b"".join(parts).replace(API_ROOT.encode(), api_root.encode())
