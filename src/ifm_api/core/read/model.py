"""Tables of the published read model: finished public representations, written at write time.

One ``public_items`` row is what one public read of one item returns, for one read language
(or ``all``), for fallback on (``lenient``) and/or off (``strict``), during one time interval
``[visible_from, visible_until)``. Everything that depends on time (a scheduled language
going public, a linked item's scheduled language, a project's status from its dates) is an
interval boundary, so a read only asks ``visible_from <= now < visible_until``. The stored
``doc`` is the JSON the contract serves, with ``API_ROOT`` (one byte that JSON text never
holds raw) where the request's API root goes. ``public_item_links`` holds what the row's
relations show, for the list filters (``person=``, ``tag=`` …).

The list indexes cover a page's ``WHERE`` and ``ORDER BY`` and hold the row id (SQLite's
rowid; on PostgreSQL an ``INCLUDE``), so a page's ``OFFSET`` is an index-only walk.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ifm_api.core.db import Base

API_ROOT = "\x01"  # stands for the API root (e.g. https://host/api/v1) in stored text
API_ROOT_BYTES = API_ROOT.encode()  # the same in a document read as bytes
ALL_LANGUAGES = "all"
FORMAT = 8  # bump when the stored representation changes: `ifm-api db upgrade` rebuilds


class PublicItem(Base):
    __tablename__ = "public_items"
    __table_args__ = (
        Index("ix_public_items_entity", "entity_id", "lang"),
        Index("ix_public_items_slug", "type", "slug"),
        Index(
            "ix_public_items_by_time",
            "type",
            "lang",
            "sort_time",
            "entity_id",
            "lenient",
            "strict",
            "visible_from",
            "visible_until",
            postgresql_include=["id"],
        ),
        Index(
            "ix_public_items_by_date",
            "type",
            "lang",
            "date_1",
            "entity_id",
            "lenient",
            "strict",
            "visible_from",
            "visible_until",
            postgresql_include=["id"],
        ),
        Index(
            "ix_public_items_by_text",
            "type",
            "lang",
            "sort_text",
            "entity_id",
            "lenient",
            "strict",
            "visible_from",
            "visible_until",
            postgresql_include=["id"],
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int] = mapped_column(ForeignKey("content_entities.id", ondelete="CASCADE"))
    lang: Mapped[str] = mapped_column(String(16))
    served_lang: Mapped[str | None] = mapped_column(String(16))
    lenient: Mapped[bool] = mapped_column(Boolean)
    strict: Mapped[bool] = mapped_column(Boolean)
    visible_from: Mapped[datetime]
    visible_until: Mapped[datetime | None]
    slug: Mapped[str | None] = mapped_column(String(200))
    sort_time: Mapped[datetime | None]
    date_1: Mapped[date | None] = mapped_column(Date)
    date_2: Mapped[date | None] = mapped_column(Date)
    number: Mapped[int | None] = mapped_column(Integer)
    sort_text: Mapped[str | None] = mapped_column(String(400))
    kind: Mapped[str | None] = mapped_column(String(64))
    year: Mapped[int | None] = mapped_column(Integer)
    own_from: Mapped[datetime | None]
    lastmod: Mapped[datetime | None]
    web_url: Mapped[str | None] = mapped_column(Text)
    links: Mapped[str | None] = mapped_column(Text)
    etag: Mapped[str] = mapped_column(String(40))
    doc: Mapped[str] = mapped_column(Text)
    tags: Mapped[str | None] = mapped_column(Text)  # purge tags of the items it embeds
    # include= without parsing (core.read.splice): where the relation summaries lie in
    # ``doc``, and, for an item others embed, ``doc`` without its relations
    spans: Mapped[str | None] = mapped_column(Text)
    bare: Mapped[str | None] = mapped_column(Text)


class PublicItemLink(Base):
    """What a read-model row's relations show: item ids, or names (tags)."""

    __tablename__ = "public_item_links"
    __table_args__ = (
        Index("ix_public_item_links_target", "relation", "target_id", "item_id"),
        Index("ix_public_item_links_item", "item_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("public_items.id", ondelete="CASCADE"))
    relation: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[int | None] = mapped_column(Integer)
    name: Mapped[str | None] = mapped_column(String(300))


class PublicFeedEntry(Base):
    """A read-model row's feed entries, rendered at write time (``core.feeds``).

    Only for rows a feed lists: news and reports, served in their own language (feeds never
    fall back). A feed is then its head plus the stored entries of its newest rows; the API
    root is ``API_ROOT`` here too.
    """

    __tablename__ = "public_feed_entries"

    item_id: Mapped[int] = mapped_column(
        ForeignKey("public_items.id", ondelete="CASCADE"), primary_key=True
    )
    updated: Mapped[datetime]
    rss: Mapped[bytes] = mapped_column(LargeBinary)
    atom: Mapped[bytes] = mapped_column(LargeBinary)
    json: Mapped[bytes] = mapped_column(LargeBinary)


class PublicCount(Base):
    """The total of an unfiltered public list (type, read language, fallback mode) as of
    ``as_of`` (see ``core.read.counts``)."""

    __tablename__ = "public_counts"

    type: Mapped[str] = mapped_column(String(32), primary_key=True)
    lang: Mapped[str] = mapped_column(String(16), primary_key=True)
    mode: Mapped[str] = mapped_column(String(8), primary_key=True)
    total: Mapped[int] = mapped_column(Integer)
    as_of: Mapped[datetime]


class PublicMark(Base):
    """A keyset mark of an unfiltered list in its type's default order (see
    ``core.read.marks``): the row of ``entity_id`` with these sort keys, and ``rest``, how
    many rows of (type, read language, fallback mode) come from it to the list's end, as of
    the type's ``public_counts.as_of`` (its place is ``total - rest``; counted from the end,
    a new first row of a newest-first list moves no mark).

    A deep page then starts an index range at the nearest mark instead of walking ``OFFSET``
    index entries from the list's start."""

    __tablename__ = "public_marks"
    __table_args__ = (Index("ix_public_marks_at", "type", "lang", "mode", "rest"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(String(32))
    lang: Mapped[str] = mapped_column(String(16))
    mode: Mapped[str] = mapped_column(String(8))
    rest: Mapped[int] = mapped_column(Integer)
    entity_id: Mapped[int] = mapped_column(Integer)
    sort_time: Mapped[datetime | None]
    date_1: Mapped[date | None] = mapped_column(Date)
    number: Mapped[int | None] = mapped_column(Integer)
    sort_text: Mapped[str | None] = mapped_column(String(400))


class PublicTransition(Base):
    """A future moment at which an unfiltered public list gains (+1) or loses (-1) a row: a
    stored row's interval starting or ending after its type was last counted."""

    __tablename__ = "public_transitions"
    __table_args__ = (Index("ix_public_transitions_at", "type", "lang", "mode", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(String(32))
    lang: Mapped[str] = mapped_column(String(16))
    mode: Mapped[str] = mapped_column(String(8))
    at: Mapped[datetime]
    delta: Mapped[int] = mapped_column(Integer)


class PublicDocumentChange(Base):
    """When an item version last left the public documents of a type in a read language.

    Written by the read model whenever a write removes a row (unpublish, delete, a
    translation withdrawn), so a feed's or the sitemap's ``Last-Modified`` never goes back to
    an older time when an item leaves it; what stays is dated by its own ``updated_at``.
    """

    __tablename__ = "public_document_changes"

    type: Mapped[str] = mapped_column(String(32), primary_key=True)
    lang: Mapped[str] = mapped_column(String(16), primary_key=True)
    changed_at: Mapped[datetime]


class ReadModelState(Base):
    """One row: the format the stored read model was built in (none: never built)."""

    __tablename__ = "read_model_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    format: Mapped[int] = mapped_column(Integer)
    built_at: Mapped[datetime]
