"""Building JSON responses: caching headers, language headers, ETags, Link headers."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from inspect import iscoroutinefunction
from typing import Any
from urllib.parse import urlencode

import orjson
from flask import Flask, Request, Response, current_app, g, redirect, request
from flask.sessions import SessionInterface, SessionMixin
from flask_smorest import Blueprint
from flask_smorest.exceptions import NotModified
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.routing import IntegerConverter, Map, UnicodeConverter

from ifm_api.core.errors import BadRequest
from ifm_api.core.schemas import DB_INT_MAX

JSON = "application/json"
KNOWN_FUNCTIONS = 4096


class IdConverter(IntegerConverter):
    """``<int:…>`` in URLs, bounded by the databases' INTEGER: a larger number names no
    item (404) instead of failing in the database.

    It still matches the route, as id 0 (which no item has): were the route not to match,
    werkzeug would answer a DELETE to ``/news/99999999999`` with a 405 (the GET route of
    the same shape matches before its converter is asked).
    """

    NO_ID = 0

    def to_python(self, value: str) -> int:
        number = int(value)
        return number if number <= DB_INT_MAX else self.NO_ID


def id_parameter_schema(_converter: IdConverter) -> dict[str, Any]:
    """How an ``<int:…>`` path parameter is documented."""
    return {"type": "integer", "minimum": 1, "maximum": DB_INT_MAX}


# RFC 9110 8.8.3 and 13.1.1: If-Match = "*" / #entity-tag, entity-tag = [W/] DQUOTE *etagc DQUOTE
_ENTITY_TAG = r'(?:W/)?"[\x21\x23-\x7e\x80-\xff]*"'
_IF_MATCH = re.compile(rf"\*|{_ENTITY_TAG}(?:[ \t]*,[ \t]*{_ENTITY_TAG})*")


def check_if_match_syntax() -> None:
    """An ``If-Match`` that is there but not an ETag list is a 400, never taken as missing.

    werkzeug parses what it cannot read (e.g. ``"``) as no ETags at all, which would answer
    428 (the status for a missing header) or, where If-Match is optional, skip the check.
    """
    raw = request.headers.get("If-Match", "").strip(" \t")
    if raw and not _IF_MATCH.fullmatch(raw):
        raise BadRequest("invalid_if_match")


class TextConverter(UnicodeConverter):
    """``<string:…>`` (and the default) in URLs, without NUL: a path segment holding one
    matches no route (404). No stored name or slug contains NUL, and PostgreSQL fails on
    any query with one, which would make a lookup such as ``/tokens/a%00b`` a 500."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        super().__init__(map, *args, **kwargs)
        self.regex = self.regex.replace("[^/]", "[^/\\x00]", 1)


class Parameters(ImmutableMultiDict[str, str]):
    """``request.args`` (and form fields): ``get`` of an absent name answers its default
    straight away. werkzeug's raises and catches a ``BadRequestKeyError`` for it (an HTTP
    exception, built with its description), and a read asks for a dozen absent names."""

    def get(self, key: Any, default: Any = None, type: Any = None) -> Any:
        if key not in self:
            return default
        return super().get(key, default, type)


class ApiRequest(Request):
    parameter_storage_class = Parameters


class ApiFlask(Flask):
    """Flask, asking once per function whether it is a coroutine function.

    Flask's ``ensure_sync`` inspects every view, hook and error handler on every request
    (about twenty ``inspect`` calls a read); the answer never changes for a function.
    """

    request_class = ApiRequest

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._synchronous: dict[Any, bool] = {}

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        key = getattr(func, "__func__", func)  # a view method is bound anew per request
        synchronous = self._synchronous.get(key)
        if synchronous is None:
            synchronous = not iscoroutinefunction(func)
            if len(self._synchronous) < KNOWN_FUNCTIONS:  # per-request callbacks: not kept
                self._synchronous[key] = synchronous
        return func if synchronous else self.async_to_sync(func)


class NoSessions(SessionInterface):
    """The API keeps no sessions (tokens authenticate each request): every request gets
    Flask's null session, without building a cookie serializer for each one."""

    def open_session(self, app: Flask, request: Request) -> None:
        return None

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        return None


def cache_control(*, public: bool) -> str:
    if not public:
        return "private, no-store"
    max_age = current_app.config["IFM"].cache_max_age
    return f"public, max-age={max_age}"


def add_vary(response: Response, header: str) -> None:
    """Add ``header`` to ``Vary`` (as ``response.vary.add`` does, without parsing the
    header into a set and writing it back on every response)."""
    vary = response.headers.get("Vary")
    if not vary:
        response.headers["Vary"] = header
    elif header.lower() not in (name.strip().lower() for name in vary.split(",")):
        response.headers["Vary"] = f"{vary}, {header}"


def keep_private(response: Response) -> Response:
    """What a request with ``Authorization`` gets is for that client only (RFC 9111 5.2.2.7).

    Applied to every response, whichever endpoint built it: a public document fetched with
    a token stays cacheable by the client alone (``private``, same max-age), anything else
    (editor and draft data, errors, files) is ``private, no-store``. Every response says
    ``Vary: Authorization``, so no shared cache hands one caller's answer to another.
    """
    add_vary(response, "Authorization")
    if "Authorization" not in request.headers:
        return response
    directives = [d.strip() for d in response.headers.get("Cache-Control", "").split(",")]
    if "public" in directives and "no-store" not in directives:
        kept = [d for d in directives if d and d != "public"]
        response.headers["Cache-Control"] = ", ".join(["private", *kept])
    else:
        response.headers["Cache-Control"] = "private, no-store"
    return response


def json_response(
    blp: Blueprint,
    body: Any,
    *,
    status: int = 200,
    content_language: str | None = None,
    public: bool = True,
    links: Sequence[str] = (),
    headers: Mapping[str, str] | None = None,
    etag_data: Any = None,
    vary: Sequence[str] = (),
) -> Response:
    """Serialize ``body``, set caching/language headers and the ETag (304 when it matches).

    ``etag_data`` is what the ETag is computed from (default: the body's bytes).
    """
    return send_response(
        blp,
        orjson.dumps(body),
        JSON,
        status=status,
        content_language=content_language,
        public=public,
        links=links,
        headers=headers,
        etag_data=etag_data,
        vary=vary,
    )


def send_response(
    blp: Blueprint,
    data: bytes,
    mimetype: str,
    *,
    status: int = 200,
    content_language: str | None = None,
    public: bool = True,
    links: Sequence[str] = (),
    headers: Mapping[str, str] | None = None,
    etag_data: Any = None,
    vary: Sequence[str] = (),
) -> Response:
    """A read's bytes in any media type, with the caching, language and ETag headers.

    ``vary``: request headers the body depends on beyond Accept-Language (e.g. ``Accept``
    where the representation is negotiated).
    """
    common: dict[str, str] = {"Cache-Control": cache_control(public=public)}
    varies = ["Accept-Language", *vary] if public else ["Accept-Language", *vary, "Authorization"]
    common["Vary"] = ", ".join(varies)
    if content_language:
        common["Content-Language"] = content_language
    if links:
        common["Link"] = ", ".join(links)
    common.update(headers or {})
    etag_source = etag_data if etag_data is not None else hashlib.sha1(data).hexdigest()
    etag = _etag(blp, etag_source)
    g.ifm_not_modified_headers = {"ETag": f'"{etag}"', **common}
    if request.method in ("GET", "HEAD") and _names(etag):
        raise NotModified()
    if request.method in ("GET", "HEAD", "POST", "PATCH", "PUT"):
        blp.set_etag(etag_source)
    if ";" in mimetype:  # a full content type, e.g. with its charset
        response = Response(data, status=status, content_type=mimetype)
    else:
        response = Response(data, status=status, mimetype=mimetype)
    response.headers.update(common)
    return response


def _names(etag: str) -> bool:
    """Whether the client's ``If-None-Match`` names ``etag``.

    Compared weakly (RFC 9110 13.1.2): proxies that compress turn our ETags into W/"…",
    and flask-smorest alone would only match strong ones.
    """
    return request.if_none_match.contains_weak(etag)


def _etag(blp: Blueprint, etag_source: str) -> str:
    """flask-smorest's ETag of ``etag_source``, made once per request (a revalidation asks
    ``is_fresh`` first, then answers with ``stored_json_response``)."""
    known = g.get("ifm_etag")
    if known is not None and known[0] == etag_source:
        return known[1]
    etag = blp._generate_etag(etag_source)
    g.ifm_etag = (etag_source, etag)
    return etag


def is_fresh(blp: Blueprint, etag_source: str) -> bool:
    """Whether the client's ``If-None-Match`` names the ETag made from ``etag_source``."""
    return _names(_etag(blp, etag_source))


def stored_json_response(
    blp: Blueprint,
    build: Callable[[], bytes],
    *,
    etag_source: str,
    content_language: str | None = None,
    links: Callable[[], Sequence[str]] | Sequence[str] = (),
    vary: Sequence[str] = (),
) -> Response:
    """A public read whose ETag is known before its body: ``304`` without building it.

    ``links`` may be given as a function: a ``304`` then skips them (``Link`` is not among
    the headers a 304 must repeat, RFC 9110 15.4.5).
    """
    common: dict[str, str] = {
        "Cache-Control": cache_control(public=True),
        "Vary": ", ".join(["Accept-Language", *vary]),
    }
    if content_language:
        common["Content-Language"] = content_language
    etag = _etag(blp, etag_source)
    g.ifm_not_modified_headers = {"ETag": f'"{etag}"', **common}
    if _names(etag):
        raise NotModified()
    blp.set_etag(etag_source)
    found = links() if callable(links) else links
    if found:
        common["Link"] = ", ".join(found)
    response = Response(build(), status=200, mimetype=JSON)
    response.headers.update(common)
    return response


def redirect_response(blp: Blueprint, location: str, *, public: bool = True) -> Response:
    """A 301 to ``location`` with an ETag and the caching headers of a read.

    Only as long-lived as any read: the item may take its former slug back later.
    """
    common = {
        "Cache-Control": cache_control(public=public),
        "Vary": "Accept-Language" if public else "Accept-Language, Authorization",
    }
    etag_source = ["moved", location]
    g.ifm_not_modified_headers = {"ETag": f'"{blp._generate_etag(etag_source)}"', **common}
    blp.set_etag(etag_source)
    response = redirect(location, code=301)
    response.headers.update(common)
    return response


def not_modified_response(_error: NotModified) -> Response:
    response = Response(status=304)
    response.headers.update(getattr(g, "ifm_not_modified_headers", {}))
    return response


def url_with(**params: Any) -> str:
    """This request's URL with some query parameters replaced."""
    return _url_maker()(**params)


def _url_maker() -> Callable[..., str]:
    """Builds this request's URL with some query parameters replaced (its base URL and
    arguments read once, however many links are made)."""
    args = request.args.to_dict(flat=False)
    base = request.base_url

    def make(**params: Any) -> str:
        query = {**args, **{key: [str(value)] for key, value in params.items()}}
        return f"{base}?{urlencode(query, doseq=True)}"

    return make


def _page_url_maker() -> Callable[[int], str]:
    """This request's URL with another ``page``: the same as ``url_with(page=n)``, with
    the other parameters encoded once for all of a list's links."""
    pairs = [(key, value) for key, values in request.args.lists() for value in values]
    at = next((i for i, (key, _) in enumerate(pairs) if key == "page"), len(pairs))
    rest = [pair for pair in pairs[at:] if pair[0] != "page"]
    before, after = urlencode(pairs[:at]), urlencode(rest)
    head = f"{request.base_url}?{before}&" if before else f"{request.base_url}?"
    tail = f"&{after}" if after else ""

    def make(page: int) -> str:
        return f"{head}page={page}{tail}"

    return make


def pagination_links(page: int, pages: int) -> list[str]:
    last = max(pages, 1)
    url = _page_url_maker()
    links = [f'<{url(1)}>; rel="first"']
    if page > 1:
        links.append(f'<{url(min(page - 1, last))}>; rel="prev"')
    if page < pages:
        links.append(f'<{url(page + 1)}>; rel="next"')
    links.append(f'<{url(last)}>; rel="last"')
    return links
