"""Shapes of reports: public (one language) and editing (all languages)."""

from __future__ import annotations

import re

from marshmallow import Schema, ValidationError, fields, validate

from ifm_api.core.messages import N_
from ifm_api.core.schemas import (
    MAX_ITEMS,
    NAME_MAX,
    SPACE,
    TITLE_MAX,
    AuthorEditSchema,
    EditSchemaBase,
    EditTranslationBase,
    ItemBaseSchema,
    Related,
    Text,
    Translations,
    embedded_schema,
    entity_id,
    item_id,
    item_type,
    language_field,
    plain_text,
    rich_text,
    summary_schema,
)
from ifm_api.reports.models import REPORT_TYPES

# Digits as [0-9] and whitespace as ``SPACE``: Python's ``\d`` and ``\s`` mean other
# characters than the document's (ECMA-262). No NUL in either: they are Text fields, and a
# Text field's own pattern must say so itself (``core.openapi._text_pattern`` adds NO_NUL only
# to fields without one).
DOI_PATTERN = rf"^10\.[0-9]{{4,9}}/[^{SPACE}\x00]+$"
# ISBN-10 or ISBN-13 with optional hyphens and spaces; the check digit is verified on top.
ISBN_PATTERN = r"^[- ]*(?:(?:[0-9][- ]*){9}[0-9Xx]|(?:[0-9][- ]*){13})[- ]*$"
# An absolute http(s) URL: a host (no spaces, no @ user part), then an optional path/query.
HTTP_URL_PATTERN = rf"^https?://[^{SPACE}\x00/?#@]+(?:[/?#][^{SPACE}\x00]*)?$"


class ReportFileSchema(Schema):
    COMPLETE_OUTPUT = True

    media_id = fields.Integer(required=True)
    lang = fields.String(required=True, metadata={"description": "The document's language."})
    label = fields.String(allow_none=True)
    filename = fields.String(required=True)
    content_type = fields.String(required=True)
    size = fields.Integer(required=True, metadata={"description": "Bytes."})
    page_count = fields.Integer(allow_none=True, metadata={"description": "Pages (PDF)."})
    url = fields.String(required=True)
    title = fields.String(allow_none=True, metadata={"description": "The file's own title."})
    caption = fields.String(allow_none=True)
    credit = fields.String(allow_none=True)
    license = fields.String(allow_none=True)
    fallback_fields = fields.List(
        fields.String(), metadata={"description": "Texts taken from another language."}
    )


class AuthorSchema(Schema):
    COMPLETE_OUTPUT = True

    name = fields.String(required=True)
    person = Related(
        "PersonSummarySchema",
        "EmbeddedPersonSchema",
        allow_none=True,
        metadata={"description": "The institute's person (full item with `include=authors`)."},
    )


class ReportSchema(ItemBaseSchema):
    """A report in one language."""

    type = item_type("report")
    title = fields.String(required=True)
    abstract = fields.String(allow_none=True, metadata={"description": "Cleaned HTML."})
    publication_date = fields.Date(allow_none=True)
    display_date = fields.String(allow_none=True)
    report_type = fields.String(required=True)
    series = fields.String(allow_none=True)
    number = fields.String(allow_none=True)
    doi = fields.String(allow_none=True)
    isbn = fields.String(allow_none=True)
    external_url = fields.String(allow_none=True, metadata={"description": "Publisher's URL."})
    files = fields.List(fields.Nested(ReportFileSchema))
    authors = fields.List(fields.Nested(AuthorSchema))
    project = Related(
        "ProjectSummarySchema",
        "EmbeddedProjectSchema",
        allow_none=True,
        metadata={"description": "Summary; the full item with `include=project`."},
    )


ReportSummarySchema = summary_schema("ReportSummarySchema", "report", "title")
EmbeddedReportSchema = embedded_schema("EmbeddedReportSchema", ReportSchema, ("authors", "project"))


def validate_isbn(value: str) -> None:
    """ISBN-10 or ISBN-13, hyphens and spaces allowed, check digit verified."""
    digits = re.sub(r"[- ]", "", value).upper()
    if re.fullmatch(r"\d{9}[\dX]", digits):
        total = sum((10 - i) * (10 if c == "X" else int(c)) for i, c in enumerate(digits))
        valid = total % 11 == 0
    elif re.fullmatch(r"\d{13}", digits):
        total = sum((3 if i % 2 else 1) * int(c) for i, c in enumerate(digits))
        valid = total % 10 == 0
    else:
        valid = False
    if not valid:
        raise ValidationError(N_("Not a valid ISBN."))


class ReportFileEditSchema(Schema):
    """A file of a report: an uploaded PDF (`POST /api/v1/media`) and its own language."""

    media_id = entity_id(required=True, metadata={"description": "Id of an uploaded PDF."})
    lang = language_field(required=True)
    label = plain_text(200)


class ReportTranslationEditSchema(EditTranslationBase):
    """The translated fields of a report."""

    title = plain_text(TITLE_MAX, required=True)
    abstract = rich_text()


class ReportEditSchema(EditSchemaBase):
    """A report in every language: the write shape (and `lang=all&version=draft`)."""

    translations = Translations(ReportTranslationEditSchema, required=True)
    publication_date = fields.Date(allow_none=True)
    report_type = fields.String(validate=validate.OneOf(REPORT_TYPES))
    series = plain_text(200)
    number = plain_text(50)
    doi = Text(
        allow_none=True,
        validate=[validate.Length(max=200), validate.Regexp(DOI_PATTERN)],
        metadata={"description": "A DOI such as `10.1000/182` (no URL prefix)."},
    )
    isbn = Text(
        allow_none=True,
        validate=[validate.Length(max=20), validate.Regexp(ISBN_PATTERN), validate_isbn],
        metadata={
            "format": "isbn",
            "description": "ISBN-10 or ISBN-13, hyphens and spaces allowed. Its check digit "
            "is verified too (mod 11 or mod 10), which a pattern cannot say.",
        },
    )
    external_url = Text(
        allow_none=True,
        validate=[validate.Length(max=500), validate.Regexp(HTTP_URL_PATTERN)],
        metadata={"description": "The publisher's page: an absolute `http` or `https` URL."},
    )
    authors = fields.List(
        fields.Nested(AuthorEditSchema),
        validate=validate.Length(max=MAX_ITEMS),
        metadata={"description": f"In order; a person id or an external name (<= {NAME_MAX})."},
    )
    project = item_id("project")
    files = fields.List(
        fields.Nested(ReportFileEditSchema), validate=validate.Length(max=MAX_ITEMS)
    )
