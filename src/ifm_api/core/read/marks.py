"""Keyset marks of the unfiltered public lists: any page costs about what page 1 costs.

A page of an unfiltered list in its type's default order would otherwise walk ``OFFSET``
index entries (half the list for a page in the middle). ``public_marks`` holds, per (type,
read language, fallback mode), about every ``EVERY``-th row's sort keys and how many rows
come from it to the end (``rest``; its ordinal is ``total - rest``), as of the type's
``public_counts.as_of``; a read takes the last mark at or before its offset and starts an
index range there (``WHERE <keys at or after the mark's> ORDER BY … OFFSET <offset -
ordinal>``), found in the same statement as the stored total.

Marks are as of ``as_of``: once a stored row's interval starts or ends after it (a
``public_transitions`` entry in ``(as_of, now]``), the ordinals may have moved, and reads take
the ``OFFSET`` path until the next write of the type. Writes keep the marks, inside their
transaction: a removed row visible at ``as_of`` takes 1 from the ``rest`` of the marks before
it, an added row visible at ``now`` adds 1 (one ``UPDATE`` of the partition's few hundred
marks for all of a write's rows; counted from the end, a new first row of a newest-first list
changes none), a row written again with the same keys changes nothing, a mark whose row went
is dropped, and the spacing is repaired locally (a gap wider than ``2 * EVERY`` gets a mark
found by a walk of ``EVERY`` entries from the mark before it). A partition is built from
scratch (one window-function statement) only when time moved its rows, when it has no marks
yet, or when a row with a NULL sort key is involved: a list with a NULL key in its order holds
no marks at all (NULLs compare as unknown and sort differently on SQLite and PostgreSQL), so
it keeps the ``OFFSET`` path.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    bindparam,
    case,
    delete,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    true,
    tuple_,
    update,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import ColumnClause, UnaryExpression
from sqlalchemy.sql.visitors import iterate, replacement_traverse

from ifm_api.core.content import REGISTRY, ResourceSpec
from ifm_api.core.i18n import supported_languages
from ifm_api.core.read.model import (
    ALL_LANGUAGES,
    PublicCount,
    PublicItem,
    PublicMark,
    PublicTransition,
)

P, M = PublicItem, PublicMark
MARKS = PublicMark.__table__
MODES = ("lenient", "strict")
KEY_COLUMNS = ("sort_time", "date_1", "number", "sort_text")  # what a mark can hold
EVERY = 256  # rows between marks (a read walks at most about this many index entries more)

Partition = tuple[str, str]  # (read language, fallback mode) of one type


@dataclass(frozen=True)
class Keyed:
    """A type's default order as keyset terms: per term its expression over
    ``public_items`` and whether it descends; ``columns`` the key columns it reads (the
    entity id last)."""

    terms: tuple[tuple[Any, bool], ...]
    columns: tuple[str, ...]


def default_order(spec: ResourceSpec) -> list[Any]:
    """The default ``ORDER BY`` of a list (as ``core.read.public._order``)."""
    key = spec.default_sort
    direction = P.entity_id.desc() if key.startswith("-") else P.entity_id.asc()
    return [*spec.read.sorts[key](), direction]


def _plain(term: Any) -> tuple[Any, bool] | None:
    """(expression, descending) of an ``ORDER BY`` term; NULLS clauses do not matter, as a
    keyed list holds no NULL key. None: not a plain ordering."""
    while isinstance(term, UnaryExpression) and term.modifier in (
        operators.nulls_last_op,
        operators.nulls_first_op,
    ):
        term = term.element
    if not isinstance(term, UnaryExpression) or term.modifier not in (
        operators.asc_op,
        operators.desc_op,
    ):
        return None
    return term.element, term.modifier is operators.desc_op


def _columns_of(expression: Any) -> list[str]:
    return [
        node.name
        for node in iterate(expression)
        if isinstance(node, ColumnClause) and getattr(node, "table", None) is not None
    ]


@cache
def keyed(spec_key: str) -> Keyed | None:
    """The keyset terms of a type's default order; None when it cannot be keyed (a term
    that is no plain ordering, or a column a mark does not hold): that list has no marks."""
    terms = []
    columns: list[str] = []
    for term in default_order(REGISTRY[spec_key]):
        plain = _plain(term)
        if plain is None:
            return None
        names = _columns_of(plain[0])
        if not names or any(name not in (*KEY_COLUMNS, "entity_id") for name in names):
            return None
        terms.append(plain)
        columns.extend(name for name in names if name not in columns)
    if columns[-1:] != ["entity_id"] or columns.count("entity_id") != 1:
        return None
    return Keyed(tuple(terms), tuple(columns))


def _spec_of_type(type_: str) -> ResourceSpec:
    return next(spec for spec in REGISTRY.values() if spec.type == type_)


def _keyed_type(type_: str) -> Keyed | None:
    return keyed(_spec_of_type(type_).key)


def _swap(expression: Any, make: Any) -> Any:
    """``expression`` with every ``public_items`` column replaced by ``make(name)``."""

    def replace(node: Any) -> Any:
        table = getattr(node, "table", None)
        if isinstance(node, ColumnClause) and table is not None and table.name == "public_items":
            return make(node.name)
        return None

    return replacement_traverse(expression, {}, replace)


def key_param(name: str, prefix: str = "k") -> Any:
    """The bound value of a mark's (or a row's) key column ``name``: ``<prefix>_<name>``."""
    return bindparam(f"{prefix}_{name}", type_=P.__table__.c[name].type)


def _at_or_after(pairs: Sequence[tuple[Any, Any, bool]], inclusive: bool) -> ColumnElement[bool]:
    """``left`` comes at (``inclusive``) or after ``right`` in the order, term by term.

    Written as ``first <= k AND (first < k OR <the rest>)`` (for a descending first term),
    so both databases take the leading bound as the range of the list index."""
    (left, right, descending), rest = pairs[0], pairs[1:]
    bound = left <= right if descending else left >= right
    beyond = left < right if descending else left > right
    if not rest:
        return bound if inclusive else beyond
    return and_(bound, or_(beyond, _at_or_after(rest, inclusive)))


def from_mark(keys: Keyed) -> ColumnElement[bool]:
    """Rows of ``public_items`` at or after the mark bound as ``k_<column>``."""
    return _at_or_after(
        [(expression, _swap(expression, key_param), desc) for expression, desc in keys.terms],
        inclusive=True,
    )


def _after_mark(keys: Keyed, prefix: str) -> ColumnElement[bool]:
    """The row bound as ``<prefix>_<column>`` comes strictly after the mark (so it counts in
    the mark's ``rest``)."""
    return _at_or_after(
        [
            (
                _swap(expression, lambda name: key_param(name, prefix)),
                _swap(expression, lambda name: MARKS.c[name]),
                desc,
            )
            for expression, desc in keys.terms
        ],
        inclusive=False,
    )


def _flag(mode: str) -> Any:
    return (P.strict if mode == "strict" else P.lenient) == true()


def _partition_rows(type_: str, lang: str, mode: str, moment: datetime) -> list[Any]:
    return [
        P.type == type_,
        P.lang == lang,
        _flag(mode),
        P.visible_from <= moment,
        or_(P.visible_until.is_(None), P.visible_until > moment),
    ]


def _of_partition(type_: str, lang: str, mode: str) -> list[Any]:
    return [MARKS.c.type == type_, MARKS.c.lang == lang, MARKS.c.mode == mode]


def _partitions() -> list[Partition]:
    languages = sorted({*supported_languages(), ALL_LANGUAGES})
    return [(lang, mode) for lang in languages for mode in MODES]


# --- the read ------------------------------------------------------------------------------


def total_and_mark_statement() -> Any:
    """The stored total at ``:now`` of (``:type``, ``:lang``, ``:mode``), whether its marks
    hold at ``:now`` (no transition since ``as_of``), and the last mark at or before
    ``:offset``: one statement, as the plain stored total is."""
    C, T = PublicCount, PublicTransition
    since = and_(
        T.type == C.type,
        T.lang == C.lang,
        T.mode == C.mode,
        T.at > C.as_of,
        T.at <= bindparam("now"),
    )
    moved = select(func.coalesce(func.sum(T.delta), 0)).where(since).scalar_subquery()
    holds = and_(C.as_of <= bindparam("now"), ~exists().where(since))
    bound = [C.type == bindparam("type"), C.lang == bindparam("lang"), C.mode == bindparam("mode")]
    stored = select(C.total).where(*bound).scalar_subquery()
    nearest = (  # the mark with the fewest rows from it that still starts at or before :offset
        select(MARKS)
        .where(
            MARKS.c.type == bindparam("type"),
            MARKS.c.lang == bindparam("lang"),
            MARKS.c.mode == bindparam("mode"),
            MARKS.c.rest >= stored - bindparam("offset"),
        )
        .order_by(MARKS.c.rest)
        .limit(1)
        .subquery("nearest")
    )  # not correlated: one index range on both databases (SQLite has no LATERAL)
    return (
        select(
            (C.total + moved).label("total"),
            holds.label("holds"),
            (C.total - nearest.c.rest).label("ordinal"),
            *(nearest.c[name] for name in (*KEY_COLUMNS, "entity_id")),
        )
        .select_from(C)
        .outerjoin(nearest, true())
        .where(*bound)
    )


def usable_mark(row: Sequence[Any] | None) -> tuple[int, dict[str, Any]] | None:
    """(ordinal, ``k_<column>`` values) of the mark a read may start at, if any, from a row
    of ``total_and_mark_statement`` (a plain sequence: reads run on the driver's cursor)."""
    if row is None or not row[1] or row[2] is None:
        return None
    names = (*KEY_COLUMNS, "entity_id")
    return row[2], {f"k_{name}": value for name, value in zip(names, row[3:], strict=True)}


# --- writes --------------------------------------------------------------------------------


@dataclass
class Basis:
    """What the marks of a type were as of before a write: ``as_of`` (None: never counted)
    and the partitions whose rows time has moved since (to be built from scratch)."""

    as_of: datetime | None
    moved: set[Partition]


def basis(session: Session, types: Iterable[str], now: datetime) -> dict[str, Basis]:
    """Before a write's recount: each keyed type's ``as_of`` and its partitions moved by
    time (a transition in ``(as_of, now]``, or a clock that went back)."""
    chosen = sorted(t for t in set(types) if _keyed_type(t) is not None)
    if not chosen:
        return {}
    C, T = PublicCount, PublicTransition
    as_of = dict(
        session.execute(
            select(C.type, func.min(C.as_of)).where(C.type.in_(chosen)).group_by(C.type)
        ).all()
    )
    out = {t: Basis(as_of.get(t), set()) for t in chosen}
    for found in out.values():
        if found.as_of is None or found.as_of > now:
            found.moved = set(_partitions())
    moved = session.execute(
        select(T.type, T.lang, T.mode)
        .join(C, and_(C.type == T.type, C.lang == T.lang, C.mode == T.mode))
        .where(T.type.in_(chosen), T.at > C.as_of, T.at <= now)
        .distinct()
    )
    for t, lang, mode in moved:
        out[t].moved.add((lang, mode))
    return out


def unnoted(before: dict[str, Basis], types: Iterable[str]) -> None:
    """Types whose rows went with no note of them (a hard delete, which the database
    cascades): their marks are built from scratch."""
    for type_ in types:
        if type_ in before:
            before[type_].moved = set(_partitions())


def _visible(row: dict[str, Any], moment: datetime) -> bool:
    until = row["visible_until"]
    return row["visible_from"] <= moment and (until is None or until > moment)


def _events(
    type_: str,
    as_of: datetime | None,
    removed: Iterable[dict[str, Any]],
    added: Iterable[dict[str, Any]],
    now: datetime,
) -> dict[Partition, list[tuple[int, dict[str, Any]]]]:
    """Per partition the rows a write took out of it (-1: visible at ``as_of``, what the
    marks count) and put into it (+1: visible at ``now``)."""
    out: dict[Partition, list[tuple[int, dict[str, Any]]]] = defaultdict(list)
    for delta, rows, moment in ((-1, removed, as_of), (1, added, now)):
        for row in rows:
            if row["type"] != type_ or moment is None or not _visible(row, moment):
                continue
            for mode in MODES:
                if row[mode]:
                    out[(row["lang"], mode)].append((delta, row))
    return out


def maintain(
    session: Session,
    before: dict[str, Basis],
    removed: Sequence[dict[str, Any]],
    added: Sequence[dict[str, Any]],
    now: datetime,
) -> None:
    """After a write's recount: the marks of every partition the write or time changed."""
    if not before:
        return
    totals = {
        (t, lang, mode): total
        for t, lang, mode, total in session.execute(
            select(PublicCount.type, PublicCount.lang, PublicCount.mode, PublicCount.total).where(
                PublicCount.type.in_(sorted(before))
            )
        )
    }
    for type_, found in before.items():
        keys = _keyed_type(type_)
        assert keys is not None
        events = _events(type_, found.as_of, removed, added, now)
        shifted: dict[Partition, list[tuple[int, dict[str, Any]]]] = {}
        for lang, mode in sorted(found.moved | set(events)):
            changes = _net(keys, events.get((lang, mode), []))
            if (lang, mode) in found.moved or any(
                row[name] is None for _delta, row in changes for name in keys.columns
            ):
                build_partition(session, keys, (type_, lang, mode), now)
            elif changes:  # none: e.g. an edit that kept its sort keys, the marks still hold
                shifted[(lang, mode)] = changes
        if shifted:
            _shift(session, keys, type_, shifted)
            _respace_all(session, keys, type_, shifted, totals, now)


def _net(
    keys: Keyed, changes: list[tuple[int, dict[str, Any]]]
) -> list[tuple[int, dict[str, Any]]]:
    """The changes that move something: a row removed and written again with the same sort
    keys (an edit of its text) cancels out, so its mark stays."""
    total: dict[tuple[Any, ...], int] = defaultdict(int)
    rows: dict[tuple[Any, ...], dict[str, Any]] = {}
    for delta, row in changes:
        key = tuple(row[name] for name in keys.columns)
        total[key] += delta
        rows[key] = row
    return [(delta, rows[key]) for key, delta in total.items() if delta]


def _shift(
    session: Session,
    keys: Keyed,
    type_: str,
    shifted: dict[Partition, list[tuple[int, dict[str, Any]]]],
) -> None:
    """Drop the marks whose row went; change the ``rest`` of the marks before each changed
    row (a mark between a moved row's old and new place moves; one before both does not; a
    new first row of a newest-first list moves none). One ``UPDATE`` per set of partitions
    with the same changes (a news item's rows in every language and mode share their keys).
    """
    gone = [
        (lang, mode, row["entity_id"])
        for (lang, mode), changes in shifted.items()
        for delta, row in changes
        if delta < 0
    ]
    if gone:
        session.execute(
            delete(MARKS).where(
                MARKS.c.type == type_,
                tuple_(MARKS.c.lang, MARKS.c.mode, MARKS.c.entity_id).in_(gone),
            )
        )
    alike: dict[tuple[Any, ...], list[Partition]] = defaultdict(list)
    for part, changes in shifted.items():
        alike[tuple((d, *(row[n] for n in keys.columns)) for d, row in changes)].append(part)
    for parts in alike.values():
        changes = shifted[parts[0]]
        shift = sum(
            (
                case((_after_mark(keys, f"r{index}"), delta), else_=0)
                for index, (delta, _row) in enumerate(changes)
            ),
            start=literal(0),
        )
        params = {
            f"r{index}_{name}": row[name]
            for index, (_delta, row) in enumerate(changes)
            for name in keys.columns
        }
        session.execute(
            update(MARKS)
            .where(
                MARKS.c.type == type_,
                tuple_(MARKS.c.lang, MARKS.c.mode).in_(sorted(parts)),
                shift != 0,
            )
            .values(rest=MARKS.c.rest + shift),
            params,
        )


def _mark_values(keys: Keyed, part: tuple[str, str, str], rest: int, row: Any) -> dict[str, Any]:
    type_, lang, mode = part
    values: dict[str, Any] = {"type": type_, "lang": lang, "mode": mode, "rest": rest}
    values.update({name: None for name in KEY_COLUMNS})
    values.update({name: row._mapping[name] for name in keys.columns})
    return values


def _row_at(
    session: Session,
    keys: Keyed,
    part: tuple[str, str, str],
    now: datetime,
    start: Any | None,
    skip: int,
) -> Any | None:
    """The row ``skip`` rows after the mark ``start`` (None: the list's start)."""
    type_, lang, mode = part
    spec = _spec_of_type(type_)
    stmt = (
        select(*(P.__table__.c[name] for name in keys.columns))
        .where(*_partition_rows(type_, lang, mode, now))
        .order_by(*default_order(spec))
        .limit(1)
        .offset(skip)
    )
    params: dict[str, Any] = {}
    if start is not None:
        stmt = stmt.where(from_mark(keys))
        params = {f"k_{name}": start._mapping[name] for name in keys.columns}
    return session.execute(stmt, params).first()


def _respace_all(
    session: Session,
    keys: Keyed,
    type_: str,
    parts: Iterable[Partition],
    totals: dict[tuple[str, str, str], int],
    now: datetime,
) -> None:
    """``_respace`` the partitions of a type, their marks' ids and places read at once (a
    few hundred integers per partition; faster than a window function checking the gaps in
    the database, which SQLite took 7 ms for at N = 100,000)."""
    chosen = sorted(parts)
    found: dict[Partition, list[tuple[int, int]]] = {part: [] for part in chosen}
    stmt = (
        select(MARKS.c.lang, MARKS.c.mode, MARKS.c.id, MARKS.c.rest)
        .where(MARKS.c.type == type_, tuple_(MARKS.c.lang, MARKS.c.mode).in_(chosen))
        .order_by(MARKS.c.lang, MARKS.c.mode, MARKS.c.rest.desc())
    )
    for lang, mode, mark_id, rest in session.connection().execute(stmt):
        found[(lang, mode)].append((mark_id, rest))
    for (lang, mode), marks in found.items():
        total = totals.get((type_, lang, mode), 0)
        placed = [(mark_id, total - rest) for mark_id, rest in marks]
        _respace(session, keys, (type_, lang, mode), placed, total, now)


def _respace(
    session: Session,
    keys: Keyed,
    part: tuple[str, str, str],
    marks: list[tuple[int, int]],
    total: int,
    now: datetime,
) -> None:
    """Keep the gaps between marks (``(id, ordinal)``, in order) in ``[EVERY / 2, 2 *
    EVERY]``: drop a mark too close to the one before, add marks into a gap too wide (each a
    walk of ``EVERY`` entries; the keys read only of the mark walked from)."""
    if not marks:  # none yet, or a NULL key (then building finds that first, in the index)
        if total > EVERY:
            build_partition(session, keys, part, now)
        return
    dropped: list[int] = []
    added: list[dict[str, Any]] = []
    previous: Any = None  # a mark's id, or the keys of a mark added here; None: the start
    at = 0
    for mark_id, ordinal in [*marks, (None, total)]:
        if mark_id is not None and ordinal - at < EVERY // 2:
            dropped.append(mark_id)
            continue
        while ordinal - at > 2 * EVERY:
            start = _keys_of(session, keys, previous) if isinstance(previous, int) else previous
            row = _row_at(session, keys, part, now, start, EVERY)
            if row is None:
                break
            at += EVERY
            added.append(_mark_values(keys, part, total - at, row))
            previous = row
        previous, at = mark_id, ordinal
    if dropped:
        session.execute(delete(MARKS).where(MARKS.c.id.in_(dropped)))
    if added:
        session.execute(insert(MARKS), added)


def _keys_of(session: Session, keys: Keyed, mark_id: int) -> Any:
    columns = (MARKS.c[name] for name in keys.columns)
    return session.execute(select(*columns).where(MARKS.c.id == mark_id)).one()


def build_partition(
    session: Session, keys: Keyed, part: tuple[str, str, str], now: datetime
) -> None:
    """The marks of one partition from scratch: every ``EVERY``-th row of the rows visible at
    ``now``, by one window-function statement; none while a row has a NULL sort key."""
    type_, lang, mode = part
    session.execute(delete(MARKS).where(*_of_partition(type_, lang, mode)))
    rows = _partition_rows(type_, lang, mode, now)
    nullable = [P.__table__.c[name].is_(None) for name in keys.columns if name != "entity_id"]
    if nullable and session.execute(select(P.id).where(*rows, or_(*nullable)).limit(1)).first():
        return
    spec = _spec_of_type(type_)
    ranked = _ranked(spec, keys, rows)
    ordinal = ranked.c.rn - 1
    chosen = select(
        literal(type_),
        literal(lang),
        literal(mode),
        ranked.c.size - ordinal,
        *(ranked.c[name] for name in keys.columns),
    ).where(ordinal > 0, ordinal % EVERY == 0)
    session.execute(
        insert(MARKS).from_select(["type", "lang", "mode", "rest", *keys.columns], chosen)
    )


def _ranked(spec: ResourceSpec, keys: Keyed, rows: list[Any]) -> Any:
    """The rows' keys with their place in the default order (``rn``, from 1) and how many
    rows there are (``size``): a mark's ``rest`` is ``size - rn + 1``."""
    number = func.row_number().over(order_by=default_order(spec)).label("rn")
    size = func.count().over().label("size")
    columns = (P.__table__.c[name] for name in keys.columns)
    return select(*columns, number, size).where(*rows).subquery()


def build(session: Session, now: datetime) -> None:
    """Every keyed list's marks from scratch (``readmodel rebuild``, ``db upgrade``)."""
    session.execute(delete(MARKS))
    for spec in REGISTRY.values():
        keys = keyed(spec.key)
        if keys is None:
            continue
        for lang, mode in _partitions():
            build_partition(session, keys, (spec.type, lang, mode), now)


# --- check ---------------------------------------------------------------------------------


def check_marks(session: Session, now: datetime) -> list[str]:
    """Every stored mark that differs from the row and ordinal it stands for, and every
    gap too wide, in the partitions whose marks hold at ``now``."""
    problems: list[str] = []
    C = PublicCount
    before = basis(session, [spec.type for spec in REGISTRY.values()], now)
    for type_, found in sorted(before.items()):
        keys = _keyed_type(type_)
        if keys is None or found.as_of is None:
            continue
        counted = dict(
            ((lang, mode), total)
            for lang, mode, total in session.execute(
                select(C.lang, C.mode, C.total).where(C.type == type_)
            )
        )
        for lang, mode in sorted(set(counted) - found.moved):
            problems.extend(
                _check_partition(
                    session, keys, (type_, lang, mode), counted[(lang, mode)], found.as_of
                )
            )
    return problems


def _check_partition(
    session: Session, keys: Keyed, part: tuple[str, str, str], total: int, as_of: Any
) -> list[str]:
    type_, lang, mode = part
    name = f"marks {type_}/{lang}/{mode}"
    stored = session.execute(
        select((total - MARKS.c.rest).label("ordinal"), *(MARKS.c[c] for c in keys.columns))
        .where(*_of_partition(type_, lang, mode))
        .order_by(MARKS.c.rest.desc())
    ).all()
    rows = _partition_rows(type_, lang, mode, as_of)
    nullable = [P.__table__.c[c].is_(None) for c in keys.columns if c != "entity_id"]
    has_null = bool(
        nullable and session.execute(select(P.id).where(*rows, or_(*nullable)).limit(1)).first()
    )
    if has_null:
        return [f"{name}: {len(stored)} marks on a list with a NULL sort key"] if stored else []
    problems = []
    ids = [mark.entity_id for mark in stored]
    ranked = _ranked(_spec_of_type(type_), keys, rows)
    actual = {
        row.entity_id: row
        for row in session.execute(select(ranked).where(ranked.c.entity_id.in_(ids or [-1])))
    }
    at = 0
    for mark in stored:
        row = actual.get(mark.entity_id)
        if row is None:
            problems.append(f"{name}: mark {mark.ordinal} stands for no row ({mark.entity_id})")
        elif row.rn - 1 != mark.ordinal or row.size != total:
            problems.append(f"{name}: mark {mark.ordinal} is row {row.rn - 1} ({mark.entity_id})")
        elif any(row._mapping[c] != mark._mapping[c] for c in keys.columns):
            problems.append(f"{name}: mark {mark.ordinal} has other keys than its row")
        if mark.ordinal - at > 2 * EVERY:
            problems.append(f"{name}: no mark between {at} and {mark.ordinal}")
        at = mark.ordinal
    if total - at > 2 * EVERY:
        problems.append(f"{name}: no mark between {at} and {total}")
    return problems
