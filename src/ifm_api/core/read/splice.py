"""``include=`` without parsing: where a stored document's relation summaries lie in its text.

A read with ``include=people`` replaces each person's summary in every item by the person's
stored item without its own relations (``public._embed``). Parsing 20 stored documents and
writing them again costs a list read more than everything else it does; instead the write
stores, with each document, the byte ranges of its relations' summaries (``spans``: relation,
start, end, target id), and with each item of a type others embed, its document without its
relations (``bare``). A read then copies bytes: the text up to a summary, the target's bare
document, the text after it. A summary whose target is not embedded (not public in the
read's language and mode) stays as it is, as ``_embed`` leaves it.

The spans are of the document's UTF-8 text as stored (``API_ROOT`` placeholder included),
found by writing the document piece by piece with orjson, the same bytes ``orjson.dumps``
writes for the whole (checked: when they differ, no spans are stored and the read parses).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import orjson

Span = tuple[str, int, int, int]  # relation, start, end (bytes), target id
Dump = Callable[[Any], bytes]  # a value's stored bytes (orjson, API root replaced)


def _summary(out: bytearray, spans: list[Span], relation: str, value: Any, dump: Dump) -> None:
    start = len(out)
    out += dump(value)
    if isinstance(value, dict) and isinstance(value.get("id"), int):
        spans.append((relation, start, len(out), value["id"]))


def _entries(
    out: bytearray, spans: list[Span], relation: str, kind: str, value: list[Any], dump: Dump
) -> None:
    """A list relation: summaries (``items``) or entries holding one under ``person``."""
    out += b"["
    for index, entry in enumerate(value):
        if index:
            out += b","
        if kind == "items" or not isinstance(entry, dict):
            _summary(out, spans, relation, entry, dump)
            continue
        out += b"{"
        for position, (key, inner) in enumerate(entry.items()):
            if position:
                out += b","
            out += orjson.dumps(key) + b":"
            if key == "person" and isinstance(inner, dict):
                _summary(out, spans, relation, inner, dump)
            else:
                out += dump(inner)
        out += b"}"
    out += b"]"


def serialized(
    item: Mapping[str, Any], kinds: Mapping[str, str], dump: Dump
) -> tuple[bytes, str | None]:
    """The stored bytes of ``item`` and its spans (JSON; ``[]`` when it shows no summary,
    None when they could not be found), for the relations in ``kinds`` (name -> kind:
    ``item``, ``items``, ``members``, ``authors``)."""
    out = bytearray(b"{")
    spans: list[Span] = []
    for index, (key, value) in enumerate(item.items()):
        if index:
            out += b","
        out += orjson.dumps(key) + b":"
        kind = kinds.get(key)
        if kind is None or value is None:
            out += dump(value)
        elif kind == "item":
            _summary(out, spans, key, value, dump)
        elif isinstance(value, list):
            _entries(out, spans, key, kind, value, dump)
        else:
            out += dump(value)
    out += b"}"
    text = bytes(out)
    if text != dump(dict(item)):  # never expected; the read then parses the document
        return dump(dict(item)), None
    return text, orjson.dumps(spans).decode()


def spliced(
    doc: bytes, spans: str, include: frozenset[str], embedded: Mapping[int, bytes]
) -> bytes:
    """``doc`` with the summaries of the included relations replaced by the embedded
    items' bare documents (those not embedded left as they are)."""
    parts: list[bytes] = []
    at = 0
    for relation, start, end, target in orjson.loads(spans):
        if relation not in include:
            continue
        found = embedded.get(target)
        if found is None:
            continue
        parts.append(doc[at:start])
        parts.append(found)
        at = end
    if not parts:
        return doc
    parts.append(doc[at:])
    return b"".join(parts)
