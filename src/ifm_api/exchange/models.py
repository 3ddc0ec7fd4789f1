"""Tables of the exchange: old URLs that redirect to items, and where imported items came from."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ifm_api.core.db import Base, utcnow

PATH_MAX = 1000


class Redirect(Base):
    """An old website's path (with its query) that now lives at an item's public URL."""

    __tablename__ = "redirects"

    id: Mapped[int] = mapped_column(primary_key=True)
    path: Mapped[str] = mapped_column(String(PATH_MAX), unique=True)
    entity_id: Mapped[int] = mapped_column(
        ForeignKey("content_entities.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(100))


class LegacySource(Base):
    """The page of the old website an item was imported from (what makes imports idempotent).

    ``source_key`` is ``url:<old path>`` when a URL map named the page, else
    ``sha256:<content_key>``; ``content_key`` hashes the normalized German title and the date.
    ``fingerprint`` hashes what the page produced and ``item_version`` is the item's version
    after the import: a later import of a changed page updates the item only when nobody has
    edited it since.
    """

    __tablename__ = "legacy_sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    source_key: Mapped[str] = mapped_column(String(PATH_MAX + 10), unique=True)
    content_key: Mapped[str] = mapped_column(String(64), index=True)
    entity_id: Mapped[int] = mapped_column(
        ForeignKey("content_entities.id", ondelete="CASCADE"), index=True
    )
    file_name: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(64))
    item_version: Mapped[int]
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
