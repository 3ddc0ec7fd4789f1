"""The search index: per published read-model row (``public_items``) an entry and its texts.

``search_entries`` is narrow: what a search filters and ranks by (type, language, fallback
mode, visibility interval, the item's date), copied from the read-model row, so a query with
tens of thousands of matches reads small rows that stay in the page cache, and the read model
itself only for the page shown. ``search_texts`` holds the row's words as index tokens
(``title``: title or name, ``body``: every other searched text) and the plain texts the
highlights are cut from. Both belong to their read-model row (deleted with it), so what is
found is exactly what a list in that language, fallback mode and time shows. The full-text
structures are per database and live in the migration (see ``search.index``): on SQLite the
FTS5 table ``search_fts`` over ``search_texts``, kept in step by triggers; on PostgreSQL
``tsvector`` columns of ``search_entries`` with a GIN index.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ifm_api.core.db import Base

# ``INTEGER PRIMARY KEY`` on SQLite: the table's rowid, which FTS5's rowid is joined to.
RecencyKey = BigInteger().with_variant(Integer(), "sqlite")


class SearchEntry(Base):
    __tablename__ = "search_entries"

    # Newer first is ``recency_key DESC`` (see ``index.recency_key``): the full-text index
    # hands its matches over in that order, so a page of the newest matches stops early.
    recency_key: Mapped[int] = mapped_column(RecencyKey, primary_key=True, autoincrement=False)
    item_id: Mapped[int] = mapped_column(
        ForeignKey("public_items.id", ondelete="CASCADE"), unique=True
    )
    entity_id: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(32))
    lang: Mapped[str] = mapped_column(String(16))
    lenient: Mapped[bool] = mapped_column(Boolean)
    strict: Mapped[bool] = mapped_column(Boolean)
    visible_from: Mapped[datetime]
    visible_until: Mapped[datetime | None]
    recency: Mapped[datetime | None]


class SearchText(Base):
    __tablename__ = "search_texts"

    recency_key: Mapped[int] = mapped_column(RecencyKey, primary_key=True, autoincrement=False)
    item_id: Mapped[int] = mapped_column(
        ForeignKey("public_items.id", ondelete="CASCADE"), unique=True
    )
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    texts: Mapped[str] = mapped_column(Text)


class SearchTerm(Base):
    """Every token the index holds (added as rows are indexed, never removed: a term no
    row holds any more matches nothing). A prefix query word becomes the list of the terms
    it covers, which FTS5 reads lazily, newest first, where its own prefix query would merge
    every matching term's whole list first."""

    __tablename__ = "search_terms"

    term: Mapped[str] = mapped_column(String(255), primary_key=True)
