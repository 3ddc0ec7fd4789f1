"""Tables of news items."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ifm_api.core.db import Base
from ifm_api.core.models import ContentRow, TranslationRow


class NewsItem(ContentRow, Base):
    __tablename__ = "news_items"
    __table_args__ = (
        *ContentRow.__table_args__,
        Index("ix_news_items_list", "state", "published_at", "entity_id"),
    )

    published_at: Mapped[datetime | None]
    translations: Mapped[list[NewsItemTranslation]] = relationship(
        lazy="raise",
        cascade="all, delete-orphan",
        # Ordered like the (row_pk, lang) index, so SQLite looks rows up by it.
        order_by="[NewsItemTranslation.row_pk, NewsItemTranslation.lang]",
    )


class NewsItemTranslation(TranslationRow, Base):
    __tablename__ = "news_item_translations"
    __parent_table__ = "news_items"

    title: Mapped[str] = mapped_column(String(300))
    teaser: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str | None] = mapped_column(Text)
