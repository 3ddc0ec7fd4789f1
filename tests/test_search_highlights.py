"""Highlights: where the matched words of a text are (``Marker.first`` and ``Marker.spans``).

Both read a text split at white space instead of running the word pattern over all of it;
they must find exactly what reading ``words(text)`` one match at a time finds: the same
first match, the same matched words, at the same places (punctuation, underscores, digits,
a word inside a longer one, other white space, a text longer than one chunk).
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ifm_api.search.service import highlights
from ifm_api.search.text import CHUNK_CHARS, Marker, parse_query, words

LANGS = ("de", "en")


def reference_first(marker: Marker, text: str, lang: str) -> tuple[int, int] | None:
    for match in words(text):
        if marker(match.group(), lang):
            return match.span()
    return None


def reference_spans(marker: Marker, text: str, lang: str) -> list[tuple[int, int]]:
    return [match.span() for match in words(text) if marker(match.group(), lang)]


PIECES = st.sampled_from(
    [
        "Förderung", "förderung", "Förderprogramm", "Projektförderung", "Forderung", "Fördern",
        "Gründung", "Gründungen", "Gründungsforschung", "Müller", "Mueller", "MÜLLER",
        "Straße", "Stadt", "städtische", "und", "der", "funding", "funds", "x", "2024",
        "Förderung_2", "_Förderung", "Förderung-Programm", "(Förderung)", "z.B.", "Müller's",
        "Förderung,", "…Förderung…", "a\u00a0Förderung", "١٢٣", "Ⅻ", "½",
    ]
)  # fmt: skip
SEPARATORS = st.sampled_from([" ", "  ", "\n", "\t", ", ", ". ", "-", "_", "\u00a0", "/", ""])


@st.composite
def texts(draw: st.DrawFn) -> str:
    parts = draw(st.lists(st.tuples(PIECES, SEPARATORS), max_size=40))
    text = "".join(piece + separator for piece, separator in parts)
    if draw(st.booleans()):  # past the first chunk
        text = "Wort " * (CHUNK_CHARS // 5 + draw(st.integers(-3, 3))) + text
    return text


QUERIES = st.sampled_from(["Förderung", "gründung", "Müller", "funding", "Stadt 2024", "x"])


@settings(max_examples=400, deadline=None)
@given(text=texts(), query=QUERIES, lang=st.sampled_from(LANGS), warm=st.booleans())
def test_first_and_spans_are_what_reading_every_word_finds(
    text: str, query: str, lang: str, warm: bool
) -> None:
    marker = Marker(parse_query(query, LANGS))
    if warm:  # answers remembered from another text of the same request
        marker.first("und Förderung Gründung Müller funding Stadt x, 2024.", lang)
        marker.spans("und Förderung Gründung Müller funding Stadt x, 2024.", lang)
    reference = Marker(parse_query(query, LANGS))
    assert marker.first(text, lang) == reference_first(reference, text, lang)
    assert marker.spans(text, lang) == reference_spans(reference, text, lang)
    assert marker.first(text, lang) == reference_first(reference, text, lang)  # remembered


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Projektförderung und Förderung", (21, 30)),  # not inside a longer word
        ("Förderung_2 Förderung", (0, 9)),  # "_" separates words
        ("Die Förderungen", (4, 15)),
        ("Keine", None),
        ("", None),
    ],
)
def test_first_finds_whole_words(text: str, expected: tuple[int, int] | None) -> None:
    assert Marker(parse_query("Förderung", LANGS)).first(text, "de") == expected


def test_highlights_mark_every_matched_word_of_the_window_only_in_fields_with_a_match() -> None:
    marker = Marker(parse_query("Förderung", LANGS))
    body = "Anfang. " * 40 + "Die Förderung, (förderung) und Förderungen_x: Projektförderung."
    found = highlights({"title": "Ohne", "teaser": "Förderung & mehr", "body": body}, marker, "de")
    assert found == {
        "teaser": "<mark>Förderung</mark> &amp; mehr",
        "body": "…Anfang. Anfang. Anfang. Anfang. Anfang. Anfang. Anfang. Die "
        "<mark>Förderung</mark>, (<mark>förderung</mark>) und <mark>Förderungen</mark>_x: "
        "Projektförderung.",
    }
