"""The content version: one row every write transaction bumps (and so locks first).

On PostgreSQL the row lock serializes content writes (see ``editor_views.write_transaction``).
It used to key a per-worker response cache; public reads are now indexed reads of the
published read model (``core.read``), which needs no cache in front of it.
"""

from __future__ import annotations

from sqlalchemy import Integer, String, update
from sqlalchemy.orm import Mapped, mapped_column

from ifm_api.core import db
from ifm_api.core.db import Base


class ContentState(Base):
    """One row: a counter every write transaction bumps."""

    __tablename__ = "content_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(32), default="content")
    version: Mapped[int] = mapped_column(default=1)


_BUMPED = "ifm.version_bumped"  # the transaction that bumped (and so locked) the version


def bump_version() -> None:
    """Called inside every write transaction (first, to take the lock, and before commit).

    Once per transaction: the first call bumps the version and takes its row lock, which is
    held until the end; later calls in the same transaction would add a statement and
    change nothing anyone outside can see.
    """
    session = db.session()
    bumped = session.info.get(_BUMPED)
    if bumped is not None and bumped is session.get_transaction():
        return
    session.execute(
        update(ContentState).where(ContentState.id == 1).values(version=ContentState.version + 1)
    )
    session.info[_BUMPED] = session.get_transaction()
