"""Shapes of projects: public (one language) and editing (all languages)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from ifm_api.core.schemas import (
    MAX_ITEMS,
    NAME_MAX,
    SHORT_TEXT_MAX,
    TITLE_MAX,
    EditSchemaBase,
    EditTranslationBase,
    ItemBaseSchema,
    MemberEditSchema,
    Related,
    Translations,
    embedded_schema,
    item_id,
    item_type,
    names,
    plain_text,
    rich_text,
    summary_schema,
)


class MemberSchema(Schema):
    COMPLETE_OUTPUT = True

    role = fields.String(required=True, metadata={"description": "`lead` or `member`."})
    person = Related(
        "PersonSummarySchema",
        "EmbeddedPersonSchema",
        required=True,
        metadata={"description": "Summary; the full item with `include=members`."},
    )


class ProjectSchema(ItemBaseSchema):
    """A research project in one language."""

    type = item_type("project")
    title = fields.String(required=True)
    summary = fields.String(allow_none=True)
    description = fields.String(allow_none=True, metadata={"description": "Cleaned HTML."})
    start_date = fields.Date(allow_none=True)
    end_date = fields.Date(allow_none=True, metadata={"description": "Open end: null."})
    display_date = fields.String(allow_none=True)
    status = fields.String(
        required=True, metadata={"description": "planned, ongoing or completed (from dates)."}
    )
    funders = fields.List(fields.String())
    partners = fields.List(fields.String())
    research_area = Related(
        "ResearchAreaSummarySchema",
        "ResearchAreaSchema",
        allow_none=True,
        metadata={"description": "Summary; the full item with `include=research_area`."},
    )
    members = fields.List(fields.Nested(MemberSchema))


ProjectSummarySchema = summary_schema("ProjectSummarySchema", "project", "title")
EmbeddedProjectSchema = embedded_schema(
    "EmbeddedProjectSchema", ProjectSchema, ("research_area", "members")
)


class ProjectTranslationEditSchema(EditTranslationBase):
    """The translated fields of a project."""

    title = plain_text(TITLE_MAX, required=True)
    summary = plain_text(SHORT_TEXT_MAX, metadata={"description": "Plain text."})
    description = rich_text()


class ProjectEditSchema(EditSchemaBase):
    """A project in every language: the write shape (and `lang=all&version=draft`)."""

    translations = Translations(ProjectTranslationEditSchema, required=True)
    start_date = fields.Date(allow_none=True)
    end_date = fields.Date(
        allow_none=True, metadata={"description": "Open end: null. Not before `start_date`."}
    )
    funders = names(NAME_MAX, "Funders, in order.")
    partners = names(NAME_MAX, "Partners, in order.")
    research_area = item_id("research area")
    members = fields.List(
        fields.Nested(MemberEditSchema),
        validate=validate.Length(max=MAX_ITEMS),
        metadata={"description": "People with their role (`lead` or `member`), in order."},
    )
