"""A per-worker cache of public read responses, exact by construction.

Every write transaction bumps one counter (``content_state.version``, see
``core.db.transaction``). A cached response is keyed by that version and by everything the
response depends on (host, path with query, Accept-Language), and lives at most until the
next scheduled publication time, so a scheduled item still appears on time with no write.
A hit costs one primary-key read of the counter: no rendering, no ORM, and ``If-None-Match``
is answered from the stored ETag. Responses to requests with ``Authorization`` (drafts,
previews, editors) are never cached.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, request
from sqlalchemy import Integer, String, func, select, text, union_all, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.http import is_resource_modified

from ifm_api.core import db
from ifm_api.core.db import Base, utcnow

CACHED_PREFIXES = ("/api/v1/", "/feeds/", "/sitemap.xml")
UNCACHED_PREFIXES = ("/api/v1/media", "/api/v1/tokens")
# Image renditions are small, immutable and asked for often: cached like reads (who may see
# a file depends on content, so the content version keys them too).
CACHED_MEDIA = re.compile(r"/api/v1/media/\d+/renditions/[^/]+")
STORED_HEADERS = (
    "Content-Type",
    "Cache-Control",
    "Vary",
    "Content-Language",
    "Link",
    "ETag",
    "Last-Modified",
)
CACHE_KEY = "ifm.cache_key"
VERSION_QUERY = text("SELECT version FROM content_state WHERE id = 1")
NOT_MODIFIED_HEADERS = ("Cache-Control", "Vary", "Content-Language", "ETag", "Last-Modified")


class ContentState(Base):
    """One row: a counter every write transaction bumps (the cache's validity token)."""

    __tablename__ = "content_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(32), default="content")
    version: Mapped[int] = mapped_column(default=1)


@dataclass(frozen=True)
class Entry:
    body: bytes
    headers: tuple[tuple[str, str], ...]
    etag: str | None
    last_modified: str | None
    valid_until: datetime | None
    size: int

    @property
    def not_modified_headers(self) -> tuple[tuple[str, str], ...]:
        return tuple((k, v) for k, v in self.headers if k in NOT_MODIFIED_HEADERS)


class ResponseCache:
    """A byte-bounded LRU of responses (so worker memory stays flat)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[tuple[Any, ...], Entry] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...], now: datetime) -> Entry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry.valid_until is not None and now >= entry.valid_until:
                self._drop(key)
                return None
            self._entries.move_to_end(key)
            return entry

    def put(self, key: tuple[Any, ...], entry: Entry) -> None:
        if entry.size > self.max_bytes // 8:
            return
        with self._lock:
            if key in self._entries:
                self._drop(key)
            self._entries[key] = entry
            self._bytes += entry.size
            while self._bytes > self.max_bytes and self._entries:
                self._drop(next(iter(self._entries)))

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def _drop(self, key: tuple[Any, ...]) -> None:
        entry = self._entries.pop(key)
        self._bytes -= entry.size

    def __len__(self) -> int:
        return len(self._entries)


def bump_version() -> None:
    """Called inside every write transaction, just before commit."""
    db.session().execute(
        update(ContentState).where(ContentState.id == 1).values(version=ContentState.version + 1)
    )


def next_visibility_change(now: datetime) -> datetime | None:
    """The earliest scheduled publication still in the future (None: nothing scheduled)."""
    from ifm_api.core.content import REGISTRY

    queries = [
        select(func.min(spec.translation_model.visible_from).label("at")).where(
            spec.translation_model.visible_from > now
        )
        for spec in REGISTRY.values()
    ]
    if not queries:
        return None
    union = union_all(*queries).subquery()
    value = db.session().scalar(select(func.min(union.c.at)))
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


def _cacheable(environ: dict[str, Any]) -> bool:
    path = environ.get("PATH_INFO", "")
    return (
        environ.get("REQUEST_METHOD") in ("GET", "HEAD")
        and "HTTP_AUTHORIZATION" not in environ
        and path.startswith(CACHED_PREFIXES)
        and (not path.startswith(UNCACHED_PREFIXES) or CACHED_MEDIA.fullmatch(path) is not None)
    )


def _cache_key(environ: dict[str, Any], version: int) -> tuple[Any, ...]:
    return (
        version,
        environ.get("wsgi.url_scheme"),
        environ.get("HTTP_HOST") or environ.get("SERVER_NAME"),
        environ.get("SCRIPT_NAME", ""),
        environ.get("PATH_INFO", ""),
        environ.get("QUERY_STRING", ""),
        environ.get("HTTP_ACCEPT_LANGUAGE", ""),
        environ.get("HTTP_ACCEPT", ""),  # details negotiate JSON, JSON-LD, citations
    )


class CachedReads:
    """WSGI middleware in front of Flask: answers cache hits before any routing.

    A hit costs one primary-key read of the content version on a pooled connection, a dict
    lookup and the stored bytes; a miss goes on to Flask, whose ``after_request`` stores the
    response under the key this middleware left in the environ.
    """

    def __init__(self, wsgi_app: Any, cache: ResponseCache, engine: Engine) -> None:
        self.wsgi_app = wsgi_app
        self.cache = cache
        self.engine = engine

    def version(self) -> int:
        with self.engine.connect() as connection:
            return connection.execute(VERSION_QUERY).scalar() or 0

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if not _cacheable(environ):
            return self.wsgi_app(environ, start_response)
        key = _cache_key(environ, self.version())
        entry = self.cache.get(key, utcnow())
        if entry is None:
            environ[CACHE_KEY] = key
            return self.wsgi_app(environ, start_response)
        if not is_resource_modified(environ, etag=entry.etag, last_modified=entry.last_modified):
            start_response("304 NOT MODIFIED", list(entry.not_modified_headers))
            return []
        start_response("200 OK", list(entry.headers))
        return [] if environ["REQUEST_METHOD"] == "HEAD" else [entry.body]


def _entry(response: Response) -> Entry:
    body = response.get_data()
    headers = [(k, v) for k, v in response.headers.items() if k in STORED_HEADERS]
    headers.append(("Content-Length", str(len(body))))
    etag, _weak = response.get_etag()
    return Entry(
        body=body,
        headers=tuple(headers),
        etag=etag,
        last_modified=response.headers.get("Last-Modified"),
        valid_until=next_visibility_change(utcnow()),
        size=len(body) + 512,
    )


def init_app(app: Flask, *, max_bytes: int = 64 * 1024 * 1024) -> ResponseCache:
    cache = ResponseCache(max_bytes)
    app.extensions["ifm_response_cache"] = cache
    app.wsgi_app = CachedReads(app.wsgi_app, cache, app.extensions["ifm_engine"])  # type: ignore[method-assign]

    @app.after_request
    def _store_in_cache(response: Response) -> Response:
        key = request.environ.pop(CACHE_KEY, None)
        if key is not None and response.status_code == 200 and not response.direct_passthrough:
            cache.put(key, _entry(response))
        return response

    return cache
