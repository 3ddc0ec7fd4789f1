"""Tables every content type shares: entities, revisions, slug history, relations, media.

An item ("entity") is one row in ``content_entities``. Its content lives in the resource's
own table twice: the ``draft`` row is the editors' working copy, the ``live`` row is what the
public reads. Publishing copies draft to live, one language at a time. Translated fields sit
in ``<resource>_translations`` with one row per (content row, language), so a new language is
configuration, not a migration.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from ifm_api.core.db import Base, utcnow

DRAFT = "draft"
LIVE = "live"


class ContentEntity(Base):
    """Identity and bookkeeping of one item, shared by its draft and live rows."""

    __tablename__ = "content_entities"

    id: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(String(32), index=True)
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(100))
    updated_by: Mapped[str | None] = mapped_column(String(100))
    deleted_at: Mapped[datetime | None]


class Revision(Base):
    """A snapshot of an item's editing representation after each change."""

    __tablename__ = "revisions"
    __table_args__ = (UniqueConstraint("entity_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("content_entities.id", ondelete="CASCADE"))
    number: Mapped[int]
    action: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(100))
    snapshot: Mapped[dict[str, Any]]


class SlugRedirect(Base):
    """A slug an item used to have; reads of it answer 301 to the current slug."""

    __tablename__ = "slug_redirects"
    __table_args__ = (UniqueConstraint("type", "lang", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(String(32))
    lang: Mapped[str] = mapped_column(String(16))
    slug: Mapped[str] = mapped_column(String(200))
    entity_id: Mapped[int] = mapped_column(
        ForeignKey("content_entities.id", ondelete="CASCADE"), index=True
    )


class ContentLink(Base):
    """An ordered relation from a content row to another item (or to an external name).

    ``relation`` names the field (``people``, ``authors``, ``members``, ``tags`` …); ``role``
    carries a member's role; ``name`` an external author or a tag.
    """

    __tablename__ = "content_links"
    __table_args__ = (
        Index("ix_content_links_source", "source_id", "source_state", "relation"),
        Index("ix_content_links_target", "relation", "target_id"),
        Index("ix_content_links_name", "relation", "name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("content_entities.id", ondelete="CASCADE"))
    source_state: Mapped[str] = mapped_column(String(8))
    relation: Mapped[str] = mapped_column(String(32))
    position: Mapped[int] = mapped_column(default=0)
    target_id: Mapped[int | None] = mapped_column(
        ForeignKey("content_entities.id", ondelete="CASCADE")
    )
    name: Mapped[str | None] = mapped_column(String(300))
    role: Mapped[str | None] = mapped_column(String(32))


class Media(Base):
    """An uploaded file, stored under IFM_MEDIA_ROOT by its content hash, with the
    metadata editors maintain (translated texts, license, focal point) and what was read
    from the file itself (image size; a PDF's pages, title and language)."""

    __tablename__ = "media"

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    updated_at: Mapped[datetime | None]
    updated_by: Mapped[str | None] = mapped_column(String(100))
    width: Mapped[int | None]
    height: Mapped[int | None]
    page_count: Mapped[int | None]
    document_title: Mapped[str | None] = mapped_column(String(500))
    document_lang: Mapped[str | None] = mapped_column(String(35))
    license: Mapped[str | None] = mapped_column(String(200))
    focal_x: Mapped[float | None]
    focal_y: Mapped[float | None]
    translations: Mapped[list[MediaTranslation]] = relationship(
        lazy="raise",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="[MediaTranslation.media_id, MediaTranslation.lang]",
    )


class MediaTranslation(Base):
    """A file's texts in one language: title, alt text (images), caption, credit."""

    __tablename__ = "media_translations"
    __table_args__ = (UniqueConstraint("media_id", "lang"),)

    pk: Mapped[int] = mapped_column(primary_key=True)
    media_id: Mapped[int] = mapped_column(ForeignKey("media.id", ondelete="CASCADE"))
    lang: Mapped[str] = mapped_column(String(16))
    title: Mapped[str | None] = mapped_column(String(300))
    alt: Mapped[str | None] = mapped_column(String(1000))
    caption: Mapped[str | None] = mapped_column(String(2000))
    credit: Mapped[str | None] = mapped_column(String(300))


class ContentRow:
    """Columns of a resource table: one row per (entity, state)."""

    pk: Mapped[int] = mapped_column(primary_key=True)
    state: Mapped[str] = mapped_column(String(8))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    @declared_attr
    def entity_id(cls) -> Mapped[int]:
        return mapped_column(ForeignKey("content_entities.id", ondelete="CASCADE"))

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:
        return (UniqueConstraint("entity_id", "state"),)


class TranslationRow:
    """Columns of a ``<resource>_translations`` table: one row per (content row, language).

    ``visible_from`` is set on live rows: the moment this language goes public (a future
    value schedules it).
    """

    __parent_table__: str

    pk: Mapped[int] = mapped_column(primary_key=True)
    state: Mapped[str] = mapped_column(String(8))
    lang: Mapped[str] = mapped_column(String(16))
    slug: Mapped[str] = mapped_column(String(200))
    visible_from: Mapped[datetime | None]

    @declared_attr
    def row_pk(cls) -> Mapped[int]:
        return mapped_column(ForeignKey(f"{cls.__parent_table__}.pk", ondelete="CASCADE"))

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:
        name = cls.__tablename__  # type: ignore[attr-defined]
        return (
            UniqueConstraint("row_pk", "lang"),
            UniqueConstraint("slug", "lang", "state", name=f"uq_{name}_slug_lang_state"),
            Index(f"ix_{name}_visible_from", "visible_from"),
        )
