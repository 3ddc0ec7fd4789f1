"""Files: content sniffing, storage by content hash, and their stable URLs."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from ifm_api.core import db
from ifm_api.core.messages import N_
from ifm_api.core.models import Media

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


def media_root() -> Path:
    return Path(current_app.config["IFM"].media_root)


def media_path(media: Media) -> Path:
    return media_root() / media.sha256[:2] / media.sha256


def media_url(api_root: str, media: Media) -> str:
    return f"{api_root}/media/{media.id}/{media.filename}"


def store_file(data: bytes, filename: str, content_type: str, *, author: str | None) -> Media:
    """Write the bytes (once per content) and add a Media row to the session."""
    digest = hashlib.sha256(data).hexdigest()
    media = Media(
        filename=safe_filename(filename, content_type),
        content_type=content_type,
        size=len(data),
        sha256=digest,
        created_by=author,
    )
    path = media_path(media)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".part")
        tmp.write_bytes(data)
        tmp.replace(path)
    db.session().add(media)
    return media


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
        raise ValidationFailed(errors=errors)


def find_media(media_id: int) -> Media | None:
    return db.session().scalar(select(Media).where(Media.id == media_id))
