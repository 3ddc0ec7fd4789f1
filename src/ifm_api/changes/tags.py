"""Purge tags: what a public response contains, and what a change made stale.

Tags are ``<type>`` (every response showing an item of that type), ``<type>:list`` (its
lists and feeds), ``<type>:<id>`` (the item in any language, also where it is embedded) and
``<type>:<id>:<lang>`` (one read language of it). Sent as ``Cache-Tag`` (comma separated,
e.g. Cloudflare) and ``Surrogate-Key`` (space separated, e.g. Fastly, Varnish xkey).
"""

from __future__ import annotations

from collections.abc import Iterable


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
