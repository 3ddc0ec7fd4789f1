"""Words as the search index and the queries see them: folded, stemmed, prefix-matched.

Both databases get the same tokens from here (written at write time, the query's computed
the same way at read time), so SQLite FTS5 and PostgreSQL ``tsvector`` find the same items:

* case and diacritics fold (``Müller`` = ``muller``), ``ß`` = ``ss``, and the German
  transcriptions ``ae``/``oe``/``ue`` = ``a``/``o``/``u`` (``Mueller`` = ``Muller``); the
  index holds a word with and without that last step, so English words keep their own;
* ``stst`` = ``st`` (Selbst(st)ändigkeit) and three equal letters = two (Schiff(f)ahrt);
* Snowball stems (PyStemmer) of the text's language in the index; a query word is matched by
  its stems in every configured language, since a fallback row holds another language's text;
* every query word of at least ``PREFIX_MIN`` characters matches as a prefix: the last word
  as typed (``Integr``), and compounds by their first part (``Integration`` finds
  ``Integrationsmanagement``).

A query is only words (letters and digits): whatever else is typed, FTS operators included,
separates words and is never FTS syntax.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Literal

import Stemmer

WORD = re.compile(r"[^\W_]+")
TRIPLE = re.compile(r"(.)\1\1")
DIGRAPH = re.compile(r"(?<=[aou])e")
PREFIX_MIN = 3
# A linking "s" after a suffix that takes one, not at the word's start, before at least four
# letters: where a German compound's next part begins.
LINKING_S = re.compile(
    r"(?<=[^\W\d_]{2})(?:ungs|ions|heits|keits|schafts|tats|tums)(?=[^\W\d_]{4})"
)
MAX_QUERY_CHARS = 200
MAX_QUERY_WORDS = 20
# Snowball algorithm per language code (a configured language without one is not stemmed).
ALGORITHMS = {
    "da": "danish", "de": "german", "en": "english", "es": "spanish", "fi": "finnish",
    "fr": "french", "it": "italian", "nl": "dutch", "no": "norwegian", "pl": "polish",
    "pt": "portuguese", "ru": "russian", "sv": "swedish", "tr": "turkish",
}  # fmt: skip


@cache
def stemmer(lang: str | None) -> Stemmer.Stemmer | None:
    algorithm = ALGORITHMS.get((lang or "").split("-")[0])
    return Stemmer.Stemmer(algorithm) if algorithm else None


def fold(word: str) -> str:
    """Lower case without diacritics, ``ß`` as ``ss``, ``stst`` as ``st``, no triple letters."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return TRIPLE.sub(r"\1\1", plain.replace("stst", "st"))


def undigraph(folded: str) -> str:
    """``ae``/``oe``/``ue`` as ``a``/``o``/``u`` (how ä/ö/ü are typed without umlauts)."""
    return DIGRAPH.sub("", folded)


def words(text: str) -> Iterator[re.Match[str]]:
    return WORD.finditer(text)


def forms(word: str, langs: Iterable[str | None]) -> set[str]:
    """A word's folded forms and their stems in ``langs``."""
    folded = fold(word)
    variants = {folded, undigraph(folded)}
    found = set(variants)
    for lang in langs:
        stem = stemmer(lang)
        if stem is not None:
            found.update(stem.stemWords(list(variants)))
    found.discard("")
    return found


@lru_cache(maxsize=262_144)
def word_forms(word: str, lang: str | None) -> frozenset[str]:
    """``forms`` of a word of a text in ``lang`` (cached: texts repeat their words), and in
    German those of the compound's later parts (``compound_tails``)."""
    found = forms(word, (lang,))
    if (lang or "").split("-")[0] == "de":
        for tail in compound_tails(fold(word)):
            found |= forms(tail, (lang,))
    return frozenset(found)


def compound_tails(folded: str) -> list[str]:
    """The later parts of a German compound that a linking ``s`` after ``-ung``, ``-ion``,
    ``-heit``, ``-keit``, ``-schaft``, ``-tät`` or ``-tum`` marks: ``Integrationsmanagement``
    is also ``management``, ``Gründungsforschung`` also ``forschung`` (no dictionary: the
    suffixes that take a linking ``s`` are where most German compounds of this kind join)."""
    return [folded[match.end() :] for match in LINKING_S.finditer(folded)]


def index_tokens(texts: Iterable[str], lang: str | None) -> set[str]:
    """The tokens of some text in ``lang``, as the index stores them."""
    unique = set().union(*(WORD.findall(text) for text in texts))  # C-speed: no Match objects
    return set().union(*(word_forms(word, lang) for word in unique))


TITLE, BODY = "title", "body"  # the tiers of relevance: a word in the title, or only elsewhere
Tier = Literal["title", "body"] | None


@dataclass(frozen=True, order=True)
class Alternative:
    token: str
    prefix: bool

    def matches(self, token: str) -> bool:
        return token.startswith(self.token) if self.prefix else token == self.token


@dataclass(frozen=True)
class Query:
    """Every word must match (AND); a word matches by any of its alternatives (OR)."""

    terms: tuple[tuple[Alternative, ...], ...]

    def tokens(self) -> list[Alternative]:
        return [alt for term in self.terms for alt in term]

    def fts5(self, tier: Tier = None) -> str:
        """The FTS5 MATCH expression: quoted tokens only, so nothing typed is syntax. With a
        tier, only the matches with (``TITLE``) or without (``BODY``) a word in the title.
        (``search.service`` writes it with bound tokens, and prefixes as the terms they
        cover.)"""
        found = " AND ".join(
            "(" + " OR ".join(_phrase(a) for a in term) + ")" for term in self.terms
        )
        if tier is None:
            return found
        title = " OR ".join(_phrase(a) for a in self.tokens())
        return f"({found}) {'AND' if tier == TITLE else 'NOT'} title : ({title})"

    def tsquery(self, *, any_term: bool = False, covered: Mapping[str, str] | None = None) -> str:
        """The PostgreSQL ``tsquery`` text (cast, not parsed: the lexemes are ours); a prefix
        in ``covered`` is written as the lexemes it covers (``search.service``)."""
        terms = covered or {}

        def lexeme(alt: Alternative) -> str:
            return terms.get(alt.token, _lexeme(alt)) if alt.prefix else _lexeme(alt)

        if any_term:
            return " | ".join(lexeme(a) for a in self.tokens())
        return " & ".join("(" + " | ".join(lexeme(a) for a in term) + ")" for term in self.terms)


def _phrase(alt: Alternative) -> str:
    return f'"{alt.token}"' + ("*" if alt.prefix else "")


def _lexeme(alt: Alternative) -> str:
    return f"'{alt.token}'" + (":*" if alt.prefix else "")


def query_words(text: str) -> list[str]:
    return [match.group() for match in words(text)]


def parse_query(text: str, langs: Iterable[str]) -> Query:
    """The query of what a visitor typed (already checked for length and word count)."""
    languages = tuple(langs)
    terms: list[tuple[Alternative, ...]] = []
    for word in query_words(text):
        term = _alternatives(forms(word, languages))
        if term not in terms:
            terms.append(term)
    return Query(tuple(terms))


def _alternatives(found: set[str]) -> tuple[Alternative, ...]:
    """The forms as alternatives, without those a shorter prefix alternative covers."""
    alts = sorted(Alternative(f, len(f) >= PREFIX_MIN) for f in found)
    kept = [
        alt
        for alt in alts
        if not any(
            o.prefix and o.token != alt.token and alt.token.startswith(o.token) for o in alts
        )
    ]
    return tuple(kept)


CHUNK_CHARS = 512  # a first match is looked for in pieces of a text this long, about


class Marker:
    """Which words of a text in some language the query matched (for highlights), and
    where: remembers its answers for the request's texts (they repeat their words), per
    word and per piece of text between white space without a matched word."""

    def __init__(self, query: Query) -> None:
        alternatives = query.tokens()
        self.prefixes = tuple(a.token for a in alternatives if a.prefix)
        self.exact = frozenset(a.token for a in alternatives if not a.prefix)
        self.memo: dict[str | None, dict[str, bool]] = {}
        self.plain: dict[str | None, set[str]] = {}

    def __call__(self, word: str, lang: str | None) -> bool:
        return self.for_language(lang)(word)

    def for_language(self, lang: str | None) -> Callable[[str], bool]:
        """The test for words of a text in ``lang`` (one dictionary look-up a word seen)."""
        memo = self.memo.setdefault(lang, {})
        exact, prefixes = self.exact, self.prefixes

        def matched(word: str) -> bool:
            hit = memo.get(word)
            if hit is None:
                found = word_forms(word, lang)
                hit = memo[word] = not exact.isdisjoint(found) or any(
                    token.startswith(prefixes) for token in found
                )
            return hit

        return matched

    def first(self, text: str, lang: str | None) -> tuple[int, int] | None:
        """Where the first matched word of ``text`` is (start, end), or ``None``: the first
        match of ``words(text)`` that the test passes, read only up to it. The text is split
        at white space (in C) piece by piece of ``CHUNK_CHARS``; a piece known to hold no
        matched word is passed over (a whole chunk of them at once), the others are read
        word by word. The word found is then looked up as a whole word: its first
        occurrence is the first match (an earlier one would have been found before)."""
        matched = self.for_language(lang)
        plain = self.plain.setdefault(lang, set())
        for pieces in _chunks(text):
            if plain.issuperset(pieces):
                continue
            for piece in pieces:
                if piece in plain:
                    continue
                for word in _piece_words(piece):
                    if matched(word):
                        return next(_whole_words(text, word))
                plain.add(piece)
        return None

    def spans(self, text: str, lang: str | None) -> list[tuple[int, int]]:
        """Where the matched words of ``text`` are, in order: (start, end) of each match of
        ``words(text)`` that the test passes (each distinct word tested once)."""
        matched = self.for_language(lang)
        plain = self.plain.setdefault(lang, set())
        found: set[str] = set()
        for piece in text.split():
            if piece in plain:
                continue
            hits = [word for word in _piece_words(piece) if matched(word)]
            if hits:
                found.update(hits)
            else:
                plain.add(piece)
        spans = [span for word in found for span in _whole_words(text, word)]
        spans.sort()
        return spans


def _chunks(text: str) -> Iterator[list[str]]:
    """The pieces of ``text`` between white space (``str.split``), about ``CHUNK_CHARS``
    of text at a time: cut at a space, so no piece is cut."""
    position, length = 0, len(text)
    while position < length:
        cut = text.find(" ", position + CHUNK_CHARS)
        end = length if cut < 0 else cut
        yield text[position:end].split()
        position = end


def _piece_words(piece: str) -> Sequence[str]:
    """The words (``words``) of a piece of text without white space: itself when it is all
    letters and digits (``[^\\W_]`` is ``str.isalnum``), else the pattern's matches."""
    return (piece,) if piece.isalnum() else WORD.findall(piece)


def _whole_words(text: str, word: str) -> Iterator[tuple[int, int]]:
    """The occurrences of ``word`` in ``text`` not inside a longer word: the matches of
    ``words(text)`` that are ``word``."""
    start = text.find(word)
    while start >= 0:
        end = start + len(word)
        before = start == 0 or not text[start - 1].isalnum()
        if before and (end == len(text) or not text[end].isalnum()):
            yield start, end
        start = text.find(word, end if before else start + 1)
