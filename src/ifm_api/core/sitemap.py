"""``/sitemap.xml``: every published item in every language it is published in.

Each URL lists all language versions of its item as ``xhtml:link rel="alternate"
hreflang`` (itself included, as search engines ask) plus ``x-default``, the version in the
default language (or, when the item lacks one, the first configured language it has).
One query over the read model, whatever the number of items.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from lxml import etree

from ifm_api.core.content import REGISTRY, ReadContext
from ifm_api.core.i18n import supported_languages
from ifm_api.core.read.public import document_changed_at, sitemap_rows

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
XHTML_NS = "http://www.w3.org/1999/xhtml"


@dataclass(frozen=True)
class Version:
    """One published language version of an item."""

    lang: str
    url: str
    lastmod: datetime


def read_sitemap(ctx: ReadContext) -> list[list[Version]]:
    """Every published item of every resource (in registry order, by id), as its language
    versions; one query over the read model."""
    order = {spec.type: index for index, spec in enumerate(REGISTRY.values())}
    rows = sorted(sitemap_rows(ctx.now), key=lambda r: (order.get(r[0], len(order)), r[1], r[2]))
    items: dict[tuple[str, int], list[Version]] = defaultdict(list)
    for type_, entity_id, lang, url, lastmod in rows:
        items[(type_, entity_id)].append(Version(lang, url, lastmod))
    return list(items.values())


def _x_default(versions: list[Version]) -> Version:
    order = {code: index for index, code in enumerate(supported_languages())}
    return min(versions, key=lambda v: order.get(v.lang, len(order)))


def render_sitemap(items: list[list[Version]]) -> bytes:
    urlset = etree.Element(f"{{{SITEMAP_NS}}}urlset", nsmap={None: SITEMAP_NS, "xhtml": XHTML_NS})
    for versions in items:
        default = _x_default(versions)
        for version in versions:
            url = etree.SubElement(urlset, f"{{{SITEMAP_NS}}}url")
            etree.SubElement(url, f"{{{SITEMAP_NS}}}loc").text = version.url
            lastmod = version.lastmod.isoformat(timespec="seconds")
            etree.SubElement(url, f"{{{SITEMAP_NS}}}lastmod").text = lastmod
            alternates = [(v.lang, v.url) for v in versions] + [("x-default", default.url)]
            for hreflang, href in alternates:
                etree.SubElement(
                    url, f"{{{XHTML_NS}}}link", rel="alternate", hreflang=hreflang, href=href
                )
    return etree.tostring(urlset, xml_declaration=True, encoding="UTF-8")


def last_modified(items: list[list[Version]]) -> datetime | None:
    """The newest ``lastmod``, or when an item last left the sitemap: never backwards."""
    times = [v.lastmod for versions in items for v in versions]
    removed = document_changed_at()
    return max([*times, removed]) if removed else max(times, default=None)
