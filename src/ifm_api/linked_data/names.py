"""Author names split for citations: given, family, particle; honorifics never in a name.

The institute's people carry their parts (``given_name``, ``family_name``,
``honorific_prefix``); external authors are plain strings ("Prof. Dr. Hans von Müller",
"Müller, Bettina"), split by nameparser.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nameparser import HumanName
from slugify import slugify

PARTICLES = ("von der", "von dem", "van der", "van den", "von", "van", "vom", "zu", "de", "da")
GERMAN_FOLDING = [
    ("Ä", "Ae"),
    ("Ö", "Oe"),
    ("Ü", "Ue"),
    ("ä", "ae"),
    ("ö", "oe"),
    ("ü", "ue"),
    ("ß", "ss"),
]


@dataclass(frozen=True)
class AuthorName:
    """One author's name in the parts citation formats need."""

    family: str
    given: str = ""
    particle: str = ""
    suffix: str = ""
    literal: str = ""

    @property
    def family_with_particle(self) -> str:
        return f"{self.particle} {self.family}".strip()

    def inverted(self) -> str:
        """ "von Müller, Hans" (BibTeX, RIS): family name first, particle kept with it."""
        if self.literal:
            return self.literal
        parts = [self.family_with_particle, self.suffix, self.given]
        return ", ".join(part for part in parts if part)

    def csl(self) -> dict[str, str]:
        if self.literal:
            return {"literal": self.literal}
        name = {"family": self.family, "given": self.given}
        if self.particle:
            name["non-dropping-particle"] = self.particle
        if self.suffix:
            name["suffix"] = self.suffix
        return {k: v for k, v in name.items() if v}


def split_particle(family: str) -> tuple[str, str]:
    """("von", "Müller") from "von Müller"; particles are lowercase by convention."""
    lowered = family.lower()
    for particle in PARTICLES:
        if lowered.startswith(particle + " ") and family[: len(particle)].islower():
            return family[: len(particle)], family[len(particle) + 1 :].strip()
    return "", family.strip()


def from_person(person: dict[str, Any]) -> AuthorName:
    """The institute's person: stored parts, the honorific prefix left out."""
    particle, family = split_particle(person.get("family_name") or "")
    given = (person.get("given_name") or "").strip()
    return AuthorName(family=family, given=given, particle=particle)


def from_string(raw: str) -> AuthorName:
    """An external author: "Prof. Dr. Anna von Berg", "Berg, Anna von", "OECD"."""
    text = " ".join(raw.split())
    parsed = HumanName(text)
    family = parsed.last.strip()
    if not family:
        return AuthorName(family=text, literal=text)
    given = " ".join(part for part in (parsed.first, parsed.middle) if part).strip()
    particle, family = split_particle(family)
    return AuthorName(family=family, given=given, particle=particle, suffix=parsed.suffix.strip())


def author_names(authors: list[dict[str, Any]]) -> list[AuthorName]:
    """A report's ``authors`` (with or without embedded people) in order."""
    names = []
    for author in authors:
        person = author.get("person") or {}
        if person.get("family_name"):
            names.append(from_person(person))
        elif author.get("name"):
            names.append(from_string(author["name"]))
    return names


def ascii_key_part(text: str) -> str:
    """ "mueller" from "Müller": German transliteration, then ASCII letters and digits only."""
    return slugify(text, replacements=GERMAN_FOLDING, separator="")
