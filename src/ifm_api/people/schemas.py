"""Shapes of people: public (one language) and editing (all languages)."""

from __future__ import annotations

import re

from marshmallow import Schema, ValidationError, fields, validate

from ifm_api.core.messages import N_
from ifm_api.core.schemas import (
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
    plain_text,
    rich_text,
    summary_schema,
)
from ifm_api.media.schemas import CROPS, RENDITIONS, FocalPointSchema

ORCID_PATTERN = r"^[0-9]{4}-[0-9]{4}-[0-9]{4}-[0-9]{3}[0-9X]$"
PHONE_PATTERN = r"^\+?[0-9 ()./-]+$"


class PortraitSchema(Schema):
    """The portrait: the original, its texts in the read's language (each falling back
    like every translated field), and renditions ready for `srcset`."""

    COMPLETE_OUTPUT = True

    media_id = fields.Integer(required=True)
    content_type = fields.String(required=True)
    url = fields.String(required=True, metadata={"description": "The original file."})
    width = fields.Integer(allow_none=True)
    height = fields.Integer(allow_none=True)
    focal_point = fields.Nested(FocalPointSchema, allow_none=True)
    title = fields.String(allow_none=True)
    alt = fields.String(allow_none=True)
    alt_lang = fields.String(
        allow_none=True, metadata={"description": "Language of `alt` (for `lang=`)."}
    )
    caption = fields.String(allow_none=True)
    credit = fields.String(allow_none=True)
    license = fields.String(allow_none=True)
    fallback_fields = fields.List(
        fields.String(), metadata={"description": "Texts taken from another language."}
    )
    renditions = RENDITIONS
    crops = CROPS


class PersonSchema(ItemBaseSchema):
    """A person in one language."""

    type = item_type("person")
    name = fields.String(required=True, metadata={"description": "Display name with prefix."})
    honorific_prefix = fields.String(allow_none=True)
    given_name = fields.String(required=True)
    family_name = fields.String(required=True)
    position = fields.String(allow_none=True)
    biography = fields.String(allow_none=True, metadata={"description": "Cleaned HTML."})
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    orcid = fields.String(allow_none=True)
    is_current = fields.Boolean(required=True)
    status = fields.String(required=True, metadata={"description": "current or alumni."})
    portrait = fields.Nested(PortraitSchema, allow_none=True)
    research_area = Related(
        "ResearchAreaSummarySchema",
        "ResearchAreaSchema",
        allow_none=True,
        metadata={"description": "Summary; the full item with `include=research_area`."},
    )


PersonSummarySchema = summary_schema("PersonSummarySchema", "person", "name")
EmbeddedPersonSchema = embedded_schema("EmbeddedPersonSchema", PersonSchema, ("research_area",))


def validate_orcid(value: str) -> None:
    """The ORCID iD's check digit (ISO 7064 MOD 11-2); the format is checked on its own."""
    digits = value.replace("-", "")
    if not re.fullmatch(r"\d{15}[\dX]", digits):
        return
    total = 0
    for char in digits[:-1]:
        total = (total + int(char)) * 2
    check = (12 - total % 11) % 11
    if digits[-1] != ("X" if check == 10 else str(check)):
        raise ValidationError(N_("Not a valid ORCID iD (check digit)."))


class PersonTranslationEditSchema(EditTranslationBase):
    """The translated fields of a person (both optional)."""

    position = plain_text(200)
    biography = rich_text()


class PersonEditSchema(EditSchemaBase):
    """A person in every language: the write shape (and `lang=all&version=draft`).

    A person needs at least one translation (it may be empty: `{"de": {}}`); the slug is
    made from the name.
    """

    translations = Translations(PersonTranslationEditSchema, required=True)
    honorific_prefix = plain_text(50, metadata={"description": "`Dr.`, `Prof. Dr.` …"})
    given_name = plain_text(100, required=True)
    family_name = plain_text(100, required=True)
    email = fields.Email(allow_none=True, validate=validate.Length(max=200))
    phone = Text(
        allow_none=True, validate=[validate.Length(max=50), validate.Regexp(PHONE_PATTERN)]
    )
    orcid = Text(
        allow_none=True,
        validate=[validate.Regexp(ORCID_PATTERN), validate_orcid],
        metadata={
            "format": "orcid",
            "description": "ORCID iD such as `0000-0002-1825-0097` (no URL). Its check "
            "digit (ISO 7064 MOD 11-2) is verified too, which a pattern cannot say.",
        },
    )
    is_current = fields.Boolean(metadata={"description": "False: alumni. Default true."})
    portrait_id = entity_id(
        allow_none=True, metadata={"description": "Id of an uploaded JPEG/PNG/WebP, or null."}
    )
    research_area = item_id("research area")
