"""Citations of public reports: CSL-JSON, BibTeX, BibLaTeX, RIS and formatted references.

Everything is derived from the report's public representation (the read model's stored JSON
with the authors embedded), so a citation shows exactly what a public read shows, in the
read's language: the title, the website URL of that language version, the files. CSL-JSON is
the pivot for the formatted references (citeproc-py, with the CSL styles shipped in
``styles/``); BibTeX/BibLaTeX are written with bibtexparser, RIS with rispy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import bibtexparser
import nh3
import orjson
import rispy
from bibtexparser import middlewares, model
from citeproc import (
    Citation,
    CitationItem,
    CitationStylesBibliography,
    CitationStylesStyle,
    formatter,
)
from citeproc.source.json import CiteProcJSON
from pylatexenc.latexencode import UnicodeToLatexEncoder

from ifm_api.config import CITATION_STYLES
from ifm_api.linked_data.names import AuthorName, ascii_key_part, author_names

STYLES_DIR = Path(__file__).parent / "styles"
STYLES = {name: f"{name}.csl" for name in CITATION_STYLES}
CSL_LOCALES = {"de": "de-DE", "en": "en-US"}


@dataclass(frozen=True)
class Format:
    name: str
    media_type: str
    extension: str


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("bibtex", "application/x-bibtex", "bib"),
        Format("biblatex", "application/x-biblatex", "bib"),
        Format("ris", "application/x-research-info-systems", "ris"),
        Format("csl-json", "application/vnd.citationstyles.csl+json", "json"),
        Format("text", "text/plain", "txt"),
        Format("html", "text/html", "html"),
    )
}


@dataclass(frozen=True)
class Kind:
    """How one report type is called in each format."""

    csl: str
    bibtex: str
    biblatex: str
    ris: str


KINDS: dict[str, Kind] = {
    "short_report": Kind("report", "techreport", "report", "RPRT"),
    "final_report": Kind("report", "techreport", "report", "RPRT"),
    "working_paper": Kind("report", "techreport", "report", "RPRT"),
    "article": Kind("article-journal", "article", "article", "JOUR"),
    "book": Kind("book", "book", "book", "BOOK"),
    "chapter": Kind("chapter", "incollection", "incollection", "CHAP"),
    "other": Kind("document", "misc", "misc", "GEN"),
}
REPORT_KIND_NAMES = {
    "short_report": {"de": "Kurzbericht", "en": "Short report"},
    "final_report": {"de": "Abschlussbericht", "en": "Final report"},
    "working_paper": {"de": "Arbeitspapier", "en": "Working paper"},
}
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
KEY_STOPWORDS = frozenset(
    [
        "der",
        "die",
        "das",
        "des",
        "dem",
        "den",
        "ein",
        "eine",
        "einer",
        "eines",
        "zur",
        "zum",
        "zu",
        "und",
        "im",
        "in",
        "am",
        "an",
        "auf",
        "für",
        "fur",
        "von",
        "vom",
        "mit",
        "über",
        "uber",
        "the",
        "a",
        "of",
        "on",
        "for",
        "and",
        "to",
        "from",
    ]
)


@dataclass(frozen=True)
class Institution:
    name: str
    place: str


@dataclass(frozen=True)
class Reference:
    """A report reduced to what citations need, in one language."""

    id: int
    key: str
    kind: str
    title: str
    authors: list[AuthorName]
    issued: date | None
    series: str | None
    number: str | None
    doi: str | None
    isbn: str | None
    url: str
    lang: str
    abstract: str | None
    institution: Institution


def plain_text(html: str | None) -> str | None:
    """Cleaned HTML of a rich field as one line of text."""
    if not html:
        return None
    html = re.sub(r"(?i)<br\s*/?>|</(p|li|h[1-6]|div|blockquote)>", " ", html)
    text = nh3.clean(html, tags=set())
    text = re.sub(r"\s+", " ", text.replace("&nbsp;", " ")).strip()
    return text.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">") or None


def as_date(value: date | str | None) -> date | None:
    """A date of the public representation: stored JSON holds it as ISO text."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value[:10])


def citation_key(authors: list[AuthorName], issued: date | None, title: str) -> str:
    """Stable and readable: first author's family name, year, first significant title word."""
    first = ascii_key_part(authors[0].family) if authors else "ifm"
    year = str(issued.year) if issued else "nd"
    words = [w for w in re.findall(r"\w+", title.lower()) if w not in KEY_STOPWORDS]
    word = ascii_key_part(words[0]) if words else ""
    return f"{first or 'ifm'}{year}{word}"


def reference(item: dict[str, Any], institution: Institution) -> Reference:
    authors = author_names(item.get("authors") or [])
    issued = as_date(item.get("publication_date"))
    return Reference(
        id=item["id"],
        key=citation_key(authors, issued, item["title"]),
        kind=item.get("report_type") or "other",
        title=item["title"],
        authors=authors,
        issued=issued,
        series=item.get("series"),
        number=item.get("number"),
        doi=item.get("doi"),
        isbn=item.get("isbn"),
        url=item.get("web_url") or item.get("external_url") or "",
        lang=item["lang"],
        abstract=plain_text(item.get("abstract")),
        institution=institution,
    )


def kind_name(ref: Reference) -> str | None:
    """The document type a report's series-less entry names ("Working paper")."""
    names = REPORT_KIND_NAMES.get(ref.kind)
    return names.get(ref.lang, names["en"]) if names else None


# --- CSL-JSON ----------------------------------------------------------------------------


def csl_item(ref: Reference) -> dict[str, Any]:
    kind = KINDS.get(ref.kind, KINDS["other"])
    item: dict[str, Any] = {
        "id": ref.key,
        "type": kind.csl,
        "title": ref.title,
        "author": [name.csl() for name in ref.authors],
        "language": ref.lang,
        "URL": ref.url or None,
        "DOI": ref.doi,
        "ISBN": ref.isbn,
        "abstract": ref.abstract,
        "number": ref.number,
    }
    if ref.issued:
        item["issued"] = {"date-parts": [[ref.issued.year, ref.issued.month, ref.issued.day]]}
    if kind.csl == "article-journal":
        item["container-title"] = ref.series
    elif kind.csl == "chapter":
        item["container-title"] = ref.series
        item["publisher"] = ref.institution.name
        item["publisher-place"] = ref.institution.place
    else:
        item["collection-title"] = ref.series
        item["genre"] = None if ref.series else kind_name(ref)
        item["publisher"] = ref.institution.name
        item["publisher-place"] = ref.institution.place
    return {k: v for k, v in item.items() if v not in (None, "", [])}


def csl_json(refs: list[Reference]) -> str:
    return orjson.dumps([csl_item(ref) for ref in refs], option=orjson.OPT_INDENT_2).decode()


# --- BibTeX / BibLaTeX -------------------------------------------------------------------


def _bib_fields(ref: Reference, *, biblatex: bool) -> list[tuple[str, str | None]]:
    kind = KINDS.get(ref.kind, KINDS["other"])
    entry = kind.biblatex if biblatex else kind.bibtex
    authors = " and ".join(name.inverted() for name in ref.authors)
    fields: list[tuple[str, str | None]] = [("author", authors or None), ("title", ref.title)]
    if entry == "article":
        fields.append(("journaltitle" if biblatex else "journal", ref.series))
        fields.append(("number", ref.number))
    elif entry == "incollection":
        fields.append(("booktitle", ref.series))
        fields.append(("publisher", ref.institution.name))
    elif entry in ("techreport", "report"):
        fields.append(("institution", ref.institution.name))
        fields.append(("type", ref.series or kind_name(ref)))
        fields.append(("number", ref.number))
    else:
        fields.append(("publisher", ref.institution.name))
        fields.append(("series", ref.series))
        fields.append(("number", ref.number))
    fields.append(("location" if biblatex else "address", ref.institution.place))
    if ref.issued:
        if biblatex:
            fields.append(("date", ref.issued.isoformat()))
        else:
            fields.append(("year", str(ref.issued.year)))
            fields.append(("month", MONTHS[ref.issued.month - 1]))
    fields.append(("doi", ref.doi))
    fields.append(("isbn", ref.isbn))
    fields.append(("url", ref.url or None))
    fields.append(("langid" if biblatex else "language", _bib_language(ref.lang)))
    return fields


def _bib_language(lang: str) -> str:
    return {"de": "ngerman", "en": "english"}.get(lang, lang)


def _entry(ref: Reference, *, biblatex: bool) -> model.Entry:
    kind = KINDS.get(ref.kind, KINDS["other"])
    entry_type = kind.biblatex if biblatex else kind.bibtex
    fields = [
        model.Field(name, _protect(name, value))
        for name, value in _bib_fields(ref, biblatex=biblatex)
        if value
    ]
    return model.Entry(entry_type, ref.key, fields)


def _protect(name: str, value: str) -> str:
    """Braces keep the title's capitals (German nouns) from BibTeX styles' lowercasing."""
    value = value.replace("{", "").replace("}", "")
    return "{" + value + "}" if name == "title" else value


@cache
def _latex_encoder() -> UnicodeToLatexEncoder:
    # Only non-ASCII characters become macros ({\"u}); the protecting braces stay braces.
    return UnicodeToLatexEncoder(non_ascii_only=True, replacement_latex_protection="braces-all")


def bibtex(refs: list[Reference]) -> str:
    """Classic BibTeX: ASCII only, umlauts as LaTeX macros (``M{\\"u}ller``)."""
    library = bibtexparser.Library([_entry(ref, biblatex=False) for ref in refs])
    encode = middlewares.LatexEncodingMiddleware(encoder=_latex_encoder())
    return bibtexparser.write_string(library, prepend_middleware=[encode])


def biblatex(refs: list[Reference]) -> str:
    """BibLaTeX (biber): UTF-8 as is."""
    library = bibtexparser.Library([_entry(ref, biblatex=True) for ref in refs])
    return bibtexparser.write_string(library)


# --- RIS -----------------------------------------------------------------------------------


class _RisWriter(rispy.RisWriter):
    def set_header(self, count: int) -> str:
        return ""  # no "1." counter line: plain RIS as reference managers write it


def _ris_entry(ref: Reference) -> dict[str, Any]:
    kind = KINDS.get(ref.kind, KINDS["other"])
    entry: dict[str, Any] = {
        "type_of_reference": kind.ris,
        "authors": [name.inverted() for name in ref.authors],
        "title": ref.title,
        "publisher": ref.institution.name,
        "place_published": ref.institution.place,
        "number": ref.number,
        "doi": ref.doi,
        "issn": ref.isbn,
        "urls": [ref.url] if ref.url else [],
        "language": ref.lang,
        "abstract": ref.abstract,
        "id": ref.key,
    }
    if kind.ris == "JOUR":
        entry["secondary_title"] = ref.series
    else:
        entry["tertiary_title"] = ref.series
        entry["type_of_work"] = None if ref.series else kind_name(ref)
    if ref.issued:
        entry["year"] = str(ref.issued.year)
        entry["date"] = ref.issued.strftime("%Y/%m/%d")
    return {k: v for k, v in entry.items() if v not in (None, "", [])}


def ris(refs: list[Reference]) -> str:
    text = rispy.dumps([_ris_entry(ref) for ref in refs], implementation=_RisWriter)
    return re.sub(r"^\n+", "", text)


# --- formatted references (citeproc-py) ----------------------------------------------------


@cache
def _style(name: str, locale: str) -> CitationStylesStyle:
    return CitationStylesStyle(str(STYLES_DIR / STYLES[name]), locale=locale, validate=False)


def formatted(refs: list[Reference], *, style: str, lang: str, html: bool) -> list[str]:
    """One formatted reference per report, in the style and the read language's CSL locale."""
    if not refs:
        return []
    source = CiteProcJSON([csl_item(ref) for ref in refs])
    output = formatter.html if html else formatter.plain
    bibliography = CitationStylesBibliography(
        _style(style, CSL_LOCALES.get(lang, "en-US")), source, output
    )
    for ref in refs:
        bibliography.register(Citation([CitationItem(ref.key)]))
    by_key = dict(zip(bibliography.keys, bibliography.bibliography(), strict=True))
    return [str(by_key[ref.key]) for ref in refs]


def text(refs: list[Reference], *, style: str, lang: str) -> str:
    return "\n\n".join(formatted(refs, style=style, lang=lang, html=False)) + "\n"


def html(refs: list[Reference], *, style: str, lang: str) -> str:
    entries = formatted(refs, style=style, lang=lang, html=True)
    body = "\n".join(f'  <div class="csl-entry">{entry}</div>' for entry in entries)
    return f'<div class="csl-bib-body" lang="{lang}">\n{body}\n</div>\n'


def render(refs: list[Reference], fmt: str, *, style: str, lang: str) -> str:
    """The citation document of ``refs`` in format ``fmt`` (one of FORMATS)."""
    if fmt == "bibtex":
        return bibtex(refs)
    if fmt == "biblatex":
        return biblatex(refs)
    if fmt == "ris":
        return ris(refs)
    if fmt == "csl-json":
        return csl_json(refs)
    if fmt == "text":
        return text(refs, style=style, lang=lang)
    return html(refs, style=style, lang=lang)
