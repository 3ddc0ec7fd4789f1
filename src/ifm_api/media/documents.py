"""PDFs with pypdf: what a report's download link shows (pages; the declared title and
language). A PDF pypdf cannot read, or one encrypted with a password, is still a valid
upload: the file is stored, its metadata stays empty, and the upload answers a warning."""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass, field
from typing import Any

from pypdf import PdfReader

log = logging.getLogger(__name__)
MAX_TITLE = 500
MAX_LANG = 35


@dataclass
class DocumentInfo:
    page_count: int | None = None
    title: str | None = None
    lang: str | None = None
    warnings: list[str] = field(default_factory=list)  # message keys


def probe(data: bytes) -> DocumentInfo:
    info = DocumentInfo()
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not _opens_without_password(reader):
            info.warnings.append("pdf_encrypted")
            return info
        info.page_count = len(reader.pages)
        info.title = _text(reader.metadata.title if reader.metadata else None, MAX_TITLE)
        info.lang = _text(reader.trailer["/Root"].get("/Lang"), MAX_LANG)
    except Exception as exc:  # pypdf raises many kinds on broken files
        log.info("PDF not readable: %s", exc)
        info = DocumentInfo(warnings=["pdf_unreadable"])
    return info


def _opens_without_password(reader: PdfReader) -> bool:
    """Encrypted with an empty user password (only permissions set): readable anyway."""
    try:
        return bool(reader.decrypt(""))
    except Exception:
        return False


def _text(value: Any, limit: int) -> str | None:
    if value is None:
        return None
    text = str(value).replace("\x00", "").strip()
    return text[:limit] or None
