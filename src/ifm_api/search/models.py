"""The search index: one entry per published read-model row (``public_items``).

An entry holds the row's words as index tokens (``title``: title or name, ``body``: every
other searched text) and the plain texts the highlights are cut from. It belongs to its
read-model row (deleted with it), so what is found is exactly what a list in that language,
fallback mode and time interval shows. The full-text structures on top are per database and
live in the migration (see ``search.index``): on SQLite the FTS5 table ``search_fts`` over
these columns, kept in step by triggers; on PostgreSQL generated ``tsvector`` columns with a
GIN index.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column

from ifm_api.core.db import Base


class SearchEntry(Base):
    __tablename__ = "search_entries"

    item_id: Mapped[int] = mapped_column(
        ForeignKey("public_items.id", ondelete="CASCADE"), primary_key=True
    )
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    texts: Mapped[str] = mapped_column(Text)
    recency: Mapped[datetime | None]
