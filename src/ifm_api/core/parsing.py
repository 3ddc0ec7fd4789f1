"""Reading requests: the one argument parser and blueprint class every endpoint uses.

Checks that hold for every endpoint live here once, before any schema sees the data:

* JSON bodies are strict (orjson: no NaN, bounded nesting, UTF-8 only; malformed is a 400);
* no text anywhere (query, body, form field, uploaded file's name, object key) holds NUL or
  an unpaired surrogate: no database stores them and PostgreSQL fails on NUL, so the answer
  is a 400 (query) or 422 (body) naming the place;
* a query parameter the endpoint does not declare is a 400 naming the ones it takes, so a
  typo (``tags=`` for ``tag=``) is not silently ignored. Every view therefore declares its
  query arguments, ``NoQueryArgs`` (only ``lang``) when it has none.

Path parameters are guarded by the URL converters (``core.http.TextConverter``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import orjson
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request
from webargs.multidictproxy import MultiDictProxy
from werkzeug.datastructures import FileStorage, MultiDict

from ifm_api.core.errors import BadRequest
from ifm_api.core.schemas import INVALID_TEXT, LanguageParam, NoQueryArgs, storable_text

QUERY_LOCATIONS = frozenset({"query", "querystring"})


def _items(value: Any) -> Iterator[tuple[Any, Any]] | None:
    """Key/value pairs of a mapping, every value of a multi-dict included."""
    if isinstance(value, MultiDictProxy):
        value = value.data
    if isinstance(value, MultiDict):
        return iter(value.items(multi=True))
    if isinstance(value, Mapping):
        return iter(value.items())
    return None


def unstorable_paths(value: Any, path: str = "") -> Iterator[str]:
    """Dotted paths (``translations.de.title``) of every text in ``value`` no database
    takes; a bad key is reported under its own (escaped on output) name."""
    if isinstance(value, str):
        if not storable_text(value):
            yield path or "_schema"
        return
    if isinstance(value, FileStorage):
        if value.filename and not storable_text(value.filename):
            yield path or "_schema"
        return
    pairs = _items(value)
    if pairs is not None:
        for key, inner in pairs:
            inner_path = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and not storable_text(key):
                yield inner_path
            else:
                yield from unstorable_paths(inner, inner_path)
    elif isinstance(value, list | tuple):
        for index, inner in enumerate(value):
            yield from unstorable_paths(inner, f"{path}.{index}" if path else str(index))


def query_parameters(schema: Schema) -> list[str]:
    """The names a query schema reads, as they appear in the URL."""
    return sorted(field.data_key or name for name, field in schema.load_fields.items())


def _check_language(location_data: Mapping[str, Any], schema: Schema) -> None:
    """``lang=`` is checked on every endpoint, also where it only picks the language of
    messages (health checks, the sitemap): a value the document's enum does not allow is
    the 400 listing the ``supported`` ones, never silently ignored."""
    from ifm_api.core.i18n import select_language

    field = schema.load_fields.get("lang")
    if "lang" in location_data and isinstance(field, LanguageParam):
        select_language(allow_all=field.allow_all)


class ApiParser(FlaskParser):
    """webargs' Flask parser with the checks every endpoint shares (see the module)."""

    def _raw_load_json(self, req: Any) -> Any:
        if not is_json_request(req):
            return core.missing
        data = req.get_data(cache=True)
        if not data:
            return core.missing
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            self._handle_invalid_json_error(exc, req)

    def pre_load(
        self, location_data: Mapping[str, Any], *, schema: Schema, req: Any, location: str
    ) -> Mapping[str, Any]:
        bad = list(dict.fromkeys(unstorable_paths(location_data)))
        if bad:
            raise ValidationError({path: [INVALID_TEXT] for path in bad})
        if location in QUERY_LOCATIONS:
            _check_language(location_data, schema)
            allowed = query_parameters(schema)
            unknown = sorted(set(location_data) - set(allowed))
            if unknown:
                raise BadRequest(
                    "unknown_query_parameter",
                    detail_args={"names": ", ".join(unknown), "allowed": ", ".join(allowed)},
                    errors={name: [schema.error_messages["unknown"]] for name in unknown},
                )
        return location_data


class ApiBlueprint(Blueprint):
    """The blueprint of every API endpoint: arguments are read by ``ApiParser``."""

    ARGUMENTS_PARSER = ApiParser()


NO_QUERY_ARGS = NoQueryArgs()  # one instance: given the class, webargs builds one per request


def no_query_args(blp: Blueprint) -> Callable[[Any], Any]:
    """Declare a view that takes no query parameters of its own (only ``lang`` for
    messages): any other one is a 400. Nothing is passed to the view."""
    return blp.arguments(NO_QUERY_ARGS, location="query", as_kwargs=True, error_status_code=400)
