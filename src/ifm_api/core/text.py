"""Text on the way in: Unicode NFC, rich text cleaned to an allowlist, slugs."""

from __future__ import annotations

import unicodedata
from typing import Any

import nh3
from slugify import slugify

# What no stored text holds (``core.schemas.storable_text``), as a pattern for the document.
NO_NUL = r"^[^\x00]*$"

RICH_TEXT_TAGS = {
    "p", "br", "hr", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "a", "strong", "b",
    "em", "i", "u", "s", "sub", "sup", "blockquote", "code", "pre", "abbr",
    "table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption",
}  # fmt: skip
RICH_TEXT_ATTRIBUTES = {
    "a": {"href", "title", "hreflang"},
    "abbr": {"title"},
    "th": {"colspan", "rowspan", "scope"},
    "td": {"colspan", "rowspan"},
}
URL_SCHEMES = {"http", "https", "mailto", "tel"}
GERMAN_REPLACEMENTS = [
    ["Ä", "Ae"], ["Ö", "Oe"], ["Ü", "Ue"], ["ä", "ae"], ["ö", "oe"], ["ü", "ue"],
    ["ß", "ss"], ["ẞ", "SS"],
]  # fmt: skip
MAX_SLUG = 120


def nfc(value: Any) -> Any:
    """Normalise every string inside ``value`` to Unicode NFC."""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, dict):
        return {nfc(k): nfc(v) for k, v in value.items()}
    if isinstance(value, list):
        return [nfc(v) for v in value]
    return value


def clean_html(html: str | None) -> str | None:
    """Keep paragraphs, headings, lists, links, emphasis and tables; drop everything else."""
    if html is None:
        return None
    return nh3.clean(
        html,
        tags=RICH_TEXT_TAGS,
        attributes=RICH_TEXT_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    ).strip()


def make_slug(text: str) -> str:
    """Lowercase ASCII slug with German transliteration (ä -> ae, ß -> ss)."""
    return (
        slugify(text, replacements=GERMAN_REPLACEMENTS, max_length=MAX_SLUG, word_boundary=True)
        or "item"
    )
