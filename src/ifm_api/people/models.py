"""Tables of people (staff and alumni)."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ifm_api.core.db import Base
from ifm_api.core.models import ContentRow, Media, TranslationRow


class Person(ContentRow, Base):
    __tablename__ = "people"
    __table_args__ = (
        *ContentRow.__table_args__,
        Index("ix_people_list", "state", "sort_key", "entity_id"),
    )

    honorific_prefix: Mapped[str | None] = mapped_column(String(50))
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    sort_key: Mapped[str] = mapped_column(String(250))
    email: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(50))
    orcid: Mapped[str | None] = mapped_column(String(19))
    is_current: Mapped[bool] = mapped_column(default=True)
    portrait_id: Mapped[int | None] = mapped_column(ForeignKey("media.id", ondelete="SET NULL"))
    portrait: Mapped[Media | None] = relationship(lazy="raise")
    translations: Mapped[list[PersonTranslation]] = relationship(
        lazy="raise",
        cascade="all, delete-orphan",
        # Ordered like the (row_pk, lang) index, so SQLite looks rows up by it.
        order_by="[PersonTranslation.row_pk, PersonTranslation.lang]",
    )


class PersonTranslation(TranslationRow, Base):
    __tablename__ = "person_translations"
    __parent_table__ = "people"

    position: Mapped[str | None] = mapped_column(String(200))
    biography: Mapped[str | None] = mapped_column(Text)
