"""Feeds of news and reports per language: RSS 2.0 and Atom 1.0 (feedgen), JSON Feed 1.1.

Items come from the published read model (``core.read``), so a feed
shows exactly what public reads show: published translations whose time has come. A feed in
a language carries only items published in that language (no fallback), so a feed reader
never sees a German entry in an English feed. Entry ids are tag URIs built from the site's
host, the item's creation date, its resource, id and language: they never change when the
item is edited or republished.
"""

from __future__ import annotations

import html
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time
from typing import Any, Literal
from urllib.parse import urlencode, urlsplit

import lz4.block
import nh3
import orjson
from feedgen.entry import FeedEntry
from feedgen.feed import FeedGenerator
from flask import request
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from ifm_api.core.content import REGISTRY, ReadContext, ResourceSpec
from ifm_api.core.i18n import ALL, supported_languages
from ifm_api.core.models import LIVE
from ifm_api.core.read.model import API_ROOT
from ifm_api.core.read.public import document_changed_at, feed_rows

FeedFormat = Literal["rss", "atom", "json"]

MEDIA_TYPES: dict[FeedFormat, str] = {
    "rss": "application/rss+xml",
    "atom": "application/atom+xml",
    "json": "application/feed+json",
}
FEED_PATH = "/feeds/{resource}.{format}"
DEFAULT_LIMIT = 50
MAX_LIMIT = 200
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
PUBLISHER = "ifm Mannheim"
GENERATOR = "ifm-api"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# The date part of the feeds' own tag URIs: arbitrary, but it must never change.
FEED_ID_DATE = datetime(2024, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class FeedSource:
    """How the items of one resource become feed entries."""

    resource: str
    title: Any
    description: Any
    date_field: str
    summary_field: str
    summary_is_html: bool
    author_relation: str
    content_field: str | None = None
    tags_relation: str | None = None
    has_files: bool = False


SOURCES: dict[str, FeedSource] = {
    "news": FeedSource(
        resource="news",
        title=_l("ifm Mannheim: News"),
        description=_l("News from the Institut für Mittelstandsforschung (ifm), Mannheim."),
        date_field="published_at",
        summary_field="teaser",
        summary_is_html=False,
        content_field="body",
        author_relation="people",
        tags_relation="tags",
    ),
    "reports": FeedSource(
        resource="reports",
        title=_l("ifm Mannheim: Publications"),
        description=_l(
            "New reports and publications of the Institut für Mittelstandsforschung (ifm), "
            "Mannheim."
        ),
        date_field="publication_date",
        summary_field="abstract",
        summary_is_html=True,
        author_relation="authors",
        has_files=True,
    ),
}


@dataclass(frozen=True)
class Enclosure:
    url: str
    length: int
    type: str
    lang: str | None = None
    title: str | None = None


@dataclass
class Entry:
    """One feed entry, independent of the output format."""

    id: str
    title: str
    url: str
    lang: str
    published: datetime
    updated: datetime
    summary: str | None = None
    summary_is_html: bool = False
    content_html: str | None = None
    authors: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    enclosures: list[Enclosure] = field(default_factory=list)


@dataclass(frozen=True)
class Feed:
    """Feed-level data, already in the feed's language."""

    id: str
    title: str
    description: str
    lang: str
    self_url: str
    home_url: str
    updated: datetime
    entries: list[bytes]  # the stored entries in the feed's format (UTF-8)


# --- URLs ----------------------------------------------------------------------------------


def feed_url(
    resource: str,
    fmt: FeedFormat,
    lang: str,
    limit: int = DEFAULT_LIMIT,
    *,
    root: str | None = None,
) -> str:
    """Absolute URL of a feed, as this request's host sees it (``root``: its URL root)."""
    query: dict[str, Any] = {"lang": lang}
    if limit != DEFAULT_LIMIT:
        query["limit"] = limit
    path = FEED_PATH.format(resource=resource, format=fmt)
    root = request.url_root if root is None else root
    return f"{root.rstrip('/')}{path}?{urlencode(query)}"


def feed_links(spec: ResourceSpec, lang: str) -> list[str]:
    """``Link`` header values advertising the feeds of a resource's list (none: no feeds)."""
    if spec.key not in SOURCES:
        return []
    langs = supported_languages() if lang == ALL else (lang,)
    root = request.url_root
    return [
        f'<{feed_url(spec.key, fmt, code, root=root)}>; rel="alternate"; type="{media_type}"; '
        f'hreflang="{code}"'
        for code in langs
        for fmt, media_type in MEDIA_TYPES.items()
    ]


def tag_uri(site_url: str, created: datetime, path: str) -> str:
    """An RFC 4151 tag URI: stable for as long as the site's host stays the same."""
    host = urlsplit(site_url).hostname or "localhost"
    return f"tag:{host},{created.astimezone(UTC).date().isoformat()}:{path}"


# --- reading -------------------------------------------------------------------------------


def _as_datetime(value: date | datetime | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.combine(value, time(), tzinfo=UTC)


def _revived(source: FeedSource, item: dict[str, Any]) -> dict[str, Any]:
    """A stored item's dates as dates again (they are ISO strings in its JSON)."""
    for name in ("created_at", "updated_at", source.date_field):
        value = item.get(name)
        if isinstance(value, str):
            item[name] = (
                date.fromisoformat(value) if len(value) == 10 else datetime.fromisoformat(value)
            )
    return item


def _plain_text(value: str) -> str:
    return html.unescape(nh3.clean(value, tags=set())).strip()


def _names(values: Sequence[dict[str, Any]] | None) -> list[str]:
    return [name for value in values or () if (name := value.get("name") or value.get("title"))]


def _enclosures(item: dict[str, Any]) -> list[Enclosure]:
    return [
        Enclosure(
            url=f["url"],
            length=f["size"],
            type=f["content_type"],
            lang=f.get("lang"),
            title=f.get("label") or f.get("filename"),
        )
        for f in item.get("files", ())
    ]


def _entry(
    source: FeedSource, site_url: str, lang: str, item: dict[str, Any], since: datetime | None
) -> Entry:
    def own(name: str | None) -> Any:
        """A translated field in the feed's language only (fallback values are dropped)."""
        if name is None or name in item["fallback_fields"]:
            return None
        return item.get(name) or None

    published = _as_datetime(item.get(source.date_field)) or since or item["created_at"]
    updated = max(filter(None, (item["updated_at"], since)))
    summary = own(source.summary_field)
    return Entry(
        id=tag_uri(site_url, item["created_at"], f"{source.resource}/{item['id']}/{lang}"),
        title=item["title"],
        url=item["web_url"],
        lang=item["lang"],
        published=published,
        updated=updated,
        summary=summary,
        summary_is_html=source.summary_is_html,
        content_html=own(source.content_field),
        authors=_names(item.get(source.author_relation)),
        tags=list(item.get(source.tags_relation) or ()) if source.tags_relation else [],
        enclosures=_enclosures(item) if source.has_files else [],
    )


def feed_types() -> dict[str, str]:
    """Content type -> resource key of the types that have feeds."""
    return {REGISTRY[key].type: key for key in SOURCES}


def entry_texts(
    key: str, lang: str, item: dict[str, Any], since: datetime | None, site_url: str
) -> tuple[dict[FeedFormat, str], datetime]:
    """An item's entry in every feed format, and its ``updated``: rendered when the item
    changes (``core.read.build``), so that reading a feed renders no entry.

    ``item`` is the item's public representation in ``lang`` (its own language), ``since``
    when that translation went public.
    """
    source = SOURCES[key]
    entry = _entry(source, site_url, lang, _revived(source, dict(item)), since)
    return {fmt: _entry_text(entry, fmt) for fmt in MEDIA_TYPES}, entry.updated


def read_feed(spec: ResourceSpec, ctx: ReadContext, *, fmt: FeedFormat, limit: int) -> Feed:
    """The newest ``limit`` items published in ``ctx.lang``, as a feed.

    Only items with a public translation in the feed's language are listed, and their texts
    never fall back; related items (authors) are read with fallback, since a person's name
    does not depend on the language of their profile. Its ``updated`` is the newest entry's,
    or the last time an item left the feed (so ``Last-Modified`` never goes backwards). Two
    queries, from the read model, whatever ``limit`` is; the entries are stored text, served
    as the bytes they are stored as (only the API root is put in).
    """
    source = SOURCES[spec.key]
    ctx = replace(ctx, state=LIVE, fallback=True)
    rows = feed_rows(spec, ctx, fmt, limit)
    root = _escaped_root(ctx.api_root, fmt).encode()
    placeholder = API_ROOT.encode()
    with force_locale(ctx.lang):
        title, description = str(source.title), str(source.description)
    return Feed(
        id=tag_uri(ctx.site_url, FEED_ID_DATE, f"feeds/{source.resource}/{ctx.lang}"),
        title=title,
        description=description,
        lang=ctx.lang,
        self_url=feed_url(spec.key, fmt, ctx.lang, limit),
        home_url=f"{ctx.site_url}/",
        updated=max(
            [
                *(updated for _text, updated in rows),
                document_changed_at(spec.type, ctx.lang) or EPOCH,
            ]
        ),
        entries=[entry_bytes(stored).replace(placeholder, root) for stored, _updated in rows],
    )


def pack_entry(text: str) -> bytes:
    """A feed entry as stored in the read model: LZ4-compressed UTF-8.

    LZ4 rather than zlib: a feed read unpacks every entry it serves (50 by default), and
    LZ4 does that about six times faster (3 instead of 19 µs an entry) for entries about
    40 % larger, still well under a database page.
    """
    return lz4.block.compress(text.encode())


def entry_bytes(stored: bytes) -> bytes:
    return lz4.block.decompress(stored)


def unpack_entry(stored: bytes) -> str:
    return entry_bytes(stored).decode()


def _escaped_root(api_root: str, fmt: FeedFormat) -> str:
    """The API root as it goes into stored entry text: JSON string or XML text/attribute."""
    if fmt == "json":
        return orjson.dumps(api_root).decode()[1:-1]
    return html.escape(api_root, quote=True)


# --- writing -------------------------------------------------------------------------------


class _Entry(FeedEntry):
    """feedgen 1.0 writes an Atom entry's links with ``href`` only; add their attributes back.

    Without this an enclosure would come out as a second plain (alternate) link.
    """

    def atom_entry(self, extensions: bool = True) -> Any:
        entry = super().atom_entry(extensions=extensions)
        for element, link in zip(entry.findall("link"), self.link() or [], strict=True):
            for name in ("rel", "type", "hreflang", "title", "length"):
                if link.get(name):
                    element.set(name, str(link[name]))
        return entry


def _generator(feed: Feed, fmt: FeedFormat) -> FeedGenerator:
    fg = FeedGenerator()
    if fmt == "rss":
        fg.load_extension("dc", atom=False, rss=True)
    fg.id(feed.id)
    fg.title(feed.title)
    fg.description(feed.description)
    fg.language(feed.lang)
    fg.author({"name": PUBLISHER})
    fg.generator(GENERATOR)
    fg.link(href=feed.self_url, rel="self", type=MEDIA_TYPES[fmt])
    fg.link(href=feed.home_url, rel="alternate", type="text/html")
    fg.updated(feed.updated)
    fg.lastBuildDate(feed.updated)
    return fg


def _add_entry(fg: FeedGenerator, entry: Entry, fmt: FeedFormat) -> FeedEntry:
    fe = fg.add_entry(_Entry(), order="append")
    fe.id(entry.id)
    fe.guid(entry.id, permalink=False)
    fe.title(entry.title)
    fe.link(href=entry.url, rel="alternate", type="text/html", hreflang=entry.lang)
    fe.published(entry.published)
    fe.updated(entry.updated)
    if entry.summary:
        fe.summary(entry.summary, type="html" if entry.summary_is_html else "text")
    if entry.content_html:
        fe.content(entry.content_html, type="html")
    for tag in entry.tags:
        fe.category(term=tag)
    if fmt == "rss":
        if entry.authors:
            fe.dc.dc_creator(entry.authors)
        first = next((e for e in entry.enclosures if e.lang == entry.lang), None)
        first = first or next(iter(entry.enclosures), None)
        if first is not None:
            fe.enclosure(first.url, str(first.length), first.type)
        return fe
    fe.author([{"name": name} for name in entry.authors] or None)
    for enclosure in entry.enclosures:
        fe.link(
            href=enclosure.url,
            rel="enclosure",
            type=enclosure.type,
            length=str(enclosure.length),
            hreflang=enclosure.lang,
            title=enclosure.title,
        )
    return fe


# Where entries go in feedgen's documents: each entry starts with its element, and the
# entries are the last children of the channel (RSS) or feed (Atom).
ENTRY_START: dict[FeedFormat, bytes] = {"rss": b"<item>", "atom": b"<entry>"}
DOCUMENT_END: dict[FeedFormat, bytes] = {"rss": b"</channel></rss>", "atom": b"</feed>"}
# The head an entry is rendered under (only the entry is kept).
_SCRATCH = Feed(
    id="tag:localhost,2024-01-01:entry",
    title="-",
    description="-",
    lang="en",
    self_url="http://localhost/",
    home_url="http://localhost/",
    updated=EPOCH,
    entries=[],
)


def _xml(fg: FeedGenerator, fmt: FeedFormat) -> bytes:
    xml: bytes = fg.rss_str() if fmt == "rss" else fg.atom_str()
    if not xml.endswith(DOCUMENT_END[fmt]):
        raise ValueError(f"feedgen's {fmt} document does not end as expected")
    return xml


def _entry_text(entry: Entry, fmt: FeedFormat) -> str:
    """One entry as it appears inside a feed of ``fmt`` (feedgen's own serialization)."""
    if fmt == "json":
        return orjson.dumps(_json_item(entry)).decode()
    fg = _scratch_generator(fmt)
    fe = _add_entry(fg, entry, fmt)
    try:
        xml = _xml(fg, fmt)
    finally:
        fg.remove_entry(fe)
    start = xml.index(ENTRY_START[fmt])
    return xml[start : len(xml) - len(DOCUMENT_END[fmt])].decode()


_SCRATCH_GENERATORS = threading.local()


def _scratch_generator(fmt: FeedFormat) -> FeedGenerator:
    """A head without entries to render one entry under, made once per thread and format
    (writes re-render hundreds of entries at a time)."""
    made: dict[FeedFormat, FeedGenerator] = _SCRATCH_GENERATORS.__dict__.setdefault("made", {})
    if fmt not in made:
        made[fmt] = _generator(_SCRATCH, fmt)
    return made[fmt]


def render_xml(feed: Feed, fmt: Literal["rss", "atom"]) -> bytes:
    """The feed's head (feedgen) with its stored entries where feedgen puts entries."""
    head = _xml(_generator(feed, fmt), fmt)
    end = DOCUMENT_END[fmt]
    return b"".join([head[: -len(end)], *feed.entries, end])


def _json_item(entry: Entry) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": entry.id,
        "url": entry.url,
        "title": entry.title,
        "language": entry.lang,
        "date_published": entry.published.isoformat(),
        "date_modified": entry.updated.isoformat(),
    }
    summary_html = entry.summary if entry.summary_is_html else None
    if entry.content_html or summary_html:
        item["content_html"] = entry.content_html or summary_html
    else:
        item["content_text"] = entry.summary or entry.title
    if entry.summary:
        item["summary"] = _plain_text(entry.summary) if entry.summary_is_html else entry.summary
    if entry.authors:
        item["authors"] = [{"name": name} for name in entry.authors]
    if entry.tags:
        item["tags"] = entry.tags
    if entry.enclosures:
        item["attachments"] = [
            {
                "url": e.url,
                "mime_type": e.type,
                "size_in_bytes": e.length,
                **({"title": e.title} if e.title else {}),
            }
            for e in entry.enclosures
        ]
    return item


def render_json(feed: Feed) -> bytes:
    """JSON Feed 1.1 (https://jsonfeed.org/version/1.1), its items the stored entries."""
    head = orjson.dumps(
        {
            "version": JSON_FEED_VERSION,
            "title": feed.title,
            "home_page_url": feed.home_url,
            "feed_url": feed.self_url,
            "description": feed.description,
            "language": feed.lang,
            "authors": [{"name": PUBLISHER}],
            "items": [],
        }
    )
    items = b",".join(feed.entries)
    return b"".join([head.removesuffix(b"[]}"), b"[", items, b"]}"])


def render_feed(feed: Feed, fmt: FeedFormat) -> bytes:
    return render_json(feed) if fmt == "json" else render_xml(feed, fmt)
