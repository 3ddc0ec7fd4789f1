"""HTTP endpoints of the feeds (RSS 2.0, Atom 1.0, JSON Feed 1.1) and of ``/sitemap.xml``."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from flask import Response, current_app, request
from flask.views import MethodView

from ifm_api.core.content import REGISTRY, ReadContext
from ifm_api.core.db import utcnow
from ifm_api.core.feeds import (
    EPOCH,
    FEED_PATH,
    MEDIA_TYPES,
    SOURCES,
    FeedFormat,
    read_feed,
    render_feed,
)
from ifm_api.core.http import cache_control
from ifm_api.core.i18n import default_language, select_language
from ifm_api.core.models import LIVE
from ifm_api.core.openapi import camel
from ifm_api.core.parsing import ApiBlueprint, no_query_args
from ifm_api.core.schemas import ProblemSchema
from ifm_api.core.sitemap import last_modified, read_sitemap, render_sitemap
from ifm_api.core.views import API_PREFIX
from ifm_api.feeds.schemas import FeedArgs, JsonFeedSchema

SITEMAP_TYPE = "application/xml"

blp = ApiBlueprint(
    "feeds",
    __name__,
    description="Feeds of news and reports per language, and the sitemap of the public "
    "website. Every item links to the public website (configured URL templates), never to "
    "the API. A feed in a language lists only items published in that language: items "
    "without that translation are left out, never served in another language. Entry ids "
    "are tag URIs (`tag:<site host>,<created date>:<resource>/<id>/<lang>`) that do not "
    "change when an item is edited. `ETag` and `Last-Modified` (the newest change or "
    "publication time of the listed items) answer conditional requests with `304`.",
)

CONDITIONAL_HEADERS = {
    "ETag": {"description": "Changes whenever the document does.", "schema": {"type": "string"}},
    "Last-Modified": {
        "description": "Newest change or publication time of the listed items, or the time "
        "an item last left the document: it never goes backwards.",
        "schema": {"type": "string"},
    },
}
FORMAT_NAMES: dict[FeedFormat, str] = {
    "rss": "RSS 2.0",
    "atom": "Atom 1.0",
    "json": "JSON Feed 1.1",
}
XML_DOC_SCHEMA = {"type": "string"}


def feed_language() -> str:
    """``lang=`` when given (an unsupported value is a 400), else the default language.

    Feeds ignore Accept-Language: a subscribed URL must always return the same language.
    """
    if request.args.get("lang") is None:
        return default_language()
    return select_language()


def feed_context(lang: str) -> ReadContext:
    settings = current_app.config["IFM"]
    return ReadContext(
        lang=lang,
        fallback=True,
        now=utcnow(),
        state=LIVE,
        api_root=request.url_root.rstrip("/") + API_PREFIX,
        site_url=settings.site_url,
        url_templates=settings.url_templates,
    )


def conditional_response(
    body: bytes, mimetype: str, *, modified: datetime | None, lang: str | None = None
) -> Response:
    """A public, cacheable document; ``304`` for a matching If-None-Match/If-Modified-Since.

    The ETag is the body's hash, so anything that changes the document (an edit, a
    scheduled item going public, an unpublished one leaving) changes it.
    """
    response = Response(body, mimetype=mimetype)
    response.set_etag(hashlib.sha256(body).hexdigest()[:40])
    if modified is not None:
        response.last_modified = modified
    response.headers["Cache-Control"] = cache_control(public=True)
    if lang:
        response.headers["Content-Language"] = lang
    return response.make_conditional(request)


def _register_feed(resource: str, fmt: FeedFormat) -> None:
    noun = resource.replace("_", " ")
    name = FORMAT_NAMES[fmt]
    schema = JsonFeedSchema if fmt == "json" else XML_DOC_SCHEMA

    @blp.route(FEED_PATH.format(resource=resource, format=fmt), endpoint=f"{resource}_{fmt}")
    class FeedView(MethodView):
        @blp.arguments(FeedArgs(), location="query", error_status_code=400)
        @blp.response(
            200,
            schema,
            content_type=MEDIA_TYPES[fmt],
            description=f"The {name} feed.",
            headers=CONDITIONAL_HEADERS,
        )
        @blp.alt_response(304, description="Not modified since the given ETag or date.")
        @blp.alt_response(400, schema=ProblemSchema, description="Bad `lang` or `limit`.")
        @blp.doc(
            operationId=camel(["get", resource, "feed", fmt]),
            summary=f"{name} feed of {noun}",
            description=f"The newest published {noun} in one language as {name}. Items "
            "without a translation in that language are left out (no fallback).",
        )
        def get(self, args: dict[str, Any]) -> Any:
            """The newest published items in one language as a feed."""
            lang = feed_language()
            feed = read_feed(REGISTRY[resource], feed_context(lang), fmt=fmt, limit=args["limit"])
            modified = feed.updated if feed.updated > EPOCH else None
            return conditional_response(
                render_feed(feed, fmt), MEDIA_TYPES[fmt], modified=modified, lang=lang
            )

    FeedView.__name__ = f"{resource.title()}{fmt.title()}Feed"


for _resource in SOURCES:
    for _fmt in MEDIA_TYPES:
        _register_feed(_resource, _fmt)


@blp.route("/sitemap.xml")
class Sitemap(MethodView):
    @no_query_args(blp)
    @blp.response(
        200,
        XML_DOC_SCHEMA,
        content_type=SITEMAP_TYPE,
        description="A sitemap (sitemaps.org 0.9) with hreflang alternates.",
        headers=CONDITIONAL_HEADERS,
    )
    @blp.alt_response(304, description="Not modified since the given ETag or date.")
    @blp.doc(summary="Sitemap of the public website")
    def get(self) -> Any:
        """Every published item in every language it is published in, with its website URL.

        Each URL carries `xhtml:link rel="alternate" hreflang` for every language version
        of its item and `x-default` (the default language's version) and `lastmod`.
        """
        items = read_sitemap(feed_context(default_language()))
        return conditional_response(
            render_sitemap(items), SITEMAP_TYPE, modified=last_modified(items)
        )
