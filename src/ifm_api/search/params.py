"""The ``q`` query parameter: capped and checked before any query is built."""

from __future__ import annotations

from typing import Any, NoReturn

from marshmallow import fields, validate

from ifm_api.core.errors import BadRequest
from ifm_api.core.messages import N_
from ifm_api.core.text import NO_NUL
from ifm_api.search.text import MAX_QUERY_CHARS, MAX_QUERY_WORDS, query_words

MAX_SEARCH_RESULTS = 1_000  # matches a search counts and pages through, at most
NO_WORDS = N_("No word to search for.")
TOO_MANY_WORDS = N_("At most {max} words.")
Q_DESCRIPTION = (
    f"Search words (at most {MAX_QUERY_CHARS} characters and {MAX_QUERY_WORDS} words); every "
    "word must be found. Case and diacritics fold (ä = ae = a, ß = ss), words are stemmed "
    "(German and English Snowball) and match as prefixes, so `Integr` and `Integration` find "
    "`Integrationsmanagement`. Anything but letters and digits separates words (no operator "
    "syntax); a `q` without a word, or with too many, is a 400 of type `search_words`. "
    "Title and name matches rank above the other texts, then newer items. At most the "
    f"first {MAX_SEARCH_RESULTS:,} matches are counted and paged through "
    "(`meta.total_exact`)."
)

LIST_Q_DESCRIPTION = (
    f"{Q_DESCRIPTION} With `q`, the default `sort` is relevance (and a `sort` given orders "
    "the matches); only for public one-language reads (not `lang=all`, working copies or "
    "citation formats)."
)


def _has_words(value: str) -> None:
    """A 400 of its own problem type (``search_words``): "a Unicode letter or digit" has no
    pattern every regex dialect reads alike (ECMA-262's ``\\w`` is ASCII), so the OpenAPI
    document says the rule in words and clients can tell this answer apart."""
    found = query_words(value)
    if not found:
        _bad_words(NO_WORDS)
    if len(found) > MAX_QUERY_WORDS:
        _bad_words(TOO_MANY_WORDS.format(max=MAX_QUERY_WORDS))


def _bad_words(message: str) -> NoReturn:
    raise BadRequest("search_words", detail_args={"max": MAX_QUERY_WORDS}, errors={"q": [message]})


def search_param(description: str = Q_DESCRIPTION, **kwargs: Any) -> fields.String:
    return fields.String(
        validate=[validate.Length(max=MAX_QUERY_CHARS), _has_words],
        # No NUL, as in every text the API takes (``core.parsing``); not a ``core.schemas.Text``,
        # which imports this module.
        metadata={"description": description, "pattern": NO_NUL},
        **kwargs,
    )
