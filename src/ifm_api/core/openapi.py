"""The OpenAPI document says what the API really sends, in one place for every endpoint.

flask-smorest generates the document from the views; the plugin here completes every
operation the same way, so an endpoint added later is covered without a list to maintain:

- a stable lowerCamelCase ``operationId`` derived from method and path (``listNews``,
  ``getNewsItemBySlug``, ``publishNewsItem``, ``restoreNewsRevision``), unless the view
  names one with ``blp.doc(operationId=…)``;
- the error statuses the shared machinery can answer (400 for bad query parameters, 404
  for a path that names nothing, 401/403 where a token counts, 413/415/422 for bodies), as
  RFC 9457 problem documents (``application/problem+json``) instead of a ``default``
  response, so a generated client never parses a feed or a PDF as JSON;
- a typed ``Accept-Language`` header parameter;
- the configured languages as enums (``lang``, translation keys, language fields).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from apispec import APISpec, BasePlugin
from apispec.ext.marshmallow.common import resolve_schema_instance
from flask_smorest import Api
from marshmallow import fields

from ifm_api.core.errors import PROBLEM_JSON
from ifm_api.core.schemas import (
    NOT_BLANK,
    SPACE,
    IncludeParam,
    Language,
    LanguageMap,
    LanguageParam,
    OneOf,
    ProblemSchema,
    Text,
    Translations,
)
from ifm_api.core.text import NO_NUL

JSON = "application/json"
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
BEARER = "bearerAuth"

# Static path segments that are not "<resource>s": how to name one of them.
SINGULAR = {
    "news": "news_item",
    "people": "person",
    "media": "media",
    "research-areas": "research_area",
    "series": "series",
}
PLURAL_WORDS = frozenset({"news", "people", "media"})
# A parent collection naming its sub-resources (listNewsRevisions, restorePersonRevision).
OWNER = {"news": "news"}
# Answers the shared machinery can give on any operation of a given kind.
COMMON_PROBLEMS = {
    400: "Bad request: an unknown or invalid query parameter (an unsupported `lang` lists "
    "the values in `supported`), or a body that is not valid JSON.",
    401: "No valid bearer token: missing where one is needed, or unknown, expired or revoked "
    "(`WWW-Authenticate: Bearer`).",
    403: "The token's role may not do this.",
    404: "Nothing at this URL (no such item, or none this reader may see).",
    413: "The body is larger than the configured limit (`IFM_MAX_UPLOAD_MB`).",
    415: "The body's content type is not accepted here.",
    414: "The URL is longer than the server takes.",
    422: "Invalid fields; `errors` maps field paths (e.g. `translations.en.title`) to messages.",
    429: "Too many requests: too many failed authentications from this address, or too many "
    "writes with this token (`Retry-After` says when to retry).",
    431: "A header field, or all of them, larger than the server takes.",
}
ACCEPT_LANGUAGE = {
    "name": "Accept-Language",
    "in": "header",
    "required": False,
    "description": "Preferred languages (RFC 9110, q-values honoured, `en-GB` matches `en`). "
    "Chooses the language of a read when `lang=` is not given, and always the language of "
    "problem documents. Feeds and the sitemap ignore it for their content.",
    "schema": {"type": "string"},
    "example": "en-GB,en;q=0.9,de;q=0.5",
}


# Public reads that carry purge tags (``core.read.tags``): lists, details, feeds, sitemap.
TAGGED = re.compile(
    r"^(/api/v1/(news|reports|projects|people|research-areas)(/\{[^}/]+\}|/slug/\{slug\})?"
    r"|/feeds/.+|/sitemap\.xml)$"
)
PURGE_TAG_HEADERS = {
    "Cache-Tag": {
        "description": "Purge tags, comma separated: the type (`news`), its lists "
        "(`news:list`), each item shown (`news:12`, `news:12:de`) and each embedded item "
        "(`person:5`). A change in the feed or a webhook names the tags it made stale.",
        "schema": {"type": "string"},
    },
    "Surrogate-Key": {
        "description": "The same tags, space separated.",
        "schema": {"type": "string"},
    },
}


def camel(words: Iterable[str]) -> str:
    """``["get", "news_item", "by", "slug"]`` -> ``getNewsItemBySlug``."""
    parts = [p for word in words for p in re.split(r"[^A-Za-z0-9]+", word) if p]
    if not parts:
        return ""
    return parts[0].lower() + "".join(p[:1].upper() + p[1:] for p in parts[1:])


def singular(segment: str) -> str:
    if segment in SINGULAR:
        return SINGULAR[segment]
    if segment.endswith("ies"):
        return segment[:-3] + "y"
    if segment.endswith("s") and not segment.endswith(("ss", "us")):
        return segment[:-1]
    return segment


def is_plural(segment: str) -> bool:
    return segment in PLURAL_WORDS or singular(segment) != segment


def operation_id(method: str, path: str) -> str:
    """A stable name for an operation, from its method and path.

    ``GET /api/v1/news`` listNews, ``POST …/news`` createNewsItem, ``GET …/news/{id}``
    getNewsItem (``PATCH`` update…, ``PUT`` replace…, ``DELETE`` delete…),
    ``GET …/news/slug/{slug}`` getNewsItemBySlug, ``POST …/news/{id}/publish``
    publishNewsItem, ``GET …/news/{id}/revisions`` listNewsRevisions,
    ``POST …/news/{id}/revisions/{n}/restore`` restoreNewsRevision, ``GET /sitemap.xml``
    getSitemap. Sub-resources are prefixed with their parent collection's name.
    """
    method = method.lower()
    tokens = [t for t in path.strip("/").split("/") if t]
    under_api = len(tokens) >= 2 and tokens[0] == "api" and re.fullmatch(r"v\d+", tokens[1])
    if under_api:
        tokens = tokens[2:]
    is_param = [t.startswith("{") for t in tokens]
    names = [
        t.strip("{}") if p else t.split(".", 1)[0] for t, p in zip(tokens, is_param, strict=True)
    ]
    if not tokens:
        return camel([method, "root"])

    def prefix(upto: int) -> list[str]:
        """The parents before position ``upto`` as owners: ``/news/{id}/revisions`` -> news,
        ``/redirects/rules`` -> redirect."""
        return [
            OWNER.get(n, singular(n))
            for n, p in zip(names[:upto], is_param[:upto], strict=True)
            if not p
        ]

    last = len(tokens) - 1
    if is_param[last]:
        # …/<collection>/{id}, …/<collection>/slug/{slug}, …/{id}/{filename}
        verb = {"get": "get", "patch": "update", "put": "replace", "delete": "delete"}.get(
            method, method
        )
        before = last - 1
        if before >= 0 and not is_param[before]:
            if before >= 1 and not is_param[before - 1] and not is_plural(names[before]):
                # /news/slug/{slug}: a lookup of the collection's item by another key
                return camel(
                    [verb, *prefix(before - 1), singular(names[before - 1]), "by", names[last]]
                )
            return camel([verb, *prefix(before), singular(names[before])])
        if before >= 1 and is_param[before]:
            collection = before - 1
            return camel(
                [verb, *prefix(collection), singular(names[collection]), "by", names[last]]
            )
        return camel([verb, names[last]])
    segment = names[last]
    if last >= 1 and is_param[last - 1]:
        # …/<collection>/{id}/<segment>: a sub-collection or an action on the item
        collection = last - 2
        owner = [*prefix(collection), singular(names[collection])] if collection >= 0 else []
        if is_plural(segment):
            parents = prefix(last)
            if method == "get":
                return camel(["list", *parents, segment])
            if method == "post":
                return camel(["create", *parents, singular(segment)])
            return camel([method, *parents, segment])
        if method == "post":
            return camel([segment, *owner])
        verb = {"put": "replace", "patch": "update"}.get(method, method)
        return camel([verb, *owner, segment])
    parents = prefix(last)
    if method == "get":
        listing = under_api and is_plural(segment) and "." not in tokens[last]
        return camel(["list" if listing else "get", *parents, segment])
    if method == "post" and is_plural(segment):
        return camel(["create", *parents, singular(segment)])
    return camel([method, *parents, segment])


def _is_error(status: Any) -> bool:
    return str(status)[:1] in ("4", "5")


def _as_problem(response: Any) -> None:
    """Move a response's JSON content to the problem media type (refs are left alone)."""
    if not isinstance(response, dict):
        return
    content = response.get("content")
    if isinstance(content, dict) and JSON in content:
        content[PROBLEM_JSON] = content.pop(JSON)


def problem_response(description: str) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM_JSON: {"schema": PROBLEM_REF}}}


def _needs_token(operation: dict[str, Any]) -> bool:
    return any(BEARER in requirement for requirement in operation.get("security") or ())


def _token_required(operation: dict[str, Any]) -> bool:
    requirements = operation.get("security") or ()
    return bool(requirements) and all(BEARER in r for r in requirements)


class ContractPlugin(BasePlugin):
    """apispec plugin: operationIds, the real error statuses, Accept-Language, languages."""

    def __init__(self, languages: Sequence[str]) -> None:
        self.languages = tuple(languages)
        self.seen: dict[str, str] = {}

    def init_spec(self, spec: APISpec) -> None:
        super().init_spec(spec)
        spec.components.parameter("AcceptLanguage", "header", dict(ACCEPT_LANGUAGE))

    def schema_helper(self, name: str, definition: Any, **kwargs: Any) -> dict[str, Any] | None:
        """Schemas of responses whose every field is always sent (``COMPLETE_OUTPUT``)
        list every field as required, so clients get no optional fields that never miss;
        rules between fields a schema states as JSON Schema go in ``JSON_SCHEMA_EXTRA``."""
        schema = kwargs.get("schema")
        if schema is None:
            return None
        cls = schema if isinstance(schema, type) else type(schema)
        extra = dict(getattr(cls, "JSON_SCHEMA_EXTRA", None) or {})
        if not getattr(cls, "COMPLETE_OUTPUT", False):
            return extra or None
        instance = resolve_schema_instance(schema)
        return {
            **extra,
            "required": [
                field.data_key or field_name
                for field_name, field in instance.fields.items()
                if not field.load_only
            ],
        }

    def _unique(self, wanted: str, method: str, path: str) -> str:
        label = f"{method.upper()} {path}"
        owner = self.seen.setdefault(wanted, label)
        if owner == label:
            return wanted
        alternative = wanted + camel(["x", method, "at", *re.findall(r"[A-Za-z0-9]+", path)])[1:]
        self.seen[alternative] = label
        return alternative

    def operation_helper(
        self, path: str | None = None, operations: dict[str, Any] | None = None, **_: Any
    ) -> None:
        for method, operation in (operations or {}).items():
            if method not in HTTP_METHODS or not isinstance(operation, dict):
                continue
            wanted = operation.get("operationId") or operation_id(method, path or "/")
            operation["operationId"] = self._unique(wanted, method, path or "/")
            self._complete_responses(operation, path or "/")
            if method == "get" and TAGGED.match(path or ""):
                for status, response in operation["responses"].items():
                    if str(status) in ("200", "304") and isinstance(response, dict):
                        response.setdefault("headers", {}).update(PURGE_TAG_HEADERS)
            parameters = operation.setdefault("parameters", [])
            self._language_enums(parameters)
            if "AcceptLanguage" not in parameters:
                parameters.append("AcceptLanguage")  # a component name; apispec makes the $ref

    def _language_enums(self, parameters: list[Any]) -> None:
        """A ``lang`` query parameter written by hand (``blp.doc(parameters=…)``) is the
        same enum of the configured languages as a generated one."""
        for parameter in parameters:
            if not isinstance(parameter, dict) or parameter.get("name") != "lang":
                continue
            schema = parameter.get("schema")
            if parameter.get("in") == "query" and schema == {"type": "string"}:
                parameter["schema"] = {"type": "string", "enum": list(self.languages)}

    def _complete_responses(self, operation: dict[str, Any], path: str) -> None:
        responses = operation.setdefault("responses", {})
        responses.pop("default", None)
        wanted = [400, 414, 431]
        if "{" in path:
            wanted.append(404)
        if _needs_token(operation):
            wanted.extend((401, 429))
        if _token_required(operation):
            wanted.append(403)
        if "requestBody" in operation:
            wanted.extend((413, 415, 422))
        for status in wanted:
            if str(status) not in responses and status not in responses:
                responses[str(status)] = problem_response(COMMON_PROBLEMS[status])
        for status, response in responses.items():
            if _is_error(status):
                _as_problem(response)

    def response_helper(self, response: dict[str, Any], **_: Any) -> dict[str, Any]:
        _as_problem(response)
        return response


def _language_properties(self: Any, field: fields.Field, ret: dict[str, Any], **_: Any) -> Any:
    """apispec attribute function: configured languages as enums and translation keys.

    Bound to the converter; ``self.ifm_languages`` is set by ``ContractApi``.
    """
    languages = list(self.ifm_languages)
    if isinstance(field, LanguageParam):
        return {"enum": [*languages, *(["all"] if field.allow_all else [])]}
    if isinstance(field, Language):
        source = self.ifm_source_language if field.not_source else None
        return {"enum": [lang for lang in languages if lang != source]}
    if isinstance(field, IncludeParam):
        return {"type": "array", "items": {"type": "string", "enum": list(field.allowed)}}
    if isinstance(field, LanguageMap):
        value = self.field2property(field.value_field)
        ret.pop("additionalProperties", None)
        at_least_one = isinstance(field, Translations) and not field.removable
        return {
            "properties": {lang: value for lang in languages},
            "additionalProperties": False,
            **({"minProperties": 1} if at_least_one else {}),
        }
    if isinstance(field, OneOf):
        branches = [self.resolve_nested_schema(schema) for schema in field.schemas]
        ret.pop("type", None)
        one_of = {"oneOf": branches}
        if field.allow_none:
            return {"anyOf": [one_of, {"type": "null"}]}
        return one_of
    return {}


# Text fields take no NUL (``core.schemas.storable_text``): said as a pattern, and together
# with NOT_BLANK (a character not in ``SPACE``) as one pattern, since a schema has a single
# ``pattern``.
NOT_BLANK_NO_NUL = rf"^[^\x00]*[^{SPACE}\x00][^\x00]*$"


def _text_pattern(self: Any, field: fields.Field, ret: dict[str, Any], **_: Any) -> Any:
    """apispec attribute function: the characters a ``Text`` field refuses, as a pattern."""
    if not isinstance(field, Text):
        return {}
    pattern = ret.get("pattern")
    if pattern is None:
        return {"pattern": NO_NUL}
    if pattern == NOT_BLANK.regex.pattern:
        return {"pattern": NOT_BLANK_NO_NUL}
    return {}


def _include_style(self: Any, field: fields.Field, **_: Any) -> dict[str, Any]:
    """``include=people,reports``: an array in one comma-separated value."""
    if isinstance(field, IncludeParam):
        return {"style": "form", "explode": False}
    return {}


class ContractApi(Api):
    """flask-smorest's Api with the document completed by ``ContractPlugin``: no
    ``default`` response (the real error statuses instead), errors as problem documents."""

    ERROR_SCHEMA = ProblemSchema
    DEFAULT_ERROR_RESPONSE_NAME = None

    def __init__(self, app: Any = None, **kwargs: Any) -> None:
        languages = tuple(app.config["IFM"].languages) if app is not None else ("de", "en")
        self._ifm_source_language = (
            app.config["IFM"].default_language if app is not None else languages[0]
        )
        spec_kwargs = dict(kwargs.pop("spec_kwargs", None) or {})
        spec_kwargs["extra_plugins"] = [
            *spec_kwargs.get("extra_plugins", ()),
            ContractPlugin(languages),
        ]
        self._ifm_languages = languages
        super().__init__(app, spec_kwargs=spec_kwargs, **kwargs)

    def _init_spec(self, **kwargs: Any) -> None:
        super()._init_spec(**kwargs)
        converter = self.ma_plugin.converter
        assert converter is not None
        converter.ifm_languages = self._ifm_languages  # type: ignore[attr-defined]
        converter.ifm_source_language = self._ifm_source_language  # type: ignore[attr-defined]
        converter.add_attribute_function(_language_properties)
        converter.add_attribute_function(_text_pattern)
        converter.add_parameter_attribute_function(_include_style)


ProblemApi = ContractApi
