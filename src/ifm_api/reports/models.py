"""Tables of reports (publications) and their files."""

from __future__ import annotations

from datetime import date

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ifm_api.core.db import Base
from ifm_api.core.models import ContentRow, Media, TranslationRow

REPORT_TYPES = (
    "short_report",
    "final_report",
    "working_paper",
    "article",
    "book",
    "chapter",
    "other",
)


class Report(ContentRow, Base):
    __tablename__ = "reports"
    __table_args__ = (
        *ContentRow.__table_args__,
        Index("ix_reports_list", "state", "publication_date", "entity_id"),
    )

    publication_date: Mapped[date | None]
    report_type: Mapped[str] = mapped_column(String(32), default="other")
    series: Mapped[str | None] = mapped_column(String(200))
    number: Mapped[str | None] = mapped_column(String(50))
    doi: Mapped[str | None] = mapped_column(String(200))
    isbn: Mapped[str | None] = mapped_column(String(20))
    external_url: Mapped[str | None] = mapped_column(String(500))
    translations: Mapped[list[ReportTranslation]] = relationship(
        lazy="raise",
        cascade="all, delete-orphan",
        # Ordered like the (row_pk, lang) index, so SQLite looks rows up by it.
        order_by="[ReportTranslation.row_pk, ReportTranslation.lang]",
    )
    files: Mapped[list[ReportFile]] = relationship(
        lazy="raise", cascade="all, delete-orphan", order_by="ReportFile.position"
    )


class ReportTranslation(TranslationRow, Base):
    __tablename__ = "report_translations"
    __parent_table__ = "reports"

    title: Mapped[str] = mapped_column(String(300))
    abstract: Mapped[str | None] = mapped_column(Text)


class ReportFile(Base):
    """A file of a report; ``lang`` is the document's own language."""

    __tablename__ = "report_files"

    pk: Mapped[int] = mapped_column(primary_key=True)
    row_pk: Mapped[int] = mapped_column(ForeignKey("reports.pk", ondelete="CASCADE"), index=True)
    media_id: Mapped[int] = mapped_column(ForeignKey("media.id", ondelete="RESTRICT"))
    lang: Mapped[str] = mapped_column(String(16))
    position: Mapped[int] = mapped_column(default=0)
    label: Mapped[str | None] = mapped_column(String(200))
    media: Mapped[Media] = relationship(lazy="raise")
