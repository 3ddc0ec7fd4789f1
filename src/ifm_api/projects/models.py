"""Tables of research projects."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ifm_api.core.db import Base
from ifm_api.core.models import ContentRow, TranslationRow


class Project(ContentRow, Base):
    __tablename__ = "projects"
    __table_args__ = (
        *ContentRow.__table_args__,
        Index("ix_projects_list", "state", "start_date", "entity_id"),
    )

    start_date: Mapped[date | None]
    end_date: Mapped[date | None]
    funders: Mapped[list[Any]] = mapped_column(default=list)
    partners: Mapped[list[Any]] = mapped_column(default=list)
    translations: Mapped[list[ProjectTranslation]] = relationship(
        lazy="raise",
        cascade="all, delete-orphan",
        # Ordered like the (row_pk, lang) index, so SQLite looks rows up by it.
        order_by="[ProjectTranslation.row_pk, ProjectTranslation.lang]",
    )


class ProjectTranslation(TranslationRow, Base):
    __tablename__ = "project_translations"
    __parent_table__ = "projects"

    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
