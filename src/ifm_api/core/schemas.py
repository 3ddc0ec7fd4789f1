"""Base schemas: query arguments, the pagination envelope, shared item fields, problems,
and the editing (write) shape every content type shares."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from marshmallow import (
    INCLUDE,
    Schema,
    ValidationError,
    fields,
    post_load,
    pre_load,
    validate,
    validates_schema,
)

from ifm_api.core.i18n import supported_languages
from ifm_api.core.messages import N_
from ifm_api.core.text import MAX_SLUG, nfc
from ifm_api.search.params import LIST_Q_DESCRIPTION, MAX_SEARCH_RESULTS, search_param

MAX_PAGE_SIZE = 100
DB_INT_MAX = 2**31 - 1  # ids and page numbers beyond the databases' INTEGER are a 400/404
PUBLICATION_STATUSES = ("draft", "published", "all")
STATUS_DESCRIPTION = (
    "Which items, for editors and previews: `published` (default; what the public sees), "
    "`draft` (items not public in any language now: never published, unpublished or only "
    "scheduled; shown as working copies) or `all` (every item as its working copy). "
    "`draft` and `all` need a `preview` token or higher."
)


class LanguageParam(fields.String):
    """The ``lang`` query parameter: documented as an enum of the configured languages (and
    ``all`` where the read has an every-language shape). ``select_language`` checks it: an
    unsupported value is a 400 that lists the ``supported`` ones."""

    def __init__(self, *, allow_all: bool, **kwargs: Any) -> None:
        self.allow_all = allow_all
        super().__init__(**kwargs)


class Language(fields.String):
    """A language code in a body: one of the configured languages (``not_source``: other
    than the default language translations are made from; documented so in the enum)."""

    def __init__(self, *, not_source: bool = False, **kwargs: Any) -> None:
        self.not_source = not_source
        kwargs.setdefault("validate", validate_language)
        kwargs.setdefault(
            "metadata", {"description": "A configured language code (default: `de`, `en`)."}
        )
        super().__init__(**kwargs)


class LanguageMap(fields.Dict):
    """An object keyed by language code: documented with one property per configured
    language (so generated clients get ``translations.de``, ``translations.en``)."""

    def __init__(self, values: fields.Field, **kwargs: Any) -> None:
        super().__init__(keys=fields.String(), values=values, **kwargs)


def validate_language(value: str) -> None:
    if value not in supported_languages():
        raise ValidationError(
            N_("Not a supported language; use one of: {languages}.").format(
                languages=", ".join(supported_languages())
            )
        )


class IncludeParam(fields.String):
    """`include=`: relations to embed, comma-separated (``include=people,reports``; the
    parameter may also be repeated). Documented as an array of the resource's embeddable
    relations in form style, not exploded; ``core.views.parse_include`` checks it."""

    def __init__(self, allowed: Sequence[str], **kwargs: Any) -> None:
        self.allowed = tuple(allowed)
        kwargs.setdefault(
            "metadata",
            {
                "description": "Relations to embed as full items instead of summaries, "
                f"comma-separated, e.g. `{','.join(self.allowed)}`."
            },
        )
        super().__init__(**kwargs)


INVALID_TEXT = N_("Contains characters that are not allowed.")


def storable_text(text: str) -> bool:
    """No NUL and no unpaired surrogates: text every database stores (PostgreSQL fails on
    NUL, and neither encodes a lone surrogate as UTF-8)."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class QueryArgs(Schema):
    """Query arguments every endpoint accepts; a parameter a schema does not declare is a
    400 naming the declared ones (``core.parsing.ApiParser``)."""

    lang = LanguageParam(
        allow_all=False,
        metadata={
            "description": "Language of messages (problem documents), e.g. `de`, `en`. "
            "Default: Accept-Language, then the default language."
        },
    )


class NoQueryArgs(QueryArgs):
    """The query of an endpoint without parameters of its own: only `lang` for messages.

    The language is read where messages are rendered, so nothing is passed to the view.
    """

    @post_load
    def _nothing_to_pass(self, _data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        return {}


class ReadArgs(QueryArgs):
    """Query arguments every read accepts."""

    lang = LanguageParam(
        allow_all=True,
        metadata={
            "description": "Language of the response (`all` for every translation in the "
            "editing shape). Default: Accept-Language, then the default language. A regional "
            "variant (`en-US`) means its language."
        },
    )
    fallback = fields.Boolean(
        load_default=True,
        metadata={"description": "Fall back to another language when a translation is missing."},
    )
    version = fields.String(
        load_default="live",
        validate=validate.OneOf(["live", "draft"]),
        metadata={
            "description": "`draft` reads the working copy (needs a `preview` token or "
            "higher). With `lang=all` a detail is then the editing representation, whose "
            "`ETag` is the one `If-Match` of a write expects."
        },
    )


def one_language_read_param() -> LanguageParam:
    """``lang`` of a read that has no every-language shape (redirects, citations)."""
    return LanguageParam(
        allow_all=False,
        metadata={
            "description": "Language of the response. Default: Accept-Language, then the "
            "default language. A regional variant (`en-US`) means its language."
        },
    )


class ListArgs(ReadArgs):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=DB_INT_MAX))
    page_size = fields.Integer(load_default=20, validate=validate.Range(min=1, max=MAX_PAGE_SIZE))
    status = fields.String(
        validate=validate.OneOf(PUBLICATION_STATUSES),
        metadata={"description": STATUS_DESCRIPTION},
    )
    q = search_param(LIST_Q_DESCRIPTION)


def id_filter(description: str) -> fields.Integer:
    """A list filter by the id of a related item."""
    return fields.Integer(
        validate=validate.Range(min=1, max=DB_INT_MAX), metadata={"description": description}
    )


def list_args_schema(
    name: str, sorts: list[str], default_sort: str, extra: dict[str, fields.Field]
) -> type[Schema]:
    """The list arguments of one resource: shared ones, its sorts and its filters."""
    attrs: dict[str, Any] = {
        "sort": fields.String(
            load_default=default_sort,
            validate=validate.OneOf(sorts),
            metadata={"description": f"Sort order, one of: {', '.join(sorts)}."},
        ),
        **extra,
    }
    return type(name, (ListArgs,), attrs)


class PageMetaSchema(Schema):
    page = fields.Integer(required=True)
    page_size = fields.Integer(required=True)
    total = fields.Integer(
        required=True,
        metadata={
            "description": "Items in the list; with `q`, the matches counted (at most "
            f"{MAX_SEARCH_RESULTS:,}: see `total_exact`)."
        },
    )
    pages = fields.Integer(required=True)
    total_exact = fields.Boolean(
        metadata={
            "description": "Only with `q` (and on `/api/v1/search`): `false` when more than "
            f"{MAX_SEARCH_RESULTS:,} items match. A search counts and pages through the "
            f"first {MAX_SEARCH_RESULTS:,} matches only (`total` and `pages` are then those, "
            "later pages are empty): narrow the query to see the others."
        }
    )


def page_schema(name: str, *item_schemas: type[Schema]) -> type[Schema]:
    """The list envelope; with several item schemas each item is exactly one of them (a
    one-language item, or with `lang=all` every translation), so an empty page is valid
    once, not twice."""
    item: fields.Field = (
        fields.Nested(item_schemas[0]) if len(item_schemas) == 1 else OneOf(*item_schemas)
    )
    return type(
        name,
        (Schema,),
        {
            "items": fields.List(item, required=True),
            "meta": fields.Nested(PageMetaSchema, required=True),
        },
    )


class TranslationLinkSchema(Schema):
    """One published language version of an item (for language switches and hreflang)."""

    slug = fields.String(required=True)
    title = fields.String(metadata={"description": "Title (or `name`) in that language."})
    name = fields.String()
    url = fields.Url(required=True, metadata={"description": "API URL of that version."})
    web_url = fields.Url(
        required=True, metadata={"description": "Public website URL of that version."}
    )


class ItemBaseSchema(Schema):
    """Fields every item carries in a one-language read."""

    COMPLETE_OUTPUT = True  # every field is in every body (see core.openapi)

    id = fields.Integer(required=True)
    type = fields.String(required=True)
    lang = fields.String(required=True, metadata={"description": "Language actually served."})
    fallback = fields.Boolean(
        required=True, metadata={"description": "True when the item fell back to `lang`."}
    )
    fallback_fields = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "Fields filled from a fallback language."},
    )
    slug = fields.String(required=True)
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)
    translations = LanguageMap(
        fields.Nested(TranslationLinkSchema),
        required=True,
        metadata={"description": "Every language the item is published in (for a reader)."},
    )
    url = fields.String(required=True)
    web_url = fields.String(required=True)


def item_type(name: str) -> fields.String:
    """The ``type`` of an item: one fixed value per resource."""
    return fields.String(required=True, validate=validate.OneOf([name]))


def summary_schema(name: str, type_name: str, label_field: str) -> type[Schema]:
    """A related item without `include=`: just enough to link to it."""
    return type(
        name,
        (Schema,),
        {
            "__doc__": f"A related {type_name.replace('_', ' ')} without `include=`: just "
            "enough to link to it.",
            "id": fields.Integer(required=True),
            "type": item_type(type_name),
            "slug": fields.String(required=True),
            label_field: fields.String(required=True),
            "url": fields.String(required=True),
        },
    )


def embedded_schema(name: str, item_schema: type[Schema], relations: tuple[str, ...]) -> type:
    """An item as `include=` embeds it: the item in the same language without its own
    relations (those are never embedded twice)."""
    meta = type("Meta", (), {"exclude": relations})
    doc = f"{item_schema.__doc__ or ''} Embedded with `include=`: without its relations."
    return type(name, (item_schema,), {"Meta": meta, "__doc__": doc})


class OneOf(fields.Raw):
    """A value of exactly one of several schemas (documented as ``oneOf``, in this order:
    generated clients try the branches in order, so the one with more required fields
    comes first). Schemas may be named by their marshmallow class names."""

    def __init__(self, *schemas: str | type[Schema], **kwargs: Any) -> None:
        self.schemas = schemas
        super().__init__(**kwargs)


class Related(OneOf):
    """A related item: its summary, or with `include=<relation>` the embedded item.

    Named by class names, so resource schema modules need not import each other. The two
    never both match a body: the summary has fewer fields than the item requires, and no
    field the summary lacks.
    """

    def __init__(self, summary: str, embedded: str, **kwargs: Any) -> None:
        super().__init__(embedded, summary, **kwargs)


class ProblemSchema(Schema):
    """RFC 9457 problem details. Other members may follow (RFC 9457 extension members):
    clients must ignore those they do not know."""

    class Meta:
        unknown = INCLUDE

    type = fields.String(
        required=True,
        metadata={"description": "A URN naming the problem, `urn:ifm-api:problem:<key>`."},
    )
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    instance = fields.String(metadata={"description": "The request's path."})
    request_id = fields.String(
        metadata={
            "description": "The request's `X-Request-ID` (the one sent when well-formed, else "
            "a new one): quote it when reporting a problem, the logs carry it."
        }
    )
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={"description": "422: field path (e.g. `translations.en.title`) -> messages."},
    )
    supported = fields.List(
        fields.String(),
        metadata={"description": "400 for an unsupported language: the values `lang` takes."},
    )
    accepted = fields.List(
        fields.String(),
        metadata={"description": "415 for an upload: the content types accepted."},
    )


# --- the editing (write) shape -------------------------------------------------------------

MAX_ID = 2**31 - 1
TITLE_MAX = 300
SHORT_TEXT_MAX = 5_000
RICH_TEXT_MAX = 200_000
NAME_MAX = 300
MAX_ITEMS = 200
SLUG_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
READ_ONLY_FIELDS = (
    "id",
    "type",
    "version",
    "created_at",
    "updated_at",
    "created_by",
    "updated_by",
    "publication",
    "translation_status",
)


class Text(fields.String):
    """A string to store: Unicode NFC, no NUL and no unpaired surrogates (no database takes
    those), lengths checked on the normalised text."""

    default_error_messages = {"invalid_text": INVALID_TEXT}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if not storable_text(text):
            raise self.make_error("invalid_text")
        return nfc(text)


# A required text needs more than whitespace: a title of spaces would show as nothing and get
# the slug `item`. As a pattern it is documented in the OpenAPI document too (JSON Schema
# searches a pattern anywhere, marshmallow matches it at the start: the same rule).
# Whitespace as Python's ``\s`` and the document's (ECMA-262) ``\s`` know it, together and
# spelled out: the two differ (Python's takes \x1c-\x1f and \x85, ECMA's \ufeff), and a
# pattern must mean the same to the server and to a client that checks it.
SPACE = r"\t\n\v\f\r \x1c-\x1f\x85\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
NOT_BLANK = validate.Regexp(rf"[{SPACE}]*[^{SPACE}]", error=N_("Field may not be empty."))
_ALL_SPACE = re.compile(rf"[{SPACE}]*")


def is_blank(text: str | None) -> bool:
    """Whether ``text`` is absent or only ``SPACE``: blank as the patterns say it, which
    ``str.strip`` does not (it keeps U+FEFF)."""
    return text is None or _ALL_SPACE.fullmatch(text) is not None


def rich_text(**kwargs: Any) -> Text:
    """An HTML field: cleaned to the allowlist on the way in (scripts, event handlers,
    styles and `javascript:` URLs removed)."""
    return Text(
        allow_none=True,
        validate=validate.Length(max=RICH_TEXT_MAX),
        metadata={
            "description": "HTML, cleaned on the way in to paragraphs, headings, lists, "
            "links, emphasis and tables."
        },
        **kwargs,
    )


def plain_text(max_length: int, *, required: bool = False, **kwargs: Any) -> Text:
    """A translated or untranslated plain-text field; required ones may not be empty."""
    if required:
        return Text(required=True, validate=[NOT_BLANK, validate.Length(max=max_length)], **kwargs)
    return Text(allow_none=True, validate=validate.Length(max=max_length), **kwargs)


def language_field(**kwargs: Any) -> fields.String:
    return Language(**kwargs)


class WholeNumber(fields.Integer):
    """A JSON integer: ``12`` and ``12.0`` (JSON Schema's ``integer`` is any number without a
    fraction), never ``"12"``, ``12.5`` or ``true``."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(strict=True, **kwargs)

    def _validated(self, value: Any) -> int:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return super()._validated(value)


def entity_id(**kwargs: Any) -> fields.Integer:
    """The id of another item (it must exist and be of the right type)."""
    return WholeNumber(validate=validate.Range(min=1, max=MAX_ID), **kwargs)


def item_ids(target: str) -> fields.List:
    """Relation kind `items`: an ordered list of ids."""
    return fields.List(
        entity_id(),
        validate=validate.Length(max=MAX_ITEMS),
        metadata={"description": f"Ids of {target}, in order."},
    )


def item_id(target: str) -> fields.Integer:
    """Relation kind `item`: one id or null."""
    return entity_id(allow_none=True, metadata={"description": f"Id of the {target} or null."})


def names(max_length: int, description: str) -> fields.List:
    """Relation kind `names` (tags) and plain lists of names (funders, partners)."""
    return fields.List(
        Text(validate=[NOT_BLANK, validate.Length(max=max_length)]),
        validate=validate.Length(max=MAX_ITEMS),
        metadata={"description": description},
    )


class AuthorEditSchema(Schema):
    """An author: one of the institute's people (`person`) or an external `name`."""

    # Exactly one of them, said in the OpenAPI document (``core.openapi.ContractPlugin``) as
    # if/then/else rather than oneOf, which generators turn into two anonymous model types.
    JSON_SCHEMA_EXTRA = {
        "if": {"required": ["person"], "properties": {"person": {"type": "integer"}}},
        "then": {
            "properties": {
                "name": {
                    "anyOf": [{"type": "null"}, {"type": "string", "pattern": rf"^[{SPACE}]*$"}]
                }
            }
        },
        "else": {
            "required": ["name"],
            "properties": {"name": {"type": "string", "pattern": rf"^[^\x00]*[^{SPACE}\x00]"}},
        },
    }

    person = entity_id(allow_none=True, metadata={"description": "Id of a person."})
    name = plain_text(NAME_MAX, metadata={"description": "An external author's name."})

    @validates_schema
    def _person_or_name(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if (data.get("person") is None) == is_blank(data.get("name")):
            raise ValidationError(N_("Give either person or name."), "_schema")


class MemberEditSchema(Schema):
    """A project member: a person and the role in the project."""

    person = entity_id(required=True, metadata={"description": "Id of a person."})
    role = fields.String(load_default="member", validate=validate.OneOf(["lead", "member"]))


class EditTranslationBase(Schema):
    """Fields every translation has in the write shape."""

    slug = fields.String(
        validate=[validate.Length(min=1, max=MAX_SLUG), validate.Regexp(SLUG_PATTERN)],
        metadata={
            "description": "Lowercase ASCII words joined by `-`. Generated from the title "
            "(German transliteration) when a translation is created without one; a generated "
            "slug that is taken gets a numbered suffix (`-2`), a given one that is taken is "
            "a 409. A changed slug answers with a 301 from the old one once published."
        },
    )


class Translations(LanguageMap):
    """``{"de": {...}, "en": {...}}``: keys are configured languages.

    In a create (and the editing representation) every value is a translation and at least
    one is there; in a PATCH (``removable``) ``null`` removes that translation. Errors are
    reported under ``<lang>.<field>`` (not marshmallow's ``value`` wrapper), so a problem
    document names ``translations.en.title``.
    """

    def __init__(self, schema: type[Schema], *, removable: bool = False, **kwargs: Any) -> None:
        self.schema_class = schema
        self.removable = removable
        kwargs.setdefault(
            "metadata",
            {
                "description": "Per language (`de`, `en`, … as configured) the translated "
                "fields. In a PATCH, a language that is left out stays as it is, `null` "
                "removes that translation, and only the fields named change."
            },
        )
        super().__init__(fields.Nested(schema, allow_none=removable), **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, Mapping):
            raise self.make_error("invalid")
        assert self.value_field is not None
        result: dict[str, Any] = {}
        errors: dict[str, Any] = {}
        for lang, values in value.items():
            try:
                validate_language(lang)
                result[lang] = self.value_field.deserialize(values, **kwargs)
            except ValidationError as error:
                errors[lang] = error.messages
        if errors:
            raise ValidationError(errors, valid_data=result)
        return result


class PublicationSchema(Schema):
    status = fields.String(
        required=True,
        validate=validate.OneOf(["draft", "scheduled", "published"]),
        metadata={"description": "`draft` (not public), `scheduled` or `published`."},
    )
    visible_from = fields.DateTime(
        allow_none=True, metadata={"description": "When this language is (or goes) public."}
    )


class TranslationStatusSchema(Schema):
    """One language of an item for editors: its translation status."""

    COMPLETE_OUTPUT = True
    status = fields.String(
        required=True,
        validate=validate.OneOf(["missing", "draft", "published", "scheduled", "outdated"]),
        metadata={
            "description": "`missing` (no translation), `draft` (not public), `published`, "
            "`scheduled` (public from a future time) or `outdated` (the source language "
            "changed after this translation was last written, in `outdated_fields`)."
        },
    )
    publication = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "`draft`, `published`, `scheduled`, or null when missing."},
    )
    outdated_fields = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "Fields whose source text changed after this translation's."},
    )
    public_lang = fields.String(
        required=True,
        allow_none=True,
        metadata={
            "description": "The language a public read in this language serves now (another "
            "one when it falls back); null when nothing is public."
        },
    )
    fallback_fields = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "Fields a public read in this language takes from another."},
    )
    source_changed_at = fields.DateTime(
        required=True,
        allow_none=True,
        metadata={
            "description": "Last change of the source language (of the outdated fields, if "
            "any); null for the source language itself."
        },
    )
    translation_changed_at = fields.DateTime(
        required=True,
        allow_none=True,
        metadata={"description": "When this translation was last written."},
    )


class EditSchemaBase(Schema):
    """The editing representation (`lang=all&version=draft`) and the write body.

    The read-only fields of the representation may be sent back unchanged (they are ignored),
    so what a GET returns can be edited and PATCHed as it is. Any other unknown field is a
    422.
    """

    id = fields.Integer(dump_only=True)
    type = fields.String(dump_only=True)
    version = fields.Integer(
        dump_only=True, metadata={"description": "Bumped by every write (the ETag follows it)."}
    )
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)
    created_by = fields.String(dump_only=True, allow_none=True)
    updated_by = fields.String(dump_only=True, allow_none=True)
    publication = LanguageMap(
        fields.Nested(PublicationSchema),
        dump_only=True,
        metadata={"description": "Per language of the item: public, scheduled or draft."},
    )
    translation_status = LanguageMap(
        fields.Nested(TranslationStatusSchema),
        dump_only=True,
        metadata={
            "description": "Per configured language: translation status, outdated fields "
            "and the fields a public read would take from another language."
        },
    )

    @pre_load
    def _drop_read_only(self, data: Any, **_kwargs: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        return {key: value for key, value in data.items() if key not in READ_ONLY_FIELDS}

    @validates_schema
    def _needs_a_translation(self, data: dict[str, Any], partial: Any = None, **_: Any) -> None:
        if partial or "translations" not in data:
            return
        if not any(values is not None for values in data["translations"].values()):
            raise ValidationError(N_("At least one translation is needed."), "translations")


def patch_schema(edit_schema: type[EditSchemaBase]) -> type[EditSchemaBase]:
    """The PATCH body of a resource: the edit shape with every field optional."""

    def __init__(self: EditSchemaBase, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("partial", True)
        edit_schema.__init__(self, *args, **kwargs)

    name = edit_schema.__name__.replace("EditSchema", "PatchSchema")
    doc = (
        "Changes to an item: only the fields named change (a missing field stays as it is). "
        "A translation that is new must carry its required fields; `null` removes one."
    )
    translations = edit_schema._declared_fields["translations"]
    assert isinstance(translations, Translations)
    removable = Translations(translations.schema_class, removable=True)
    impact = fields.String(
        load_only=True,
        validate=validate.OneOf(["normal", "none"]),
        metadata={
            "description": "`none`: the change needs no translation (e.g. a typo fix in the "
            "source language), so it does not make the other languages outdated. Default "
            "`normal`."
        },
    )
    attrs = {
        "__init__": __init__,
        "__doc__": doc,
        "translations": removable,
        "translation_impact": impact,
    }
    return type(name, (edit_schema,), attrs)


class PublishArgs(Schema):
    languages = fields.List(
        language_field(),
        validate=validate.Length(min=1),
        metadata={"description": "Languages to publish; default: every translation there is."},
    )
    publish_at = fields.AwareDateTime(
        metadata={
            "description": "When the languages go public (ISO 8601 with offset); default now. "
            "A future time schedules them: they appear on their own then."
        }
    )


class UnpublishArgs(Schema):
    languages = fields.List(
        language_field(),
        validate=validate.Length(min=1),
        metadata={"description": "Languages to take down; default: all."},
    )


class DeleteArgs(QueryArgs):
    hard = fields.Boolean(
        load_default=False,
        metadata={
            "description": "`true` (admins only) removes every trace of the item, revisions "
            "included, instead of the default soft delete."
        },
    )


class RevisionSummarySchema(Schema):
    COMPLETE_OUTPUT = True
    number = fields.Integer(required=True)
    action = fields.String(
        required=True,
        metadata={"description": "create, update, publish, unpublish, delete or restore:<number>."},
    )
    created_at = fields.DateTime(required=True)
    created_by = fields.String(allow_none=True, metadata={"description": "The token's name."})


class RevisionListSchema(Schema):
    items = fields.List(fields.Nested(RevisionSummarySchema), required=True)


def revision_schema(name: str, edit_schema: type[Schema]) -> type[Schema]:
    """One revision with its snapshot (the editing representation after that change)."""
    return type(
        name,
        (RevisionSummarySchema,),
        {"snapshot": fields.Nested(edit_schema, required=True)},
    )
