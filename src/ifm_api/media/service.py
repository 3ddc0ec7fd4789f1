"""The media library: checking uploads, listing files with the items that use them,
changing their metadata (optimistic lock) and deleting unused ones."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, Select, exists, func, or_, select, update
from sqlalchemy.orm import selectinload

from ifm_api.core import db
from ifm_api.core.content import REGISTRY
from ifm_api.core.db import utcnow
from ifm_api.core.editing import announce_media_change
from ifm_api.core.errors import ApiError, Conflict, PreconditionFailed, ValidationFailed
from ifm_api.core.i18n import pick_translation
from ifm_api.core.media import (
    DOCUMENT_TYPES,
    IMAGE_TYPES,
    TEXT_FIELDS,
    discard_unused_files,
    focal_point,
    media_url,
    original_key,
    renditions_key,
)
from ifm_api.core.messages import N_
from ifm_api.core.models import DRAFT, ContentEntity, Media, MediaTranslation
from ifm_api.core.storage import storage
from ifm_api.media import documents, images

TYPE_FILTERS = {"image": IMAGE_TYPES, "document": DOCUMENT_TYPES}


class UploadRejected(ApiError):
    status, default_key = 422, "image_unreadable"


# --- uploads ---------------------------------------------------------------------------------


def inspect_upload(data: bytes, content_type: str) -> tuple[dict[str, Any], list[str]]:
    """What to record about an upload, and warning keys; 422 for an image that must not be
    stored (too many pixels, truncated, not what it claims to be)."""
    if content_type in IMAGE_TYPES:
        settings = current_app.config["IFM"]
        try:
            info = images.probe(data, content_type, max_pixels=settings.media_max_pixels)
        except images.ImageRejected as exc:
            limit = exc.args_.get("limit")
            raise UploadRejected(
                exc.key,
                detail_args={"limit": f"{limit:,}" if limit else ""},
                errors={"file": [MESSAGES[exc.key]]},
            ) from exc
        return {"width": info.width, "height": info.height}, []
    if content_type == "application/pdf":
        document = documents.probe(data)
        properties = {
            "page_count": document.page_count,
            "document_title": document.title,
            "document_lang": document.lang,
        }
        return properties, document.warnings
    return {}, []


MESSAGES = {
    "image_too_large": N_("The image has more pixels than accepted."),
    "image_unreadable": N_("The image is truncated or damaged."),
}
WARNINGS = {
    "pdf_encrypted": N_("The PDF is encrypted; its pages, title and language were not read."),
    "pdf_unreadable": N_("The PDF could not be read; its pages, title and language are unknown."),
}


# --- who uses a file -------------------------------------------------------------------------


def used_by(media_ids: list[int], lang: str, api_root: str) -> dict[int, list[dict[str, Any]]]:
    """Per file, the items using it (working copy or public version; soft-deleted ones
    too, flagged, since they still hold the file). Two queries per content type that has
    files, whatever the number of files."""
    found: dict[int, list[dict[str, Any]]] = defaultdict(list)
    if not media_ids:
        return found
    for spec in REGISTRY.values():
        if spec.media_ids is None:
            continue
        query = spec.media_ids()
        column = query.selected_columns[0]
        pairs = db.session().execute(
            query.with_only_columns(column, spec.model.entity_id)
            .where(column.in_(media_ids))
            .distinct()
        )
        users: dict[int, set[int]] = defaultdict(set)
        for media_id, entity_id in pairs:
            users[entity_id].add(media_id)
        if not users:
            continue
        rows = db.session().execute(
            select(spec.model, ContentEntity)
            .join(ContentEntity, ContentEntity.id == spec.model.entity_id)
            .where(spec.model.entity_id.in_(users), spec.model.state == DRAFT)
            .options(selectinload(spec.model.translations))
        )
        for row, entity in rows:
            by_lang = {t.lang: t for t in row.translations}
            picked = pick_translation(by_lang, lang, spec.translated_fields)
            values = picked.values if picked else dict.fromkeys(spec.translated_fields)
            label = spec.label_of(row, values) if picked or spec.label else None
            user = {
                "id": entity.id,
                "type": spec.type,
                "label": label,
                "url": f"{api_root}/{spec.segment}/{entity.id}",
                "deleted": entity.deleted_at is not None,
            }
            for media_id in users[entity.id]:
                found[media_id].append(user)
    for users_of_file in found.values():
        users_of_file.sort(key=lambda user: (user["type"], user["id"]))
    return found


def _used_condition() -> ColumnElement[bool]:
    conditions = []
    for spec in REGISTRY.values():
        if spec.media_ids is not None:
            query = spec.media_ids()
            column = query.selected_columns[0]
            conditions.append(exists(query.where(column == Media.id)))
    return or_(*conditions)


# --- listing ----------------------------------------------------------------------------------


def _filtered(args: Mapping[str, Any]) -> Select[Any]:
    stmt = select(Media)
    if args.get("type"):
        stmt = stmt.where(Media.content_type.in_(sorted(TYPE_FILTERS[args["type"]])))
    if args.get("q"):
        pattern = f"%{_escape_like(args['q'].lower())}%"
        titled = exists().where(
            MediaTranslation.media_id == Media.id,
            func.lower(MediaTranslation.title).like(pattern, escape="\\"),
        )
        stmt = stmt.where(
            or_(
                func.lower(Media.filename).like(pattern, escape="\\"),
                func.lower(Media.document_title).like(pattern, escape="\\"),
                titled,
            )
        )
    if args.get("unused") is not None:
        used = _used_condition()
        stmt = stmt.where(~used if args["unused"] else used)
    return stmt


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def list_media(args: Mapping[str, Any]) -> tuple[list[Media], int]:
    """One page of files, newest first, and the total."""
    base = _filtered(args)
    total = db.session().scalar(select(func.count()).select_from(base.subquery())) or 0
    page, page_size = args["page"], args["page_size"]
    if total == 0 or (page - 1) * page_size >= total:
        return [], total
    rows = db.session().scalars(
        base.options(selectinload(Media.translations))
        .order_by(Media.created_at.desc(), Media.id.desc())
        .limit(page_size)
        .offset((page - 1) * page_size)
    )
    return list(rows), total


# --- one file ---------------------------------------------------------------------------------


def get_media(media_id: int) -> Media | None:
    return db.session().scalar(
        select(Media).where(Media.id == media_id).options(selectinload(Media.translations))
    )


def media_etag_data(media: Media) -> list[Any]:
    """What a file's ETag is computed from (its renditions depend on the configuration)."""
    settings = current_app.config["IFM"]
    return ["media", media.id, media.version, settings.media_widths, settings.media_ratios]


def representation(media: Media, api_root: str) -> dict[str, Any]:
    """A file with all its metadata in every language (the shape PATCH takes back)."""
    settings = current_app.config["IFM"]
    is_image = media.content_type in IMAGE_TYPES
    body: dict[str, Any] = {
        "id": media.id,
        "kind": "image" if is_image else "document",
        "filename": media.filename,
        "content_type": media.content_type,
        "size": media.size,
        "sha256": media.sha256,
        "url": media_url(api_root, media),
        "created_at": media.created_at,
        "version": media.version,
        "updated_at": media.updated_at,
        "license": media.license,
        "translations": {
            t.lang: {name: getattr(t, name) for name in TEXT_FIELDS if name != "alt" or is_image}
            for t in media.translations
        },
    }
    if is_image:
        body.update(
            width=media.width,
            height=media.height,
            focal_point=focal_point(media),
            renditions=images.renditions(media, api_root, settings),
            crops=images.crops(media, api_root, settings),
        )
    else:
        body.update(
            page_count=media.page_count,
            document_title=media.document_title,
            document_lang=media.document_lang,
        )
    return body


def update_media(
    media: Media, data: Mapping[str, Any], *, expected_version: int, author: str | None
) -> None:
    """Apply a PATCH: only the named fields change; ``translations.<lang>: null`` removes
    a language. 412 when someone else wrote since ``expected_version``."""
    is_image = media.content_type in IMAGE_TYPES
    errors: dict[str, list[str]] = {}
    if not is_image and data.get("focal_point") is not None:
        errors["focal_point"] = [N_("Only images have a focal point.")]
    for lang, texts in (data.get("translations") or {}).items():
        if texts and texts.get("alt") and not is_image:
            errors[f"translations.{lang}.alt"] = [N_("Only images have an alt text.")]
    if errors:
        raise ValidationFailed(errors=errors)
    now = utcnow()
    result = db.session().execute(
        update(Media)
        .where(Media.id == media.id, Media.version == expected_version)
        .values(version=expected_version + 1, updated_at=now, updated_by=author)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise PreconditionFailed()
    db.session().refresh(media, ["version", "updated_at", "updated_by"])
    if "license" in data:
        media.license = data["license"]
    if "focal_point" in data:
        point = data["focal_point"]
        media.focal_x, media.focal_y = (point["x"], point["y"]) if point else (None, None)
    _apply_translations(media, data.get("translations") or {})
    announce_media_change(media.id)


def _apply_translations(media: Media, changes: Mapping[str, Any]) -> None:
    by_lang = {t.lang: t for t in media.translations}
    for lang, texts in changes.items():
        if texts is None:
            if lang in by_lang:
                media.translations.remove(by_lang[lang])
            continue
        translation = by_lang.get(lang)
        if translation is None:
            translation = MediaTranslation(lang=lang)
            media.translations.append(translation)
        for name, value in texts.items():
            setattr(translation, name, value)


def delete_media(media: Media, lang: str, api_root: str) -> None:
    """Delete an unused file (its bytes follow after the commit unless another row shares
    them); 409 naming the items when any item uses it."""
    users = used_by([media.id], lang, api_root).get(media.id, [])
    if users:
        raise Conflict(
            "media_in_use",
            detail_args={"id": media.id, "items": ", ".join(_describe(u) for u in users)},
            extra={"used_by": users},
        )
    digest = media.sha256
    db.session().delete(media)
    db.session().flush()
    db.after_commit(lambda: discard_unused_files({digest}))


def _describe(user: Mapping[str, Any]) -> str:
    label = f" “{user['label']}”" if user.get("label") else ""
    return f"{user['type']} {user['id']}{label}"


def rendition_bytes(media: Media, variant: images.Variant) -> bytes:
    """A rendition's bytes: stored ones, else made now and stored (once, under a lock, so a
    burst of first requests decodes the original once)."""
    store = storage()
    key = f"{renditions_key(media.sha256)}/{images.rendition_name(media, variant)}"
    if store.exists(key):
        return store.read(key)
    with store.lock(key):
        if store.exists(key):
            return store.read(key)
        data = images.render(store.read(original_key(media.sha256)), media, variant)
        store.save(key, data)
    return data
