"""The only two places that decide a language: select_language() and pick_translation()."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask import current_app, g, request

from ifm_api.core.errors import BadRequest

ALL = "all"


def supported_languages() -> tuple[str, ...]:
    return current_app.config["IFM"].languages


def default_language() -> str:
    return current_app.config["IFM"].default_language


def fallback_chain(lang: str) -> tuple[str, ...]:
    return current_app.config["IFM"].fallbacks.get(lang, ())


def _from_accept_language() -> str | None:
    """The best supported language of Accept-Language; ``q=0`` means "not this one"."""
    supported = supported_languages()
    ranges = [(value.lower().replace("_", "-"), q) for value, q in request.accept_languages]
    refused = {code for code, q in ranges if q <= 0}
    for code, quality in sorted(ranges, key=lambda r: r[1], reverse=True):
        if quality <= 0:
            break
        if code == "*":
            rest = [default_language(), *supported]
            return next((lang for lang in rest if lang not in refused), None)
        primary = code.split("-", 1)[0]
        for candidate in (code, primary):
            if candidate in supported and candidate not in refused:
                return candidate
    return None


def select_language(*, allow_all: bool = False) -> str:
    """Language of this request: ``lang=``, then Accept-Language, then the default.

    The answer is cached on ``g`` so messages, dates and content agree.
    """
    cached = getattr(g, "ifm_lang", None)
    if cached is not None and (cached != ALL or allow_all):
        return cached
    raw = request.args.get("lang")
    if raw is not None:
        code = raw.strip().lower()
        if code == ALL and allow_all:
            g.ifm_lang = ALL
            return ALL
        if code.split("-", 1)[0] not in supported_languages():
            g.ifm_lang = _from_accept_language() or default_language()
            allowed = [*supported_languages(), *([ALL] if allow_all else [])]
            raise BadRequest(
                "unsupported_language",
                detail_args={"value": raw, "supported": ", ".join(allowed)},
                extra={"supported": allowed},
            )
        g.ifm_lang = code.split("-", 1)[0]
        return g.ifm_lang
    g.ifm_lang = _from_accept_language() or default_language()
    return g.ifm_lang


def message_language() -> str:
    """Language for API messages; never fails (used while rendering errors)."""
    cached = getattr(g, "ifm_lang", None)
    if cached and cached != ALL:
        return cached
    raw = (request.args.get("lang") or "").strip().lower().split("-", 1)[0]
    if raw in supported_languages():
        return raw
    return _from_accept_language() or default_language()


@dataclass(frozen=True)
class Picked:
    """The translation served for one item and what fell back."""

    lang: str
    fallback: bool
    values: dict[str, Any]
    fallback_fields: list[str]


def pick_translation(
    translations: Mapping[str, Any],
    lang: str,
    fields: Sequence[str],
    *,
    fallback: bool = True,
) -> Picked | None:
    """Choose the translation for ``lang`` and fill empty fields along the fallback chain.

    ``translations`` maps language codes to objects with the translated ``fields`` as
    attributes. Returns None when nothing may be served.
    """
    chain = (lang, *fallback_chain(lang)) if fallback else (lang,)
    available = [code for code in chain if code in translations]
    if not available:
        return None
    served = available[0]
    primary = translations[served]
    values: dict[str, Any] = {}
    fallback_fields: list[str] = []
    for name in fields:
        value = getattr(primary, name)
        if _is_empty(value) and fallback:
            for code in available[1:]:
                other = getattr(translations[code], name)
                if not _is_empty(other):
                    value = other
                    fallback_fields.append(name)
                    break
        values[name] = value
    return Picked(served, served != lang, values, fallback_fields)


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())
