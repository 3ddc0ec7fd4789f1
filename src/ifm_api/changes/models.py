"""Tables of the change feed: the log clients read, the changes waiting for their time, and
what the feed has told so far about each item and language."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ifm_api.core.db import Base


class ChangeRecord(Base):
    """One public change, in the order clients read them (``id`` is the feed's position).

    Rows are appended only while the content version's row lock is held, so ids grow in
    commit order: a reader who saw id ``n`` has seen every committed id below it.
    ``entry`` is the change as the feed serves it (without the item, ``API_ROOT`` as the
    API root), ``doc`` the item's public representation then (none for a removal).
    """

    __tablename__ = "change_log"
    __table_args__ = (
        Index("ix_change_log_occurred_at", "occurred_at"),
        {"sqlite_autoincrement": True},  # ids are never reused after pruning
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime]
    type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int] = mapped_column(Integer)
    lang: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(16))
    tags: Mapped[str] = mapped_column(Text)
    entry: Mapped[str] = mapped_column(Text)
    doc: Mapped[str | None] = mapped_column(Text)


class ScheduledChange(Base):
    """A change the read model already holds for a later moment (a scheduled publication,
    a project's status at its end date): it enters the log when its time comes."""

    __tablename__ = "scheduled_changes"
    __table_args__ = (
        Index("ix_scheduled_changes_due_at", "due_at"),
        Index("ix_scheduled_changes_entity_id", "entity_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    due_at: Mapped[datetime]
    type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int] = mapped_column(Integer)
    lang: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(16))
    etag: Mapped[str | None] = mapped_column(String(40))
    slug: Mapped[str | None] = mapped_column(String(200))
    served_lang: Mapped[str | None] = mapped_column(String(16))
    tags: Mapped[str] = mapped_column(Text)
    entry: Mapped[str] = mapped_column(Text)
    doc: Mapped[str | None] = mapped_column(Text)


class ToldState(Base):
    """What the feed last said an item looks like in one language (public now), and which
    language's version reads in that language showed (``served_lang``: its own or a
    fallback; empty for rows from before this was kept)."""

    __tablename__ = "change_feed_items"

    entity_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    lang: Mapped[str] = mapped_column(String(16), primary_key=True)
    type: Mapped[str] = mapped_column(String(32))
    etag: Mapped[str] = mapped_column(String(40))
    slug: Mapped[str | None] = mapped_column(String(200))
    served_lang: Mapped[str | None] = mapped_column(String(16))


class ChangeFeedState(Base):
    """One row: the log's epoch (in every cursor: a cursor of another database is refused)
    and the highest id pruned (older cursors have expired)."""

    __tablename__ = "change_feed_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    epoch: Mapped[str] = mapped_column(String(32))
    pruned_through: Mapped[int] = mapped_column(Integer, default=0)
