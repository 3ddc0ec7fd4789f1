"""Files: content sniffing, storage by content hash, their stable URLs and their lifetime."""

from __future__ import annotations

import hashlib
import mimetypes
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import delete, select

from ifm_api.core import db
from ifm_api.core.content import REGISTRY, ReadContext
from ifm_api.core.messages import N_
from ifm_api.core.models import Media
from ifm_api.core.storage import storage

SIGNATURES: tuple[tuple[str, bytes, int], ...] = (
    ("application/pdf", b"%PDF-", 0),
    ("image/jpeg", b"\xff\xd8\xff", 0),
    ("image/png", b"\x89PNG\r\n\x1a\n", 0),
    ("image/webp", b"WEBP", 8),
)
EXTENSIONS = {
    "application/pdf": ".pdf",
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
}
DOCUMENT_TYPES = frozenset({"application/pdf"})
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})
TEXT_FIELDS = ("title", "alt", "caption", "credit")
CLAIMS = {
    ".pdf": "application/pdf",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".jpe": "image/jpeg",
    ".jfif": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
}


def sniff(data: bytes) -> str | None:
    """The file's real type from its first bytes, ignoring its name."""
    for content_type, magic, offset in SIGNATURES:
        if data[offset : offset + len(magic)] == magic:
            if content_type == "image/webp" and not data.startswith(b"RIFF"):
                continue
            return content_type
    return None


def safe_filename(name: str, content_type: str) -> str:
    stem = Path(name or "file").stem
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-.") or "file"
    return stem[:120] + EXTENSIONS.get(content_type, "")


def claimed_type(name: str) -> str | None:
    """The type a file name's extension claims (None: no extension, or an unknown one)."""
    suffix = Path(name).suffix.lower()
    if suffix in CLAIMS:
        return CLAIMS[suffix]
    guessed, _encoding = mimetypes.guess_type(f"x{suffix}") if suffix else (None, None)
    return guessed


def original_key(sha256: str) -> str:
    """Storage key of an original: its SHA-256, sharded by the first two hex digits."""
    return f"{sha256[:2]}/{sha256}"


def renditions_key(sha256: str) -> str:
    """Storage prefix of the images derived from an original."""
    return f"renditions/{sha256[:2]}/{sha256}"


def media_path(media: Media) -> Path:
    return storage().local_path(original_key(media.sha256))


def media_url(api_root: str, media: Media) -> str:
    return f"{api_root}/media/{media.id}/{media.filename}"


def file_texts(media: Media, ctx: ReadContext) -> dict[str, Any]:
    """A file's texts in the read's language, each field falling back along the language's
    chain like every translated field (``fallback_fields`` names those taken from another
    language; ``lang`` the language of the alt text, for the ``lang`` attribute)."""
    by_lang = {t.lang: t for t in media.translations}
    langs = ctx.langs or (ctx.lang,)
    out: dict[str, Any] = {}
    fallback_fields = []
    alt_lang = None
    for name in TEXT_FIELDS:
        if name == "alt" and media.content_type not in IMAGE_TYPES:
            continue
        value = None
        for lang in langs:
            candidate = getattr(by_lang[lang], name) if lang in by_lang else None
            if candidate:
                value = candidate
                if lang != ctx.lang:
                    fallback_fields.append(name)
                if name == "alt":
                    alt_lang = lang
                break
        out[name] = value
    if media.content_type in IMAGE_TYPES:
        out["alt_lang"] = alt_lang
    out["license"] = media.license
    out["fallback_fields"] = fallback_fields
    return out


def image_representation(media: Media, ctx: ReadContext) -> dict[str, Any]:
    """An image as the public sees it inside an item: texts, size, focal point, srcset-ready
    renditions (full image) and crops per configured ratio."""
    from ifm_api.media.images import crops, renditions

    settings = current_app.config["IFM"]
    return {
        "media_id": media.id,
        "content_type": media.content_type,
        "url": media_url(ctx.api_root, media),
        "width": media.width,
        "height": media.height,
        "focal_point": focal_point(media),
        **file_texts(media, ctx),
        "renditions": renditions(media, ctx.api_root, settings),
        "crops": crops(media, ctx.api_root, settings),
    }


def focal_point(media: Media) -> dict[str, float] | None:
    if media.focal_x is None or media.focal_y is None:
        return None
    return {"x": media.focal_x, "y": media.focal_y}


def store_file(
    data: bytes,
    filename: str,
    content_type: str,
    *,
    author: str | None,
    properties: dict[str, Any] | None = None,
) -> Media:
    """Write the bytes (once per content) and add a Media row to the session.

    Identical uploads at the same moment each write a temporary file of their own, and the
    renames are atomic, so whichever lands last leaves the same complete file. After the
    commit the file is checked once more under the key's lock: a delete of the last other
    row with these bytes may have removed it in between (``discard_unused_files``).
    """
    digest = hashlib.sha256(data).hexdigest()
    media = Media(
        filename=safe_filename(filename, content_type),
        content_type=content_type,
        size=len(data),
        sha256=digest,
        created_by=author,
        **(properties or {}),
    )
    _ensure_stored(data, digest)
    db.session().add(media)
    db.after_commit(lambda: _ensure_stored(data, digest))
    return media


def _ensure_stored(data: bytes, digest: str) -> None:
    store, key = storage(), original_key(digest)
    with store.lock(key):
        # A file of another size is a leftover of an old, non-atomic write: replace it.
        if not store.exists(key, size=len(data)):
            store.save(key, data, sha256=digest)


def media_ids_of(entity_id: int) -> set[int]:
    """The files an item uses, in its working copy or its public version."""
    ids: set[int] = set()
    for spec in REGISTRY.values():
        if spec.media_ids is not None:
            query = spec.media_ids().where(spec.model.entity_id == entity_id)
            ids.update(value for value in db.session().scalars(query) if value is not None)
    return ids


def used_media_ids(candidates: set[int]) -> set[int]:
    """Those of ``candidates`` that any item (any state, soft-deleted ones too) uses."""
    used: set[int] = set()
    if not candidates:
        return used
    for spec in REGISTRY.values():
        if spec.media_ids is not None:
            query = spec.media_ids()
            column = query.selected_columns[0]
            used.update(db.session().scalars(query.where(column.in_(candidates)).distinct()))
    return used


def release_media(candidates: set[int]) -> None:
    """Delete the rows of those files no item uses any more; their bytes follow after the
    commit unless another row has the same content (shared files stay)."""
    unused = candidates - used_media_ids(candidates)
    if not unused:
        return
    session = db.session()
    digests = set(session.scalars(select(Media.sha256).where(Media.id.in_(unused))))
    session.execute(delete(Media).where(Media.id.in_(unused)))
    db.after_commit(lambda: discard_unused_files(digests))


def discard_unused_files(digests: set[str]) -> None:
    """Remove the stored bytes (and renditions) of contents no Media row references.

    Checked under the key's lock, which an upload of the same bytes takes after its commit
    too: either the upload's row is seen here and the file stays, or the upload finds the
    file gone and writes it again.
    """
    store = storage()
    for digest in sorted(digests):
        with store.lock(original_key(digest)):
            if not _referenced(digest):
                store.delete(original_key(digest))
                store.delete(renditions_key(digest))


def check_media(media_ids: list[int], allowed: frozenset[str], path: str) -> None:
    """Every id must be an uploaded file of an allowed type (422 otherwise)."""
    from ifm_api.core.errors import ValidationFailed

    found = {
        media.id: media
        for media in db.session().scalars(select(Media).where(Media.id.in_(media_ids)))
    }
    errors: dict[str, list[str]] = {}
    for index, media_id in enumerate(media_ids):
        key = f"{path}.{index}" if path == "files" else path
        media = found.get(media_id)
        if media is None:
            errors[key] = [N_("No file with this id.")]
        elif media.content_type not in allowed:
            errors[key] = [N_("This file type is not allowed here.")]
    if errors:
        raise ValidationFailed("invalid_reference", errors=errors)


def find_media(media_id: int) -> Media | None:
    return db.session().scalar(select(Media).where(Media.id == media_id))


@dataclass
class GarbageReport:
    """What ``collect_garbage`` found (and, unless a dry run, removed)."""

    removed: list[str] = field(default_factory=list)
    missing: list[Media] = field(default_factory=list)
    kept_young: int = 0


def collect_garbage(*, grace_seconds: float, dry_run: bool = False) -> GarbageReport:
    """Remove stored bytes no Media row references, and report rows whose file is gone.

    Unreferenced originals and temporary files younger than ``grace_seconds`` stay: an
    upload writes its file before it commits its row. Renditions go when their original's
    rows are gone, and when no row names them any more (a crop from before a focal point
    change, a width no longer configured).
    """
    store = storage()
    report = GarbageReport()
    rows = list(db.session().scalars(select(Media).order_by(Media.id)))
    referenced = {media.sha256 for media in rows}
    current = _current_renditions(rows)
    cutoff = time.time() - grace_seconds
    for stored in store.listing():
        digest = _digest_of(stored.key)
        is_rendition = stored.key.startswith("renditions/")
        if digest in referenced and not stored.temporary:
            if not is_rendition or stored.key.rsplit("/", 1)[1] in current.get(digest, ()):
                continue
        elif stored.mtime > cutoff and not is_rendition:
            report.kept_young += 1
            continue
        report.removed.append(stored.key)
        if not dry_run:
            with store.lock(stored.key):
                if stored.temporary or is_rendition or not _referenced(digest):
                    store.delete(stored.key)
    report.missing = [m for m in rows if not store.exists(original_key(m.sha256), size=m.size)]
    return report


def _current_renditions(rows: list[Media]) -> dict[str, set[str]]:
    """Per original, the names of every rendition its rows can ask for now."""
    from ifm_api.media.images import Variant, formats_of, rendition_name

    settings = current_app.config["IFM"]
    names: dict[str, set[str]] = {}
    for media in rows:
        if media.content_type not in IMAGE_TYPES or not (media.width and media.height):
            continue
        wanted = names.setdefault(media.sha256, set())
        for ext in formats_of(media):
            for ratio in (None, *settings.media_ratios):
                for width in settings.media_widths:
                    wanted.add(rendition_name(media, Variant(width, ratio, ext)))
    return names


def _digest_of(key: str) -> str:
    """The SHA-256 an original, a rendition or a temporary file belongs to."""
    parts = key.split("/")
    name = parts[2] if parts[0] == "renditions" and len(parts) > 2 else parts[-1]
    return name.lstrip(".").split(".", 1)[0]


def _referenced(digest: str) -> bool:
    """Whether a committed Media row has these bytes (its own connection: a fresh read,
    whatever the request's session holds)."""
    with db.engine().connect() as connection:
        return (
            connection.scalar(select(Media.id).where(Media.sha256 == digest).limit(1)) is not None
        )
