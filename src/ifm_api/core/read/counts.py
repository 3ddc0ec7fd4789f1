"""Stored totals of the unfiltered public lists, so a list's count is not a walk of the index.

A list's ``total`` is what is visible at ``now``. ``public_counts`` holds it per (type, read
language, fallback mode) as of the last write that touched the type (``as_of``), and
``public_transitions`` the later moments at which a stored row's interval starts (+1) or
ends (-1). A read adds the transitions between ``as_of`` and ``now``: exact at any ``now``,
with no write and no cron, in one indexed statement. Writes recount the types they touch,
inside their transaction (under the content lock). Filtered lists count their own range.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, case, delete, func, insert, or_, select, true
from sqlalchemy.orm import Session

from ifm_api.core.i18n import supported_languages
from ifm_api.core.read.model import ALL_LANGUAGES, PublicCount, PublicItem, PublicTransition

P = PublicItem
MODES = ("lenient", "strict")


def _flag(mode: str) -> Any:
    return (P.strict if mode == "strict" else P.lenient) == true()


def _visible_at(moment: Any) -> list[Any]:
    return [P.visible_from <= moment, or_(P.visible_until.is_(None), P.visible_until > moment)]


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
    languages = sorted({*supported_languages(), ALL_LANGUAGES})
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


def _transitions(session: Session, types: list[str], now: datetime) -> list[dict[str, Any]]:
    """+1 where a stored row's interval starts after ``now``, -1 where it ends after it."""
    later = session.execute(
        select(P.type, P.lang, P.lenient, P.strict, P.visible_from, P.visible_until).where(
            P.type.in_(types), or_(P.visible_from > now, P.visible_until > now)
        )
    )
    out: list[dict[str, Any]] = []
    for type_, lang, lenient, strict, start, until in later:
        for mode, flag in (("lenient", lenient), ("strict", strict)):
            if not flag:
                continue
            key = {"type": type_, "lang": lang, "mode": mode}
            if start > now:
                out.append({**key, "at": start, "delta": 1})
            if until is not None:
                out.append({**key, "at": until, "delta": -1})
    return out


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
    return problems
