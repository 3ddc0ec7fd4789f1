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

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, g, request
from sqlalchemy import Integer, String, func, select, union_all, update
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.http import is_resource_modified

from ifm_api.core import db
from ifm_api.core.db import Base, utcnow

CACHED_PREFIXES = ("/api/v1/", "/feeds/", "/sitemap.xml")
UNCACHED_PREFIXES = ("/api/v1/media", "/api/v1/tokens")
STORED_HEADERS = (
    "Content-Type",
    "Cache-Control",
    "Vary",
    "Content-Language",
    "Link",
    "ETag",
    "Last-Modified",
)
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
    valid_until: datetime | None
    size: int


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


def current_version() -> int:
    return db.session().scalar(select(ContentState.version).where(ContentState.id == 1)) or 0


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


def _cacheable_request() -> bool:
    path = request.path
    return (
        request.method in ("GET", "HEAD")
        and "Authorization" not in request.headers
        and path.startswith(CACHED_PREFIXES)
        and not path.startswith(UNCACHED_PREFIXES)
    )


def _cache_key(version: int) -> tuple[Any, ...]:
    return (
        version,
        request.host_url,
        request.path,
        request.query_string,
        request.headers.get("Accept-Language", ""),
    )


def _cached_response(entry: Entry) -> Response:
    last_modified = next((v for k, v in entry.headers if k == "Last-Modified"), None)
    if (entry.etag is not None or last_modified is not None) and not is_resource_modified(
        request.environ, etag=entry.etag, last_modified=last_modified
    ):
        response = Response(status=304)
        for name, value in entry.headers:
            if name in NOT_MODIFIED_HEADERS:
                response.headers[name] = value
        return response
    response = Response(entry.body, status=200)
    response.headers.clear()
    response.headers.extend(entry.headers)
    response.headers["Content-Length"] = str(len(entry.body))
    return response


def init_app(app: Flask, *, max_bytes: int = 64 * 1024 * 1024) -> ResponseCache:
    cache = ResponseCache(max_bytes)
    app.extensions["ifm_response_cache"] = cache

    @app.before_request
    def _serve_from_cache() -> Response | None:
        if not _cacheable_request():
            return None
        key = _cache_key(current_version())
        entry = cache.get(key, utcnow())
        if entry is not None:
            return _cached_response(entry)
        g.ifm_cache_key = key
        return None

    @app.after_request
    def _store_in_cache(response: Response) -> Response:
        key = g.pop("ifm_cache_key", None)
        if key is None or response.status_code != 200 or response.direct_passthrough:
            return response
        body = response.get_data()
        headers = tuple((k, v) for k, v in response.headers.items() if k in STORED_HEADERS)
        etag, _weak = response.get_etag()
        entry = Entry(
            body=body,
            headers=headers,
            etag=etag,
            valid_until=next_visibility_change(utcnow()),
            size=len(body) + 512,
        )
        cache.put(key, entry)
        return response

    return cache
