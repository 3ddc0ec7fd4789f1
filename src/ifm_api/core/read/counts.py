"""Stored totals of the unfiltered public lists, so a list's count is not a walk of the index.

A list's ``total`` is what is visible at ``now``. ``public_counts`` holds it per (type, read
language, fallback mode) as of the last write that touched the type (``as_of``), and
``public_transitions`` the later moments at which a stored row's interval starts (+1) or
ends (-1). A read adds the transitions between ``as_of`` and ``now``: exact at any ``now``,
with no write and no cron, in one indexed statement. Filtered lists count their own range.

Writes (inside their transaction, under the content lock) adjust the counts of the types they
touch instead of counting them again (an aggregate over every row of the type, which grew
with N): the stored total moved to ``now`` (the transitions in ``(as_of, now]`` added), minus
the removed rows visible at ``now``, plus the written rows visible at ``now``; the removed
rows' later transitions are taken out, the written rows' put in (net per moment, so a row
written again with the same interval changes nothing). ``recount`` remains for
``readmodel rebuild`` and for a type with no stored count yet (or a clock that went back).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    and_,
    bindparam,
    case,
    delete,
    func,
    insert,
    or_,
    select,
    true,
    tuple_,
    update,
)
from sqlalchemy.orm import Session

from ifm_api.core.i18n import supported_languages
from ifm_api.core.read.model import ALL_LANGUAGES, PublicCount, PublicItem, PublicTransition

P = PublicItem
MODES = ("lenient", "strict")


def _flag(mode: str) -> Any:
    return (P.strict if mode == "strict" else P.lenient) == true()


def _visible_at(moment: Any) -> list[Any]:
    return [P.visible_from <= moment, or_(P.visible_until.is_(None), P.visible_until > moment)]


def _languages() -> list[str]:
    return sorted({*supported_languages(), ALL_LANGUAGES})


def recount(session: Session, types: Iterable[str], now: datetime) -> None:
    """Count again what is visible at ``now`` of these types, and note their later changes.

    Two aggregate statements in the database (no row comes to Python but the few with a
    future boundary).
    """
    chosen = sorted(set(types))
    if not chosen:
        return
    session.execute(delete(PublicCount).where(PublicCount.type.in_(chosen)))
    session.execute(delete(PublicTransition).where(PublicTransition.type.in_(chosen)))
    totals: dict[tuple[str, str, str], int] = {}
    visible = session.execute(
        select(
            P.type,
            P.lang,
            func.sum(case((P.lenient == true(), 1), else_=0)),
            func.sum(case((P.strict == true(), 1), else_=0)),
        )
        .where(P.type.in_(chosen), *_visible_at(now))
        .group_by(P.type, P.lang)
    )
    for type_, lang, lenient, strict in visible:
        totals[(type_, lang, "lenient")] = int(lenient or 0)
        totals[(type_, lang, "strict")] = int(strict or 0)
    languages = _languages()
    session.execute(
        insert(PublicCount),
        [
            {
                "type": t,
                "lang": lang,
                "mode": mode,
                "total": totals.get((t, lang, mode), 0),
                "as_of": now,
            }
            for t in chosen
            for lang in languages
            for mode in MODES
        ],
    )
    transitions = _transitions(session, chosen, now)
    if transitions:
        session.execute(insert(PublicTransition), transitions)


def adjust(
    session: Session,
    types: Iterable[str],
    removed: Sequence[dict[str, Any]],
    added: Sequence[dict[str, Any]],
    now: datetime,
    count_again: Iterable[str] = (),
) -> None:
    """A write's change of the stored counts of ``types``: the rows it ``removed`` and those
    it ``added`` (of any type; those of ``types`` count). Ends where ``recount`` would: the
    totals as of ``now`` and the transitions after it, in a few statements on the counts'
    own small tables, however many rows the types hold. The types in ``count_again`` (rows
    gone unnoted) are counted again."""
    chosen = sorted(set(types))
    if not chosen:
        return
    again = set(count_again)
    stored = _stored(session, chosen)
    parts = [(lang, mode) for lang in _languages() for mode in MODES]
    fresh = [
        t
        for t in chosen
        if t in again
        or any((t, *part) not in stored or stored[(t, *part)][1] > now for part in parts)
    ]
    recount(session, fresh, now)
    kept = set(chosen) - set(fresh)
    if not kept:
        return
    removed = [row for row in removed if row["type"] in kept]
    added = [row for row in added if row["type"] in kept]
    totals = {key: total for key, (total, _as_of) in stored.items() if key[0] in kept}
    passed = _passed(session, sorted(kept), now)
    for key, delta in passed.items():
        totals[key] += delta
    for sign, rows in ((-1, removed), (1, added)):
        for row in rows:
            if _visible(row, now):
                for mode in MODES:
                    if row[mode]:
                        totals[(row["type"], row["lang"], mode)] += sign
    _store_totals(session, totals, now)
    if passed:  # counted in the totals now: never read again
        T = PublicTransition
        session.execute(delete(T).where(T.type.in_(sorted(kept)), T.at <= now))
    net = defaultdict(int, later_moments(added, now))
    for moment, delta in later_moments(removed, now).items():
        net[moment] -= delta
    _add_transitions(session, {moment: delta for moment, delta in net.items() if delta})


def _stored(session: Session, types: list[str]) -> dict[tuple[str, str, str], tuple[int, Any]]:
    """(total, as_of) per (type, read language, mode)."""
    C = PublicCount
    stmt = select(C.type, C.lang, C.mode, C.total, C.as_of).where(C.type.in_(types))
    return {
        (t, lang, mode): (total, as_of) for t, lang, mode, total, as_of in session.execute(stmt)
    }


def _passed(session: Session, types: list[str], now: datetime) -> dict[tuple[str, str, str], int]:
    """The transitions in ``(as_of, now]``, summed per (type, read language, mode)."""
    C, T = PublicCount, PublicTransition
    stmt = (
        select(T.type, T.lang, T.mode, func.sum(T.delta))
        .join(C, and_(C.type == T.type, C.lang == T.lang, C.mode == T.mode))
        .where(T.type.in_(types), T.at > C.as_of, T.at <= now)
        .group_by(T.type, T.lang, T.mode)
    )
    return {(t, lang, mode): int(delta) for t, lang, mode, delta in session.execute(stmt)}


def _store_totals(session: Session, totals: dict[tuple[str, str, str], int], now: datetime) -> None:
    C = PublicCount.__table__
    stmt = (
        update(C)
        .where(C.c.type == bindparam("t"), C.c.lang == bindparam("l"), C.c.mode == bindparam("m"))
        .values(total=bindparam("n"), as_of=now)
    )
    session.execute(
        stmt,
        [{"t": t, "l": lang, "m": mode, "n": n} for (t, lang, mode), n in sorted(totals.items())],
    )


def _add_transitions(session: Session, net: dict[Moment, int]) -> None:
    """Add ``net`` to the stored transitions: one row per moment, the stored ones at the same
    moments merged into it (and gone where the sum is zero)."""
    if not net:
        return
    T = PublicTransition
    merged = dict(net)
    found = session.execute(
        select(T.id, T.type, T.lang, T.mode, T.at, T.delta).where(
            tuple_(T.type, T.lang, T.mode, T.at).in_(sorted(net))
        )
    ).all()
    for _id, t, lang, mode, at, delta in found:
        merged[(t, lang, mode, at)] = merged.get((t, lang, mode, at), 0) + delta
    if found:
        session.execute(delete(T).where(T.id.in_([row[0] for row in found])))
    rows = [_transition(moment, delta) for moment, delta in merged.items() if delta]
    if rows:
        session.execute(insert(T), rows)


def _visible(row: dict[str, Any], moment: datetime) -> bool:
    until = row["visible_until"]
    return row["visible_from"] <= moment and (until is None or until > moment)


ROW_KEYS = ("type", "lang", "lenient", "strict", "visible_from", "visible_until")
Moment = tuple[str, str, str, datetime]  # type, read language, mode, when


def _transitions(session: Session, types: list[str], now: datetime) -> list[dict[str, Any]]:
    """The transitions after ``now`` of the stored rows of ``types``, net per moment."""
    later = session.execute(
        select(*(P.__table__.c[name] for name in ROW_KEYS)).where(
            P.type.in_(types), or_(P.visible_from > now, P.visible_until > now)
        )
    )
    rows = (dict(zip(ROW_KEYS, row, strict=True)) for row in later)
    return [_transition(moment, delta) for moment, delta in later_moments(rows, now).items()]


def _transition(moment: Moment, delta: int) -> dict[str, Any]:
    type_, lang, mode, at = moment
    return {"type": type_, "lang": lang, "mode": mode, "at": at, "delta": delta}


def later_moments(rows: Iterable[dict[str, Any]], now: datetime) -> dict[Moment, int]:
    """+1 where a row's interval starts after ``now``, -1 where it ends after it; summed per
    moment, zero sums left out."""
    out: dict[Moment, int] = defaultdict(int)
    for row in rows:
        start, until = row["visible_from"], row["visible_until"]
        for mode in MODES:
            if not row[mode]:
                continue
            if start > now:
                out[(row["type"], row["lang"], mode, start)] += 1
            if until is not None and until > now:
                out[(row["type"], row["lang"], mode, until)] -= 1
    return {moment: delta for moment, delta in out.items() if delta}


def stored_total_statement() -> Any:
    """``total`` at ``:now`` of (``:type``, ``:lang``, ``:mode``) from the stored count."""
    C, T = PublicCount, PublicTransition
    since = (
        select(func.coalesce(func.sum(T.delta), 0))
        .where(
            T.type == C.type,
            T.lang == C.lang,
            T.mode == C.mode,
            T.at > C.as_of,
            T.at <= bindparam("now"),
        )
        .scalar_subquery()
    )
    return select(C.total + since).where(
        C.type == bindparam("type"), C.lang == bindparam("lang"), C.mode == bindparam("mode")
    )


def check_counts(session: Session, now: datetime) -> list[str]:
    """Every stored total that differs from a count of the rows visible at ``now``."""
    problems = []
    stored_total = stored_total_statement()
    for mode in MODES:
        actual = {
            (t, lang): total
            for t, lang, total in session.execute(
                select(P.type, P.lang, func.count(P.id))
                .where(_flag(mode), *_visible_at(now))
                .group_by(P.type, P.lang)
            )
        }
        keys = session.execute(
            select(PublicCount.type, PublicCount.lang).where(PublicCount.mode == mode)
        ).all()
        for t, lang in sorted(keys):
            params = {"type": t, "lang": lang, "mode": mode, "now": now}
            stored = session.execute(stored_total, params).scalar()
            if stored != actual.get((t, lang), 0):
                problems.append(
                    f"count {t}/{lang}/{mode}: stored {stored}, actual {actual.get((t, lang), 0)}"
                )
    return problems + _check_transitions(session, now)


def _check_transitions(session: Session, now: datetime) -> list[str]:
    """Every moment after ``now`` whose stored transitions differ from the rows' own."""
    T = PublicTransition
    types = sorted(set(session.scalars(select(PublicCount.type))))
    expected = {
        (row["type"], row["lang"], row["mode"], row["at"]): row["delta"]
        for row in _transitions(session, types, now)
    }
    stored = {
        (t, lang, mode, at): int(delta)
        for t, lang, mode, at, delta in session.execute(
            select(T.type, T.lang, T.mode, T.at, func.sum(T.delta))
            .where(T.at > now)
            .group_by(T.type, T.lang, T.mode, T.at)
        )
        if delta
    }
    problems = []
    for key in sorted(set(stored) | set(expected)):
        if stored.get(key, 0) != expected.get(key, 0):
            t, lang, mode, at = key
            problems.append(
                f"transitions {t}/{lang}/{mode} at {at.isoformat()}: "
                f"stored {stored.get(key, 0)}, actual {expected.get(key, 0)}"
            )
    return problems
