"""Validation and service messages: English on the way through, translated when rendered.

marshmallow, webargs and the services produce plain English strings; they travel through
``ValidationError``, webargs' error data and ``ApiError.errors``, which all expect ``str``.
:func:`translate_message` turns one into the request's language when ``problem_response``
renders the problem document: an exact catalog lookup, else a match against the catalog's
messages with ``{placeholders}`` ("Longer than maximum length {max}.", built from
marshmallow's own templates) whose captured values go into the translated template. So no
library is patched, formatting stays where marshmallow does it, and a message with values is
still found after it was formatted.

``N_`` marks a string for extraction without translating it (use it for messages put into
``errors`` or ``ValidationError``; format values in with ``str.format`` placeholders).
``BUILTIN_MESSAGES`` lists every message marshmallow and webargs produce, each concrete form
once (``Not a valid {obj_type}.`` becomes "Not a valid datetime." etc. so each can be
translated as a whole sentence); ``tests/test_i18n.py`` checks it against the installed
marshmallow.
"""

from __future__ import annotations

import logging
import re
import string
from functools import cache
from typing import Any

from flask_babel import gettext

from ifm_api.core.catalogs import template_messages

log = logging.getLogger(__name__)


def N_(message: str) -> str:
    """Mark ``message`` for the catalog; it is translated later, when rendered."""
    return message


BUILTIN_MESSAGES: tuple[str, ...] = (
    # marshmallow: Schema
    N_("Unknown field."),
    N_("Invalid input type."),
    # marshmallow: Field and subclasses
    N_("Missing data for required field."),
    N_("Field may not be null."),
    N_("Invalid value."),
    N_("Invalid type."),
    N_("Not a valid list."),
    N_("Not a valid tuple."),
    N_("Not a valid string."),
    N_("Not a valid utf-8 string."),
    N_("Not a valid UUID."),
    N_("Not a valid number."),
    N_("Number too large."),
    N_("Not a valid integer."),
    N_("Special numeric values (nan or infinity) are not permitted."),
    N_("Not a valid boolean."),
    N_("Not a valid datetime."),
    N_("Not a valid naive datetime."),
    N_("Not a valid aware datetime."),
    N_("Not a valid time."),
    N_("Not a valid date."),
    N_('"{input}" cannot be formatted as a datetime.'),
    N_('"{input}" cannot be formatted as a time.'),
    N_('"{input}" cannot be formatted as a date.'),
    N_("Not a valid period of time."),
    N_("{input!r} cannot be formatted as a timedelta."),
    N_("Not a valid mapping type."),
    N_("Not a valid URL."),
    N_("Not a valid email address."),
    N_("Not a valid IP address."),
    N_("Not a valid IPv4 address."),
    N_("Not a valid IPv6 address."),
    N_("Not a valid IP interface."),
    N_("Not a valid IPv4 interface."),
    N_("Not a valid IPv6 interface."),
    # marshmallow: validators
    N_("Must be one of: {choices}."),
    N_("Must be greater than or equal to {min}."),
    N_("Must be greater than {min}."),
    N_("Must be less than or equal to {max}."),
    N_("Must be less than {max}."),
    N_("Must be greater than or equal to {min} and less than or equal to {max}."),
    N_("Must be greater than or equal to {min} and less than {max}."),
    N_("Must be greater than {min} and less than or equal to {max}."),
    N_("Must be greater than {min} and less than {max}."),
    N_("Shorter than minimum length {min}."),
    N_("Longer than maximum length {max}."),
    N_("Length must be between {min} and {max}."),
    N_("Length must be {equal}."),
    N_("Must be equal to {other}."),
    N_("String does not match expected pattern."),
    N_("Invalid input."),
    N_("One or more of the choices you made was not in: {choices}."),
    N_("One or more of the choices you made was in: {values}."),
    # webargs
    N_("Invalid JSON body."),
)


def translate_message(message: Any) -> str:
    """``message`` in the current (flask-babel) locale; unknown messages stay as they are."""
    if not isinstance(message, str):  # a lazy string, formatted in the current locale
        return str(message)
    if message in _known_messages():
        return gettext(message)
    for pattern, template in _templates():
        match = pattern.fullmatch(message)
        if match:
            return _fill(gettext(template), match.groupdict())
    log.warning("message not in the catalog, not translated: %r", message)
    return message


@cache
def _known_messages() -> frozenset[str]:
    return frozenset(template_messages())


@cache
def _templates() -> list[tuple[re.Pattern[str], str]]:
    """Regexes of the catalog messages with placeholders, the most specific first.

    "Must be greater than {min}." also matches "Must be greater than or equal to 1.", so
    templates with more literal text are tried first.
    """
    compiled = []
    for template in _known_messages():
        try:
            parts = list(string.Formatter().parse(template))
        except ValueError:  # braces that are not placeholders
            continue
        if not any(name for _text, name, _spec, _conv in parts):
            continue
        regex, seen, literal = "", set(), 0
        for text, name, _spec, _conv in parts:
            regex += re.escape(text)
            literal += len(text)
            if name is None:
                continue
            group = re.sub(r"\W", "_", name)
            regex += f"(?P={group})" if group in seen else f"(?P<{group}>.+?)"
            seen.add(group)
        compiled.append((literal, re.compile(regex, re.DOTALL), template))
    compiled.sort(key=lambda entry: -entry[0])
    return [(pattern, template) for _literal, pattern, template in compiled]


def _fill(template: str, values: dict[str, str]) -> str:
    """Put captured values into a translated template, verbatim (conversions ignored)."""
    out = []
    try:
        for text, name, _spec, _conv in string.Formatter().parse(template):
            out.append(text)
            if name is not None:
                out.append(values.get(re.sub(r"\W", "_", name), ""))
    except ValueError:
        return template
    return "".join(out)
