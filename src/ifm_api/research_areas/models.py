"""Tables of research areas (the institute's teams)."""

from __future__ import annotations

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ifm_api.core.db import Base
from ifm_api.core.models import ContentRow, TranslationRow


class ResearchArea(ContentRow, Base):
    __tablename__ = "research_areas"

    sort_order: Mapped[int] = mapped_column(default=0)
    translations: Mapped[list[ResearchAreaTranslation]] = relationship(
        lazy="raise",
        cascade="all, delete-orphan",
        # Ordered like the (row_pk, lang) index, so SQLite looks rows up by it.
        order_by="[ResearchAreaTranslation.row_pk, ResearchAreaTranslation.lang]",
    )


class ResearchAreaTranslation(TranslationRow, Base):
    __tablename__ = "research_area_translations"
    __parent_table__ = "research_areas"

    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
