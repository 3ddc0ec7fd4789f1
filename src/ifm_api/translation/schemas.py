"""Shapes of the translation status list and of translation jobs (format only)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ifm_api.core.content import REGISTRY
from ifm_api.core.messages import N_
from ifm_api.core.schemas import (
    DB_INT_MAX,
    MAX_PAGE_SIZE,
    Language,
    LanguageMap,
    LanguageParam,
    PageMetaSchema,
    QueryArgs,
    TranslationStatusSchema,
    WholeNumber,
    validate_language,
)
from ifm_api.translation.service import STATUSES


def content_types() -> list[str]:
    return sorted(spec.type for spec in REGISTRY.values())


class TranslationStatusArgs(QueryArgs):
    type = fields.List(
        fields.String(validate=validate.OneOf(content_types())),
        load_default=list,
        metadata={
            "description": "Only items of these types (repeatable): "
            + ", ".join(content_types())
            + "."
        },
    )
    lang = LanguageParam(
        allow_all=False,
        metadata={
            "description": "The language whose status counts for `status=` and the counts "
            "(default: every configured language). Also the language of messages."
        },
    )
    status = fields.String(
        validate=validate.OneOf(STATUSES),
        metadata={
            "description": "Only items with this status in `lang` (in any language "
            "when `lang` is not given)."
        },
    )
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=DB_INT_MAX))
    page_size = fields.Integer(load_default=20, validate=validate.Range(min=1, max=MAX_PAGE_SIZE))


class TranslationStatusRowSchema(Schema):
    COMPLETE_OUTPUT = True
    id = fields.Integer(required=True)
    type = fields.String(required=True)
    label = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "Title or name (source language first)."},
    )
    url = fields.String(required=True, metadata={"description": "The editing representation."})
    version = fields.Integer(required=True)
    updated_at = fields.DateTime(required=True)
    languages = LanguageMap(
        fields.Nested(TranslationStatusSchema),
        required=True,
        metadata={"description": "Per configured language: status, outdated fields, times."},
    )


def _counts() -> fields.Dict:
    return fields.Dict(
        keys=fields.String(validate=validate.OneOf(STATUSES)),
        values=fields.Integer(),
        required=True,
    )


class TranslationStatusPageSchema(Schema):
    items = fields.List(fields.Nested(TranslationStatusRowSchema), required=True)
    meta = fields.Nested(PageMetaSchema, required=True)
    counts = fields.Dict(
        keys=fields.String(),
        values=_counts(),
        required=True,
        metadata={
            "description": "Per type, per status: (item, language) pairs under the `type` "
            "and `lang` filters, before the `status` filter."
        },
    )
    totals = _counts()


def validate_target(value: str) -> None:
    """A translation target: a configured language other than the source."""
    from ifm_api.translation.tracking import source_language

    validate_language(value)
    if value == source_language():
        raise ValidationError(N_("The source language cannot be a translation target."))


TARGET_DESCRIPTION = (
    "The language to translate into: a configured language other than the source (the "
    "default language)."
)
FORMAT_FIELD_DESCRIPTION = "`xliff` (XLIFF 2.0, default) or `xliff-1.2`."


class XliffExportArgs(QueryArgs):
    target = Language(
        required=True,
        not_source=True,
        validate=validate_target,
        metadata={"description": TARGET_DESCRIPTION},
    )
    format = fields.String(
        load_default="xliff",
        validate=validate.OneOf(["xliff", "xliff-1.2"]),
        metadata={"description": FORMAT_FIELD_DESCRIPTION},
    )


class XliffImportArgs(QueryArgs):
    target = Language(
        not_source=True,
        validate=validate_target,
        metadata={"description": "When given, the document's target language must be it."},
    )


class TranslationJobSchema(Schema):
    """What to send to a translator: items by id, or by type and status in the target."""

    # `ids` or a filter, not both: said in the OpenAPI document (core.openapi.ContractPlugin).
    JSON_SCHEMA_EXTRA = {
        "not": {"anyOf": [{"required": ["ids", "type"]}, {"required": ["ids", "status"]}]}
    }

    target = Language(
        required=True,
        not_source=True,
        validate=validate_target,
        metadata={"description": TARGET_DESCRIPTION},
    )
    ids = fields.List(
        WholeNumber(validate=validate.Range(min=1, max=DB_INT_MAX)),
        validate=validate.Length(min=1, max=1000),
        metadata={"description": "Items by id (any types). Leave out to select by filter."},
    )
    type = fields.List(
        fields.String(validate=validate.OneOf(content_types())),
        validate=validate.Length(max=10),
        metadata={"description": "Filter: only items of these types."},
    )
    status = fields.String(
        validate=validate.OneOf(STATUSES),
        metadata={
            "description": "Filter: only items with this status in `target`, e.g. "
            "`outdated` or `missing`."
        },
    )
    format = fields.String(
        load_default="xliff",
        validate=validate.OneOf(["xliff", "xliff-1.2"]),
        metadata={"description": FORMAT_FIELD_DESCRIPTION},
    )
    package = fields.String(
        load_default="file",
        validate=validate.OneOf(["file", "zip"]),
        metadata={
            "description": "`file`: one XLIFF document with a `<file>` per item (default); "
            "`zip`: a zip with one XLIFF document per item."
        },
    )

    @validates_schema
    def _ids_or_filter(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if "ids" in data and ("type" in data or "status" in data):
            raise ValidationError(N_("Give ids or a filter (type, status), not both."), "ids")


class ConflictSchema(Schema):
    COMPLETE_OUTPUT = True
    unit = fields.String(required=True)
    reason = fields.String(
        required=True,
        validate=validate.OneOf(["source_changed", "translation_changed"]),
        metadata={
            "description": "`source_changed`: the source text changed since the export; "
            "`translation_changed`: the translation was changed by someone else since."
        },
    )


class ImportedItemSchema(Schema):
    COMPLETE_OUTPUT = True
    id = fields.Integer(required=True)
    type = fields.String(required=True)
    version = fields.Integer(
        required=True, metadata={"description": "The item's version after the import."}
    )
    changed_since_export = fields.Boolean(
        required=True, metadata={"description": "The item was written since the export."}
    )
    imported = fields.List(fields.String(), required=True, metadata={"description": "Unit ids."})
    unchanged = fields.List(fields.String(), required=True)
    untranslated = fields.List(
        fields.String(), required=True, metadata={"description": "Units without a target."}
    )
    conflicts = fields.List(fields.Nested(ConflictSchema), required=True)


class ImportReportSchema(Schema):
    items = fields.List(fields.Nested(ImportedItemSchema), required=True)
