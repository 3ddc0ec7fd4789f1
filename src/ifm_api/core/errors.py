"""Domain errors and their RFC 9457 problem documents, in one table.

Services raise ``ApiError`` subclasses with a message key; the handlers here turn them, and
every HTTP or unexpected error, into ``application/problem+json`` in the request's language.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import orjson
from babel.numbers import format_decimal
from flask import Flask, Response, current_app, request
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from ifm_api.core.messages import translate_message

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"

TITLES: dict[int, Any] = {
    400: _l("Bad request"),
    401: _l("Authentication required"),
    403: _l("Forbidden"),
    404: _l("Not found"),
    405: _l("Method not allowed"),
    406: _l("Not acceptable"),
    409: _l("Conflict"),
    410: _l("Gone"),
    412: _l("Precondition failed"),
    413: _l("Content too large"),
    414: _l("URI too long"),
    415: _l("Unsupported media type"),
    416: _l("Range not satisfiable"),
    422: _l("Unprocessable content"),
    428: _l("Precondition required"),
    429: _l("Too many requests"),
    431: _l("Request header fields too large"),
    500: _l("Internal server error"),
    503: _l("Service unavailable"),
    507: _l("Insufficient storage"),
}

# key -> detail message; %(name)s placeholders are filled from ``detail_args``.
DETAILS: dict[str, Any] = {
    "bad_request": _l("The request could not be understood."),
    "invalid_query": _l("One or more query parameters are invalid."),
    "invalid_json": _l("The request body is not valid JSON."),
    "unsupported_language": _l(
        "The language %(value)s is not supported. Supported values: %(supported)s."
    ),
    "unknown_query_parameter": _l(
        "Unknown query parameter %(names)s. Parameters of this endpoint: %(allowed)s."
    ),
    "invalid_include": _l("Cannot include %(value)s; possible: %(allowed)s."),
    "search_words": _l(
        "`q` needs at least one word and at most %(max)s (letters and digits; anything else "
        "separates words)."
    ),
    "search_not_here": _l(
        "`q` searches public items in one language: not with `lang=all`, working copies "
        "(`version=draft`, `status=`) or citation formats."
    ),
    "media_not_found": _l("No file with id %(id)s."),
    "not_found": _l("The requested resource was not found."),
    "item_not_found": _l("No %(resource)s item with id %(id)s."),
    "slug_not_found": _l("No %(resource)s item with the slug %(slug)s."),
    "revision_not_found": _l("Item %(id)s has no revision %(number)s."),
    "method_not_allowed": _l("The method %(method)s is not allowed here."),
    "not_acceptable": _l("No representation in a format the client accepts."),
    "draft_only_json": _l(
        "A working copy is only JSON: citations and linked data are of published items."
    ),
    "invalid_format": _l("The format %(value)s is not offered here; one of: %(allowed)s."),
    "format_needs_language": _l(
        "Citations and linked data are in one language: use a language, not lang=all."
    ),
    "validation_failed": _l("The request body has invalid fields; see errors."),
    "invalid_reference": _l(
        "An id in the request body names no item or file of the right kind; see errors."
    ),
    "slug_taken": _l("The slug %(slug)s is already used in language %(lang)s."),
    "conflict": _l("The request conflicts with the current state of the item."),
    "already_public": _l(
        "%(languages)s is public already; a publish_at in the future would hide it until "
        "then. Publish without publish_at, or unpublish first."
    ),
    "precondition_failed": _l(
        "The item was changed since you read it (ETag mismatch); read it again and retry."
    ),
    "invalid_if_match": _l(
        "The If-Match header is not a list of ETags; send the ETag exactly as received, "
        'quotes included (If-Match: "…"), or *.'
    ),
    "precondition_required": _l(
        "This request needs an If-Match header with the item's current ETag."
    ),
    "too_large": _l("The request body is larger than %(limit)s."),
    "unsupported_media_type": _l("The content type %(content_type)s is not accepted here."),
    "file_type_not_accepted": _l(
        "The file's content is not of an accepted type (%(accepted)s). "
        "Files are recognised by their content, not by their name."
    ),
    "range_not_satisfiable": _l("The requested range is outside the file."),
    "image_too_large": _l("The image has more pixels than accepted (at most %(limit)s)."),
    "image_unreadable": _l(
        "The image could not be decoded to the end: it is truncated or damaged."
    ),
    "file_extension_mismatch": _l(
        "The file's name says %(claimed)s, but its content is %(actual)s."
    ),
    "media_in_use": _l("File %(id)s is in use (%(items)s); remove it there first."),
    "rendition_not_found": _l("File %(id)s has no rendition %(name)s (widths: %(widths)s)."),
    "storage_full": _l("There is no room to store the file now; nothing was stored."),
    "storage_failed": _l("The file could not be stored; nothing was kept. Try again."),
    "too_many_ranges": _l("The Range header asks for more than %(limit)s ranges."),
    "uri_too_long": _l("The URL is longer than %(limit)s characters."),
    "header_too_large": _l("The header field %(name)s is larger than %(limit)s bytes."),
    "headers_too_large": _l(
        "The request has more than %(count)s header fields or more than %(limit)s bytes of them."
    ),
    "invalid_header": _l("The header field %(name)s contains a control character."),
    "token_missing": _l("This request needs a bearer token (Authorization: Bearer …)."),
    "token_invalid": _l("The bearer token is unknown, expired or revoked."),
    "token_name_taken": _l("A token named %(name)s exists already."),
    "token_not_found": _l("No token named %(name)s."),
    "forbidden_role": _l("The role %(role)s may not do this; it needs %(needed)s."),
    "redirect_not_found": _l("No redirect for the path %(path)s."),
    "redirect_rule_not_found": _l("No redirect rule with id %(id)s."),
    "redirect_exists": _l("The path %(path)s redirects already."),
    "too_many_requests": _l("Too many requests; slow down."),
    "rate_limited": _l(
        "Too many requests from this client or with this token. Try again in %(seconds)s seconds."
    ),
    "nothing_to_translate": _l(
        "Nothing to translate: no selected item has text in the source language %(lang)s."
    ),
    "xliff_invalid": _l(
        "The XLIFF document cannot be imported; errors names the units at fault. "
        "Nothing was written."
    ),
    "xliff_media_type": _l(
        "The body must be an XLIFF document (application/xliff+xml), not %(content_type)s."
    ),
    "internal_error": _l("An unexpected error occurred. It has been logged."),
    "not_ready": _l("The database is not reachable or not migrated."),
}


class ApiError(Exception):
    """An error the API answers with a problem document."""

    status = 400
    default_key = "bad_request"

    def __init__(
        self,
        key: str | None = None,
        *,
        detail_args: Mapping[str, Any] | None = None,
        errors: Mapping[str, list[str]] | None = None,
        extra: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.key = key or self.default_key
        self.detail_args = dict(detail_args or {})
        self.errors = dict(errors) if errors else None
        self.extra = dict(extra or {})
        self.headers = dict(headers or {})
        super().__init__(self.key)


class BadRequest(ApiError):
    status, default_key = 400, "bad_request"


class Unauthorized(ApiError):
    status, default_key = 401, "token_missing"

    def __init__(self, key: str | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("headers", {"WWW-Authenticate": 'Bearer realm="ifm-api"'})
        super().__init__(key, **kwargs)


class Forbidden(ApiError):
    status, default_key = 403, "forbidden_role"


class NotFound(ApiError):
    status, default_key = 404, "not_found"


class Conflict(ApiError):
    status, default_key = 409, "conflict"


class PreconditionFailed(ApiError):
    status, default_key = 412, "precondition_failed"


class PreconditionRequired(ApiError):
    status, default_key = 428, "precondition_required"


class UnsupportedMediaType(ApiError):
    status, default_key = 415, "unsupported_media_type"


class ValidationFailed(ApiError):
    status, default_key = 422, "validation_failed"


def problem_response(
    status: int,
    key: str,
    *,
    detail_args: Mapping[str, Any] | None = None,
    errors: Mapping[str, list[str]] | None = None,
    extra: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """Build the problem document in the request's language."""
    from ifm_api.core.i18n import message_language

    with force_locale(message_language()):
        detail = DETAILS.get(key, DETAILS["bad_request"])
        body: dict[str, Any] = {
            "type": f"urn:ifm-api:problem:{key}",
            "title": str(TITLES.get(status, TITLES[500 if status >= 500 else 400])),
            "status": status,
            "detail": str(detail) % dict(detail_args or {}),
            "instance": request.path,
        }
        request_id = request.environ.get("ifm.request_id")
        if request_id:
            body["request_id"] = request_id
        if errors:
            body["errors"] = {
                path: [translate_message(m) for m in msgs] for path, msgs in errors.items()
            }
        body.update(extra or {})
        lang = message_language()
    response = Response(orjson.dumps(body), status=status, mimetype=PROBLEM_JSON)
    response.headers["Content-Language"] = lang
    response.headers["Cache-Control"] = "no-store"
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def flatten_messages(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """Turn marshmallow's nested messages into ``{"a.b.c": ["msg", ...]}``."""
    flat: dict[str, list[str]] = {}
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            flat.update(flatten_messages(value, path))
    elif isinstance(messages, list | tuple) and all(isinstance(m, str) for m in messages):
        flat[prefix or "_schema"] = list(messages)
    elif isinstance(messages, list | tuple):
        for index, value in enumerate(messages):
            flat.update(flatten_messages(value, f"{prefix}.{index}" if prefix else str(index)))
    else:
        flat[prefix or "_schema"] = [str(messages)]
    return flat


def _handle_api_error(error: ApiError) -> Response:
    return problem_response(
        error.status,
        error.key,
        detail_args=error.detail_args,
        errors=error.errors,
        extra=error.extra,
        headers=error.headers,
    )


def _webargs_problem(error: HTTPException) -> Response | None:
    """webargs/flask-smorest argument errors carry ``data['messages']`` by location."""
    data = getattr(error, "data", None) or {}
    messages = data.get("messages")
    if not isinstance(messages, Mapping):
        return None
    if "json" in messages and messages["json"] == ["Invalid JSON body."]:
        return problem_response(400, "invalid_json")
    body_locations = ("json", "form", "files")
    errors: dict[str, list[str]] = {}
    for msgs in messages.values():
        errors.update(flatten_messages(msgs))
    if any(location in messages for location in body_locations):
        return problem_response(422, "validation_failed", errors=errors)
    return problem_response(400, "invalid_query", errors=errors)


HTTP_KEYS = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    412: "precondition_failed",
    413: "too_large",
    415: "unsupported_media_type",
    416: "range_not_satisfiable",
    428: "precondition_required",
    429: "too_many_requests",
}


def _size(size: int) -> str:
    """A byte count in KiB or MiB, the number written the way the request's language does."""
    from ifm_api.core.i18n import message_language

    value, unit = (size / 2**20, "MiB") if size >= 2**20 else (size / 2**10, "KiB")
    return f"{format_decimal(value, format='#,##0.#', locale=message_language())} {unit}"


def _handle_http_exception(error: HTTPException) -> Response:
    status = error.code or 500
    if status < 400:
        return error.get_response()
    if status in (400, 422):
        problem = _webargs_problem(error)
        if problem is not None:
            return problem
    key = HTTP_KEYS.get(status, "internal_error" if status >= 500 else "bad_request")
    args: dict[str, Any] = {"method": request.method}
    headers: dict[str, str] = {}
    if status == 405 and error.valid_methods:  # type: ignore[attr-defined]
        headers["Allow"] = ", ".join(error.valid_methods)  # type: ignore[attr-defined]
    if status == 413:
        args["limit"] = _size(current_app.config.get("MAX_CONTENT_LENGTH") or 0)
    if status == 415:
        args["content_type"] = request.mimetype or "-"
    return problem_response(status, key, detail_args=args, headers=headers)


def _handle_unexpected(error: Exception) -> Response:
    if isinstance(error, HTTPException):
        return _handle_http_exception(error)
    # The record carries the request id (ops.logs), as does the client's problem document.
    if isinstance(error, SQLAlchemyError) and not _database_is_current():
        log.exception(
            "database unreachable or not migrated (run `ifm-api db upgrade`) on %s %s",
            request.method,
            request.path,
        )
        return problem_response(503, "not_ready", headers={"Retry-After": "30"})
    log.exception("unexpected error on %s %s", request.method, request.path)
    return problem_response(500, "internal_error")


def _database_is_current() -> bool:
    """Whether the database answers at the code's migration head (asked only after a
    statement failed: a database left behind by an upgrade of the code, or one that went
    away, is the operator's to fix, a 503 like ``/readyz``'s, not a bug)."""
    from ifm_api.migrate import database_is_current

    return database_is_current()


def init_app(app: Flask) -> None:
    app.register_error_handler(ApiError, _handle_api_error)
    app.register_error_handler(HTTPException, _handle_http_exception)
    app.register_error_handler(Exception, _handle_unexpected)
