"""Writing the per-field timestamps of translations (called by ``core.editing``).

Every write of the working copy records, per language, the translated fields whose value
changed. A change marked ``translation_impact: none`` leaves the source language's
timestamps alone, so a typo fix does not make the other languages outdated.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from flask import current_app
from sqlalchemy import delete, select

from ifm_api.core import db
from ifm_api.core.db import utcnow
from ifm_api.core.i18n import default_language
from ifm_api.translation.models import FieldChange

NO_IMPACT = "none"
IMPACTS = ("normal", NO_IMPACT)


def source_language() -> str:
    """The language translations are made from: ``IFM_TRANSLATION_SOURCE``, by default the
    default language."""
    return current_app.config["IFM"].translation_source or default_language()


def record_changes(
    entity_id: int,
    changed: Mapping[str, Iterable[str]],
    removed: Iterable[str] = (),
    *,
    impact: str | None = None,
    when: datetime | None = None,
) -> None:
    """Stamp the changed fields per language; forget the stamps of removed translations."""
    session = db.session()
    removed = list(removed)
    if removed:
        session.execute(
            delete(FieldChange).where(
                FieldChange.entity_id == entity_id, FieldChange.lang.in_(removed)
            )
        )
    wanted = {
        (lang, field)
        for lang, fields in changed.items()
        if not (impact == NO_IMPACT and lang == source_language())
        for field in fields
    }
    if not wanted:
        return
    when = when or utcnow()
    existing = {
        (change.lang, change.field): change
        for change in session.scalars(
            select(FieldChange).where(
                FieldChange.entity_id == entity_id,
                FieldChange.lang.in_({lang for lang, _field in wanted}),
            )
        )
    }
    for lang, field in sorted(wanted):
        change = existing.get((lang, field))
        if change is None:
            session.add(FieldChange(entity_id=entity_id, lang=lang, field=field, changed_at=when))
        else:
            change.changed_at = when
