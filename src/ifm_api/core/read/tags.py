"""Purge tags: what a public response contains, and what a change made stale.

Tags are ``<type>`` (every response showing an item of that type), ``<type>:list`` (its
lists and feeds), ``<type>:<id>`` (the item in any language, also where it is embedded) and
``<type>:<id>:<lang>`` (one read language of it). Sent as ``Cache-Tag`` (comma separated,
e.g. Cloudflare) and ``Surrogate-Key`` (space separated, e.g. Fastly, Varnish xkey).
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import Response, g, has_app_context


def type_tag(type_: str) -> str:
    return type_


def list_tag(type_: str) -> str:
    return f"{type_}:list"


def item_tag(type_: str, entity_id: int) -> str:
    return f"{type_}:{entity_id}"


def item_lang_tag(type_: str, entity_id: int, lang: str) -> str:
    return f"{type_}:{entity_id}:{lang}"


def stale_tags(type_: str, entity_id: int, lang: str) -> list[str]:
    """What a change of one item in one language makes stale: its type's lists, the item
    (every response embedding it carries its tag) and its language version."""
    return [list_tag(type_), item_tag(type_, entity_id), item_lang_tag(type_, entity_id, lang)]


def headers(tags: Iterable[str]) -> dict[str, str]:
    unique = list(dict.fromkeys(tags))
    return {"Cache-Tag": ",".join(unique), "Surrogate-Key": " ".join(unique)}


def note(tags: Iterable[str]) -> None:
    """Remember what this request's public response shows (its purge tags)."""
    if has_app_context():
        g.setdefault("ifm_cache_tags", []).extend(tags)


def note_rows(type_: str, lang: str, rows: Iterable[tuple[int, str | None]]) -> None:
    """The items a response shows: (entity id, the row's embedded-item tags) each."""
    found = []
    for entity_id, embedded in rows:
        found.append(item_tag(type_, entity_id))
        found.append(item_lang_tag(type_, entity_id, lang))
        if embedded:
            found.extend(embedded.split(" "))
    note(found)


def embedded_tags(items: Iterable[tuple[str, int]], lang: str) -> list[str]:
    """The tags of embedded items, each given as (type, entity id)."""
    found = []
    for type_, entity_id in items:
        found.append(item_tag(type_, entity_id))
        found.append(item_lang_tag(type_, entity_id, lang))
    return found


def add_headers(response: Response) -> Response:
    """``Cache-Tag`` and ``Surrogate-Key`` on a public read (200, or 304 for a cache)."""
    tags = g.get("ifm_cache_tags")
    public = "public" in (response.headers.get("Cache-Control") or "")
    if tags and public and response.status_code in (200, 304):
        response.headers.update(headers(tags))
    return response
