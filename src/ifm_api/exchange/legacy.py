"""Reading one page of the institute's old website (plain text) into a news item's parts.

No database here: :func:`parse_page` turns the bytes of a file into a :class:`LegacyPage` or
raises :class:`PageError` with the reason, so a page is understood completely before anything
is written. The format (see ``tests/fixtures/legacy/``):

- the German title, its paragraphs (the first is the teaser), separated by blank lines;
- optionally a marker line ``(English version further below)`` anywhere in the German part;
- optionally the English title and paragraphs, usually after a line holding only a
  non-breaking space (the old site's empty paragraph);
- a date line ``dd.mm.yy`` (or ``dd.mm.yyyy``);
- after it the site's navigation remnants (``Initiativen und Portale des ifm:``, ``Start``)
  mixed with the names of the people involved, with honorifics (``Dr.``, ``Prof. Dr.``).
"""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime

from ifm_api.core.media import sniff

TITLE_MAX = 300

MARKER = re.compile(
    r"\(?\s*(?:english\s+version\s+(?:further\s+|see\s+)?below"
    r"|englische\s+version\s+(?:weiter\s+)?unten)\s*\.?\s*\)?",
    re.IGNORECASE,
)
DATE_LINE = re.compile(r"\s*(\d{1,2})\.(\d{1,2})\.(\d{4}|\d{2})\s*")
# Lines of the old site's page frame that are never content (compared case-insensitively,
# without a trailing colon). Any other line ending in a colon after the date is a menu heading.
NAVIGATION = frozenset(
    name.casefold()
    for name in (
        "Initiativen und Portale des ifm",
        "Start",
        "Startseite",
        "Home",
        "Aktuelles",
        "News",
        "Kontakt",
        "Impressum",
        "Datenschutz",
        "Datenschutzerklärung",
        "Sitemap",
        "Suche",
        "Search",
        "English",
        "Deutsch",
        "Nach oben",
        "Zurück",
        "Back",
        "Drucken",
        "Print",
    )
)
HONORIFICS = frozenset(
    word.casefold()
    for word in (
        "Prof.", "Dr.", "PD", "apl.", "Jun.-Prof.", "Hon.-Prof.", "Priv.-Doz.", "Dr.-Ing.",
        "Dipl.-Kfm.", "Dipl.-Kffr.", "Dipl.-Vw.", "Dipl.-Ing.", "Dipl.-Psych.", "Dipl.-Soz.",
        "rer.", "pol.", "nat.", "phil.", "oec.", "soc.", "h.c.", "habil.", "mult.",
    )
)  # fmt: skip
PARTICLES = frozenset({"von", "van", "de", "der", "den", "zu", "zur", "vom", "di", "da", "le"})
# Sentences that were links on the old site; their target is lost, so they are reported.
LINK_PHRASES = re.compile(
    r"(?:steht|stehen|ist|sind)\s+hier\s+zum\s+Download\s+bereit"
    r"|hier\s+zum\s+Download"
    r"|hier\s+(?:herunterladen|abrufbar|abrufen|nachlesen|lesen|finden|klicken)"
    r"|(?:finden\s+Sie|gibt\s+es)\s+(?:\w+\s+)?hier"
    r"|(?:can|may)\s+be\s+(?:found|downloaded|accessed|read)\s+here"
    r"|(?:click|download(?:\s+it)?|available|read\s+more)\s+here",
    re.IGNORECASE,
)
GERMAN_WORDS = frozenset({
    "der", "die", "das", "den", "dem", "des", "und", "ist", "sind", "nicht", "mit", "von", "zu",
    "zum", "zur", "im", "für", "auf", "sich", "ein", "eine", "einer", "eines", "wird", "werden",
    "wurde", "wurden", "auch", "als", "bei", "nach", "aus", "über", "unter", "sowie", "nun",
    "hier", "steht", "dass", "oder", "wie", "noch", "seit", "durch",
})  # fmt: skip
ENGLISH_WORDS = frozenset({
    "the", "and", "of", "to", "in", "is", "are", "for", "on", "with", "by", "that", "this",
    "was", "were", "have", "has", "been", "be", "from", "as", "at", "which", "will", "can",
    "its", "their", "an", "or", "it", "found", "whole", "first",
})  # fmt: skip


class PageError(Exception):
    """The file is not such a page; the message says why."""


@dataclass(frozen=True)
class PersonName:
    """A name from the page's people list."""

    text: str
    prefix: str | None
    given_name: str
    family_name: str


@dataclass(frozen=True)
class LinkPhrase:
    """Text that was a link on the old site and needs a target now."""

    lang: str
    phrase: str
    paragraph: str


@dataclass
class Version:
    """One language of the page: title, teaser (first paragraph), the other paragraphs."""

    title: str
    teaser: str | None = None
    paragraphs: list[list[str]] = field(default_factory=list)

    def body_html(self) -> str | None:
        """Paragraphs as ``<p>``, lines inside one as ``<br>``; the text is escaped."""
        if not self.paragraphs:
            return None
        return "".join(
            "<p>" + "<br>".join(html.escape(line, quote=False) for line in lines) + "</p>"
            for lines in self.paragraphs
        )


@dataclass
class LegacyPage:
    name: str
    day: date
    versions: dict[str, Version]
    people: list[PersonName]
    links: list[LinkPhrase]
    warnings: list[str]
    removed: list[str]

    @property
    def content_key(self) -> str:
        """Hash of the normalized German title and the date: the page's identity."""
        title = " ".join(self.versions["de"].title.casefold().split())
        return hashlib.sha256(f"{title}\n{self.day.isoformat()}".encode()).hexdigest()


# --- decoding -------------------------------------------------------------------------------


def decode(data: bytes) -> tuple[str, list[str]]:
    """The text of a file: UTF-8, else cp1252, else Latin-1 (with a warning); NFC."""
    if not data.strip():
        raise PageError("the file is empty")
    kind = sniff(data)
    if kind is not None:
        raise PageError(f"a binary file ({kind}), not a text page")
    controls = sum(1 for byte in data if byte < 32 and byte not in b"\t\n\r\f\v")
    if b"\x00" in data or controls > len(data) // 100:
        raise PageError("a binary file, not a text page")
    warnings: list[str] = []
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
            warnings.append("not UTF-8: read as cp1252 (Windows-1252)")
        except UnicodeDecodeError:
            text = data.decode("latin-1")
            warnings.append("not UTF-8 nor cp1252: read as Latin-1")
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    return text, warnings


# --- structure ------------------------------------------------------------------------------


@dataclass
class Block:
    lines: list[str]
    section_start: bool


def _blocks(lines: list[str]) -> list[Block]:
    """Paragraphs separated by blank lines; a line of only a no-break space starts a section."""
    blocks: list[Block] = []
    current: list[str] = []
    section_start = True
    pending_break = False
    for raw in lines:
        line = raw.strip()  # inner characters (no-break spaces too) stay exactly as they are
        if line:
            if not current:
                section_start = pending_break or not blocks
                pending_break = False
            current.append(line)
            continue
        if current:
            blocks.append(Block(current, section_start))
            current = []
        if "\xa0" in raw:
            pending_break = True
    if current:
        blocks.append(Block(current, section_start))
    return blocks


def _language(lines: list[str]) -> str | None:
    words = re.findall(r"[^\W\d_]+", " ".join(lines).casefold())
    german = sum(word in GERMAN_WORDS for word in words)
    english = sum(word in ENGLISH_WORDS for word in words)
    if german == english:
        return None
    return "de" if german > english else "en"


def _english_start(blocks: list[Block]) -> int | None:
    """Index of the English title: the first English block after the German title and
    teaser, preferring one that starts a section."""
    candidates = [i for i, b in enumerate(blocks) if i >= 2 and _language(b.lines) == "en"]
    if not candidates:
        return None
    starting = [i for i in candidates if blocks[i].section_start]
    return starting[0] if starting else candidates[0]


def _version(blocks: list[Block], lang: str) -> Version:
    first = blocks[0].lines
    title = first[0]
    if len(title) > TITLE_MAX:
        raise PageError(
            f"no title: the first line of the {lang} text is {len(title)} characters long"
        )
    paragraphs = ([first[1:]] if len(first) > 1 else []) + [b.lines for b in blocks[1:]]
    version = Version(title=title)
    if paragraphs:
        version.teaser = " ".join(paragraphs[0])
        version.paragraphs = paragraphs[1:]
    return version


def _clean_blocks(blocks: list[Block], removed: list[str]) -> tuple[list[Block], bool]:
    """Drop the marker line and navigation remnants; whether the marker was there."""
    marker = False
    kept: list[Block] = []
    carried = False  # a dropped block's section break moves on to the next kept one
    for block in blocks:
        lines = []
        for line in block.lines:
            if MARKER.fullmatch(line):
                marker = True
                removed.append(line)
            elif _is_navigation(line):
                removed.append(line)
            else:
                lines.append(line)
        if lines:
            kept.append(Block(lines, block.section_start or carried))
            carried = False
        else:
            carried = carried or block.section_start
    return kept, marker


def _is_navigation(line: str) -> bool:
    return line.rstrip(":").strip().casefold() in NAVIGATION


def _parse_date(match: re.Match[str]) -> date:
    day, month, year = match.groups()
    fmt = "%d.%m.%Y" if len(year) == 4 else "%d.%m.%y"
    try:
        return datetime.strptime(f"{day}.{month}.{year}", fmt).date()
    except ValueError as exc:
        raise PageError(f"the date line {match.group(0).strip()!r} is not a valid date") from exc


# --- people ---------------------------------------------------------------------------------


def _is_honorific(word: str) -> bool:
    return word.casefold() in HONORIFICS or bool(re.fullmatch(r"Dipl\.-\w+\.", word))


def parse_person(line: str) -> PersonName | None:
    """``Prof. Dr. Anna von der Heide`` -> prefix, given and family name (None: no name)."""
    text = " ".join(line.split())
    main = text.split(",", 1)[0]
    words = main.split()
    prefix: list[str] = []
    while words and _is_honorific(words[0]):
        prefix.append(words.pop(0))
    if not 2 <= len(words) <= 5 or words[-1] in PARTICLES:
        return None
    for word in words:
        if any(c.isdigit() for c in word) or not re.fullmatch(r"[^\W\d_][\w.'’-]*", word):
            return None
        if not (word[0].isupper() or word in PARTICLES):
            return None
    split = next((i for i, w in enumerate(words) if i >= 1 and w in PARTICLES), len(words) - 1)
    return PersonName(
        text=text,
        prefix=" ".join(prefix) or None,
        given_name=" ".join(words[:split]),
        family_name=" ".join(words[split:]),
    )


def name_key(given_name: str, family_name: str, *, loose: bool = False) -> str:
    """A name for matching: case-insensitive, ``ü`` = ``ue`` (``loose``: ``ü`` = ``u``),
    other accents and hyphens ignored."""
    text = unicodedata.normalize("NFC", f"{given_name} {family_name}").casefold()
    if not loose:
        for umlaut, spelled in (("ä", "ae"), ("ö", "oe"), ("ü", "ue")):
            text = text.replace(umlaut, spelled)
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return " ".join(re.sub(r"[-‐–'’.]", " ", text).split())


def _trailer(lines: list[str], removed: list[str], warnings: list[str]) -> list[PersonName]:
    people: list[PersonName] = []
    seen: set[str] = set()
    for raw in lines:
        line = " ".join(raw.split())
        if not line:
            continue
        if _is_navigation(line) or line.endswith(":"):
            removed.append(line)
            continue
        person = parse_person(line)
        if person is None:
            removed.append(line)
            warnings.append(f"line after the date is neither a name nor navigation: {line!r}")
            continue
        key = name_key(person.given_name, person.family_name)
        if key not in seen:
            seen.add(key)
            people.append(person)
    return people


def _link_phrases(versions: dict[str, Version]) -> list[LinkPhrase]:
    found = []
    for lang, version in versions.items():
        paragraphs = ([version.teaser] if version.teaser else []) + [
            " ".join(lines) for lines in version.paragraphs
        ]
        for paragraph in paragraphs:
            for match in LINK_PHRASES.finditer(paragraph):
                found.append(LinkPhrase(lang, match.group(0), paragraph))
    return found


# --- the page -------------------------------------------------------------------------------


def parse_page(data: bytes, name: str) -> LegacyPage:
    """Understand a whole page, or raise PageError (nothing half-read is returned)."""
    text, warnings = decode(data)
    lines = text.split("\n")
    dates = [(i, m) for i, line in enumerate(lines) if (m := DATE_LINE.fullmatch(line))]
    if not dates:
        raise PageError("no date line (dd.mm.yy)")
    index, match = dates[-1]
    day = _parse_date(match)
    removed: list[str] = [match.group(0).strip()]
    blocks, marker = _clean_blocks(_blocks(lines[:index]), removed)
    if not blocks:
        raise PageError("no title: there is no text before the date line")
    if _language(blocks[0].lines) == "en":
        raise PageError("no German title: the page starts with English text")
    english = _english_start(blocks)
    versions = {"de": _version(blocks[:english] if english else blocks, "de")}
    if english is not None:
        versions["en"] = _version(blocks[english:], "en")
    elif marker:
        warnings.append("the page announces an English version, but none was found")
    people = _trailer(lines[index + 1 :], removed, warnings)
    return LegacyPage(
        name=name,
        day=day,
        versions=versions,
        people=people,
        links=_link_phrases(versions),
        warnings=warnings,
        removed=removed,
    )
