"""When each translated field of an item was last written, per language (no Flask imports).

One row per (item, language, field), written by the editing machinery whenever the field's
value in the working copy changes. A translation is outdated in a field when the source
language's row for it is newer than its own.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ifm_api.core.db import Base


class FieldChange(Base):
    """The last write of one translated field in one language of an item's working copy."""

    __tablename__ = "translation_field_changes"

    entity_id: Mapped[int] = mapped_column(
        ForeignKey("content_entities.id", ondelete="CASCADE"), primary_key=True
    )
    lang: Mapped[str] = mapped_column(String(16), primary_key=True)
    field: Mapped[str] = mapped_column(String(64), primary_key=True)
    changed_at: Mapped[datetime]
