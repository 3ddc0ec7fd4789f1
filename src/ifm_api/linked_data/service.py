"""Which representation a read asks for, and the citation / JSON-LD responses.

Content negotiation follows RFC 9110: ``format=`` wins, else the ``Accept`` header picks
among what the resource offers (JSON first, so ``*/*`` and no header give JSON); nothing
acceptable is a 406. Every negotiated response says ``Vary: Accept`` and has its own ETag
(computed from its bytes).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import orjson
from flask import current_app, request
from flask_smorest import Blueprint
from marshmallow import fields, validate
from werkzeug.wrappers import Response

from ifm_api.core.content import ReadContext, ResourceSpec
from ifm_api.core.errors import ApiError, BadRequest
from ifm_api.core.http import send_response
from ifm_api.core.i18n import ALL, default_language
from ifm_api.linked_data import citations
from ifm_api.linked_data.citations import FORMATS, STYLES, Institution
from ifm_api.linked_data.jsonld import jsonld

JSON = "json"
JSONLD = "jsonld"
MEDIA_TYPES = {
    JSON: "application/json",
    JSONLD: "application/ld+json",
    **{name: fmt.media_type for name, fmt in FORMATS.items()},
}
CITED_TYPES = frozenset({"report"})
Fetch = Callable[[ReadContext], dict[str, Any] | None]


class NotAcceptable(ApiError):
    status, default_key = 406, "not_acceptable"


def offered(spec: ResourceSpec) -> list[str]:
    """Representations of one item of this type, the default first."""
    names = [JSON, JSONLD]
    if spec.type in CITED_TYPES:
        names.extend(FORMATS)
    return names


def format_params(spec: ResourceSpec, *, detail: bool) -> dict[str, fields.Field]:
    """The ``format`` (and for citations ``style``) query parameters of a type's reads."""
    names = offered(spec) if detail else list_formats(spec)
    if len(names) == 1:
        return {}
    described = ", ".join(f"`{name}` ({MEDIA_TYPES[name]})" for name in names)
    params: dict[str, fields.Field] = {
        "format": fields.String(
            validate=validate.OneOf(names),
            metadata={
                "description": "The representation, instead of negotiating it with `Accept`: "
                + described
                + ("." if detail else "; a citation format gives a bibliography of the page.")
            },
        )
    }
    if spec.type in CITED_TYPES:
        params["style"] = fields.String(
            validate=validate.OneOf(list(STYLES)),
            metadata={
                "description": "CSL style of `text` and `html` citations. Default: "
                "`IFM_CITATION_STYLE` (`apa`)."
            },
        )
    return params


def openapi_content(spec: ResourceSpec, *, detail: bool) -> dict[str, Any]:
    """The response media types beside JSON, for the OpenAPI document."""
    names = offered(spec) if detail else list_formats(spec)
    content: dict[str, Any] = {}
    for name in names:
        if name == JSON:
            continue
        if name == JSONLD:
            description = "schema.org JSON-LD of the item (`format=jsonld`)."
            content[MEDIA_TYPES[name]] = {
                "schema": {"type": "object", "additionalProperties": True},
                "x-description": description,
            }
        else:
            content[MEDIA_TYPES[name]] = {"schema": {"type": "string"}}
    return content


def list_formats(spec: ResourceSpec) -> list[str]:
    return [JSON, *FORMATS] if spec.type in CITED_TYPES else [JSON]


def list_format(spec: ResourceSpec, requested: str | None) -> str:
    """A list is JSON, or for reports also a bibliography in a citation format."""
    names = list_formats(spec)
    if requested and requested not in names:
        raise BadRequest(
            "invalid_format", detail_args={"value": requested, "allowed": ", ".join(names)}
        )
    return requested or JSON


def choose(spec: ResourceSpec, requested: str | None, names: list[str] | None = None) -> str:
    """The representation to send: ``format=`` if given, else the best match for Accept."""
    names = names or offered(spec)
    if requested:
        if requested not in names:
            raise BadRequest(
                "invalid_format", detail_args={"value": requested, "allowed": ", ".join(names)}
            )
        return requested
    if not request.headers.get("Accept"):
        return names[0]
    types = [MEDIA_TYPES[name] for name in names]
    best = request.accept_mimetypes.best_match(types)
    if best is None:
        raise NotAcceptable(extra={"supported": types})
    return names[types.index(best)]


def institution() -> Institution:
    settings = current_app.config["IFM"]
    return Institution(name=settings.institution_name, place=settings.institution_place)


def citation_style(requested: str | None) -> str:
    return requested or current_app.config["IFM"].citation_style


def content_type(name: str) -> str:
    media_type = MEDIA_TYPES[name]
    return media_type if media_type.startswith("text/") else f"{media_type}; charset=utf-8"


def with_all_relations(spec: ResourceSpec, ctx: ReadContext) -> ReadContext:
    """Citations and linked data need embedded people (their name parts), not summaries."""
    return replace(ctx, include=frozenset(r.name for r in spec.relations if r.embeddable))


def one_language(ctx: ReadContext) -> None:
    if ctx.lang == ALL:
        raise BadRequest("format_needs_language")


def jsonld_of(item: dict[str, Any]) -> dict[str, Any]:
    settings = current_app.config["IFM"]
    return jsonld(
        item,
        institution=institution(),
        site_url=settings.site_url,
        default_lang=default_language(),
    )


def citation_text(items: list[dict[str, Any]], fmt: str, *, style: str, lang: str) -> str:
    refs = [citations.reference(item, institution()) for item in items]
    return citations.render(refs, fmt, style=style, lang=lang)


def item_response(
    blp: Blueprint,
    item: dict[str, Any],
    name: str,
    *,
    style: str | None = None,
    links: list[str] | None = None,
) -> Response:
    """One public item as JSON-LD or as a citation (``name`` from :func:`choose`)."""
    if name == JSONLD:
        data = orjson.dumps(jsonld_of(item))
    else:
        data = citation_text([item], name, style=citation_style(style), lang=item["lang"]).encode()
    filename = f"{item['slug']}.{FORMATS[name].extension}" if name in FORMATS else None
    headers = {"Content-Disposition": f'inline; filename="{filename}"'} if filename else {}
    return send_response(
        blp,
        data,
        content_type(name),
        content_language=item["lang"],
        links=links or [],
        headers=headers,
        vary=["Accept"],
    )


def bibliography_response(
    blp: Blueprint,
    items: list[dict[str, Any]],
    name: str,
    ctx: ReadContext,
    *,
    style: str | None,
    links: list[str],
) -> Response:
    """A list of reports as one bibliography (BibTeX file, RIS file, formatted list …)."""
    data = citation_text(items, name, style=citation_style(style), lang=ctx.lang).encode()
    return send_response(
        blp,
        data,
        content_type(name),
        content_language=ctx.lang,
        links=links,
        headers={"Content-Disposition": f'inline; filename="reports.{FORMATS[name].extension}"'},
    )


def wants_alternative(spec: ResourceSpec, requested: str | None) -> str | None:
    """The negotiated representation of a detail, or None for the JSON one."""
    name = choose(spec, requested)
    return None if name == JSON else name


def linked_item(spec: ResourceSpec, ctx: ReadContext, fetch: Fetch) -> dict[str, Any] | None:
    """The public item (relations embedded) behind a JSON-LD / citation response."""
    one_language(ctx)
    return fetch(with_all_relations(spec, ctx))
