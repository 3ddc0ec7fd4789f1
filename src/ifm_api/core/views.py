"""The HTTP side of every content type: one blueprint factory, the same endpoints for all."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import orjson
from flask import current_app, request
from flask.views import MethodView
from marshmallow import Schema
from sqlalchemy import ColumnElement

from ifm_api.core.auth import require_role
from ifm_api.core.content import (
    ReadContext,
    ResourceSpec,
    SlugMatch,
    find_entity_by_slug,
    get_item,
    list_items,
    publicly_visible,
)
from ifm_api.core.db import utcnow
from ifm_api.core.editing import edit_etag_data, editing_representation, get_entity
from ifm_api.core.editor_views import add_editor_endpoints
from ifm_api.core.errors import BadRequest, NotFound
from ifm_api.core.feeds import feed_links
from ifm_api.core.http import (
    is_fresh,
    json_response,
    pagination_links,
    redirect_response,
    stored_json_response,
)
from ifm_api.core.i18n import ALL, default_language, select_language
from ifm_api.core.models import DRAFT, LIVE
from ifm_api.core.parsing import ApiBlueprint
from ifm_api.core.read.model import API_ROOT, API_ROOT_BYTES
from ifm_api.core.read.public import (
    Stored,
    body_etag,
    find_by_slug,
    get_row,
    list_rows,
    row_by_slug,
    with_includes,
)
from ifm_api.core.schemas import (
    PUBLICATION_STATUSES,
    EditSchemaBase,
    IncludeParam,
    ProblemSchema,
    ReadArgs,
    page_schema,
)
from ifm_api.linked_data import service as linked_data
from ifm_api.linked_data.service import JSONLD
from ifm_api.search import service as search_service

API_PREFIX = "/api/v1"
NOT_ACCEPTABLE = "`Accept` names no representation offered (JSON, JSON-LD, citations)."
WORKING_COPY_STATUSES = ("draft", "all")
DRAFTS_401 = "Working copies asked for (`version=draft`, `status=draft|all`) without a valid token."


def embeddable(spec: ResourceSpec) -> list[str]:
    return sorted(r.name for r in spec.relations if r.embeddable)


def parse_include(spec: ResourceSpec, *, detail: bool = False) -> frozenset[str]:
    """``include=a,b`` (or ``include=a&include=b``): exactly the documented relation names;
    an empty value embeds nothing, any other part (also an empty one) is a 400. A detail also
    takes ``jsonld`` (its linked data as a member), which is not a relation."""
    names = requested_includes()
    allowed = includable(spec, detail=detail)
    unknown = sorted({name for name in names if name not in allowed})
    if unknown:
        raise BadRequest(
            "invalid_include",
            detail_args={"value": ", ".join(unknown), "allowed": ", ".join(allowed) or "-"},
        )
    return frozenset(names) - {JSONLD}


def requested_includes() -> list[str]:
    values = [value for value in request.args.getlist("include") if value != ""]
    return [part for value in values for part in value.split(",")]


def includable(spec: ResourceSpec, *, detail: bool) -> list[str]:
    return [*embeddable(spec), *([JSONLD] if detail else [])]


def with_include(spec: ResourceSpec, args: type[Schema], *, detail: bool = False) -> type[Schema]:
    """The query arguments of a resource's reads with its ``include`` and ``format``."""
    extra: dict[str, Any] = linked_data.format_params(spec, detail=detail)
    allowed = includable(spec, detail=detail)
    if allowed:
        extra["include"] = IncludeParam(allowed)
    return type(args.__name__, (args,), extra) if extra else args


_API_ROOTS: dict[tuple[str, ...], str] = {}
KNOWN_ROOTS = 256


def api_root() -> str:
    """This request's API root URL (``https://host/api/v1``), made once per origin: werkzeug
    builds ``url_root`` from the environ (and turns it into an IRI) on every request."""
    environ = request.environ
    key = tuple(environ.get(name, "") for name in ROOT_KEYS)
    root = _API_ROOTS.get(key)
    if root is None:
        root = request.url_root.rstrip("/") + API_PREFIX
        if len(_API_ROOTS) < KNOWN_ROOTS:
            _API_ROOTS[key] = root
    return root


ROOT_KEYS = ("wsgi.url_scheme", "HTTP_HOST", "SERVER_NAME", "SERVER_PORT", "SCRIPT_NAME")


def read_context(spec: ResourceSpec, args: dict[str, Any], *, detail: bool = False) -> ReadContext:
    """How this request reads: language, fallback, includes, and live or draft.

    ``version=draft`` and ``status=draft|all`` read working copies (preview token or higher).
    """
    lang = select_language(allow_all=True)
    state = LIVE
    if args.get("version") == DRAFT or args.get("status") in WORKING_COPY_STATUSES:
        require_role("preview")
        state = DRAFT
    settings = current_app.config["IFM"]
    return ReadContext(
        lang=lang,
        fallback=args.get("fallback", True),
        now=utcnow(),
        state=state,
        include=parse_include(spec, detail=detail),
        api_root=api_root(),
        site_url=settings.site_url,
        url_templates=settings.url_templates,
    )


def publication_conditions(
    spec: ResourceSpec, ctx: ReadContext, status: str | None
) -> list[ColumnElement[bool]]:
    """``status=published`` among working copies: items public now; ``draft``: the others."""
    if ctx.state != DRAFT or status not in ("draft", "published"):
        return []
    public = publicly_visible(spec, ctx.now)
    return [public] if status == "published" else [~public]


def content_language(ctx: ReadContext, item: dict[str, Any] | None = None) -> str | None:
    """The language served: a detail's own (it may have fallen back), else the chosen one."""
    if ctx.lang == ALL:
        return None
    return item["lang"] if item is not None else ctx.lang


def alternate_links(item: dict[str, Any], ctx: ReadContext) -> list[str]:
    """``Link rel=alternate hreflang`` for every language of a detail, plus x-default."""
    translations: dict[str, dict[str, Any]] = item.get("translations", {})
    if not isinstance(next(iter(translations.values()), {}), dict):
        return []
    links = [
        f'<{version["url"]}>; rel="alternate"; hreflang="{lang}"'
        for lang, version in translations.items()
        if "url" in version and lang != item.get("lang")
    ]
    default = translations.get(default_language())
    if default and "url" in default:
        links.append(f'<{default["url"]}>; rel="alternate"; hreflang="x-default"')
    return links


# Reads are public; a token (preview and up) unlocks working copies.
OPTIONAL_TOKEN: list[dict[str, list[str]]] = [{}, {"bearerAuth": []}]
BAD_QUERY = "Bad query parameter (e.g. an unsupported `lang`, an unknown `include`)."


def one_language_or_all(
    one: type[Schema], every: type[Schema], spec: ResourceSpec
) -> dict[str, Any]:
    """The 200 of a read: one language, or with `lang=all` every translation (write shape);
    also as linked data and (reports) citations, negotiated with `Accept` or `format=`."""
    return {
        "200": {
            "description": "OK",
            "headers": {"ETag": {"$ref": "#/components/headers/ETAG"}},
            "content": {
                "application/json": {"schema": {"oneOf": [one, every]}},
                **linked_data.openapi_content(spec, detail=True),
            },
        }
    }


def list_formats_doc(spec: ResourceSpec, page: type[Schema]) -> dict[str, Any]:
    """A list's 200 also in the citation formats (reports' bibliographies), if it has any."""
    extra = linked_data.openapi_content(spec, detail=False)
    if not extra:
        return {}
    content = {"application/json": {"schema": page}, **extra}
    headers = {"ETag": {"$ref": "#/components/headers/ETAG"}}
    return {"responses": {"200": {"description": "OK", "headers": headers, "content": content}}}


def _in_the_slugs_language(ctx: ReadContext, found: SlugMatch) -> ReadContext:
    """Without ``lang=``, a slug lookup reads the slug's own language version."""
    if request.args.get("lang") is not None or ctx.lang == ALL:
        return ctx
    return replace(ctx, lang=found.lang)


def content_blueprint(
    spec: ResourceSpec,
    *,
    item_schema: type[Schema],
    list_args: type[Schema],
    edit_schema: type[EditSchemaBase],
    description: str,
) -> ApiBlueprint:
    """The endpoints of one content type: reads (list, detail by id, detail by slug) and
    the editors' writes (see ``core.editor_views``)."""
    blp = ApiBlueprint(
        spec.key, __name__, url_prefix=f"{API_PREFIX}/{spec.segment}", description=description
    )
    noun = spec.segment.replace("-", " ")
    read_args = with_include(spec, ReadArgs, detail=True)
    list_args = with_include(spec, list_args)
    page = page_schema(
        f"{item_schema.__name__.removesuffix('Schema')}Page", item_schema, edit_schema
    )

    @blp.route("")
    class Collection(MethodView):
        @blp.etag
        @blp.arguments(list_args(), location="query", error_status_code=400)
        @blp.response(200, page)
        @blp.alt_response(400, schema=ProblemSchema, description=BAD_QUERY)
        @blp.alt_response(401, schema=ProblemSchema, description=DRAFTS_401)
        @blp.doc(summary=f"List {noun}", security=OPTIONAL_TOKEN, **list_formats_doc(spec, page))
        def get(self, args: dict[str, Any]) -> Any:
            """Published items in one language, paginated, filtered and sorted.

            With a `preview` token or higher, `version=draft` and `status=draft|all` list
            working copies instead.
            """
            ctx = read_context(spec, args)
            requested = request.args.get("format")
            bibliography = linked_data.list_format(spec, requested) != linked_data.JSON
            if bibliography:
                linked_data.one_language(ctx)
                ctx = linked_data.with_all_relations(spec, ctx)
            publication = args.get("status") if args.get("status") in PUBLICATION_STATUSES else None
            filters = {**args, "status": None if publication else args.get("status")}
            filters["today"] = ctx.now.date()
            if args.get("q") is not None:
                search_service.check_list_query(ctx, bibliography=bibliography)
            if ctx.state == LIVE and not bibliography:
                return _public_list(ctx, args, filters)
            items, total = list_items(
                spec,
                ctx,
                page=args["page"],
                page_size=args["page_size"],
                sort=args["sort"],
                filters=filters,
                extra_conditions=publication_conditions(spec, ctx, publication),
            )
            pages = math.ceil(total / args["page_size"]) if total else 0
            if bibliography:
                return linked_data.bibliography_response(
                    blp,
                    items,
                    args["format"],
                    ctx,
                    style=args.get("style"),
                    links=pagination_links(args["page"], pages),
                )
            body = {
                "items": items,
                "meta": {
                    "page": args["page"],
                    "page_size": args["page_size"],
                    "total": total,
                    "pages": pages,
                },
            }
            return json_response(
                blp,
                body,
                content_language=content_language(ctx),
                public=ctx.state == LIVE,
                links=[*pagination_links(args["page"], pages), *feed_links(spec, ctx.lang)],
            )

    def _public_list(ctx: ReadContext, args: dict[str, Any], filters: dict[str, Any]) -> Any:
        page, page_size = args["page"], args["page_size"]
        exact: dict[str, bool] = {}
        include = ctx.include if ctx.lang != ALL else frozenset()

        def meta_of(total: int) -> dict[str, Any]:
            pages = math.ceil(total / page_size) if total else 0
            return {"page": page, "page_size": page_size, "total": total, "pages": pages, **exact}

        def etag_of(rows: list[Stored], total: int, extra: list[str]) -> str:
            etags = [r.etag for r in rows]
            return body_etag([ctx.api_root, sorted(include), meta_of(total), etags, extra])

        def page_rows(*, docs: bool) -> tuple[list[Stored], int]:
            return list_rows(
                spec,
                ctx,
                page=page,
                page_size=page_size,
                sort=args["sort"],
                filters=filters,
                docs=docs,
            )

        revalidated: str | None = None  # the ETag source a revalidation already checked
        if args.get("q") is not None:
            rows, total, exact["total_exact"] = search_service.list_rows(
                spec,
                ctx,
                args["q"],
                page=page,
                page_size=page_size,
                sort=args["sort"] if "sort" in request.args else None,
                filters=filters,
            )
        elif not include and request.if_none_match:
            # A revalidation reads the page without its documents: the ETag needs only the
            # stored ETags. Only when it no longer matches is the page read again, whole.
            rows, total = page_rows(docs=False)
            revalidated = etag_of(rows, total, [])
            if not is_fresh(blp, revalidated):
                rows, total = page_rows(docs=True)
                revalidated = None
        else:
            rows, total = page_rows(docs=True)
        meta = meta_of(total)
        embedded: list[bytes] = []
        extra: list[str] = []
        if include and rows:
            embedded, extra = with_includes(spec, ctx, rows, ctx.api_root)

        def build() -> bytes:
            if include and rows:
                items = b",".join(embedded)
            else:
                root = ctx.api_root.encode()
                items = b",".join(row.doc for row in rows).replace(API_ROOT_BYTES, root)
            return b'{"items":[' + items + b'],"meta":' + orjson.dumps(meta) + b"}"

        return stored_json_response(
            blp,
            build,
            etag_source=revalidated or etag_of(rows, total, extra),
            content_language=content_language(ctx),
            links=lambda: [*pagination_links(page, meta["pages"]), *feed_links(spec, ctx.lang)],
        )

    def _public_detail(ctx: ReadContext, entity_id: int) -> Any:
        row = get_row(spec, ctx, entity_id)
        if row is None:
            raise NotFound("item_not_found", detail_args={"resource": noun, "id": entity_id})
        return _stored_detail(ctx, row)

    def _stored_detail(ctx: ReadContext, row: Stored) -> Any:
        include = ctx.include if ctx.lang != ALL else frozenset()
        extra: list[str] = []
        if include:
            docs, extra = with_includes(spec, ctx, [row], ctx.api_root)

            def build() -> bytes:
                return docs[0]
        else:

            def build() -> bytes:
                return row.doc.replace(API_ROOT_BYTES, ctx.api_root.encode())

        links = row.links.replace(API_ROOT, ctx.api_root) if row.links else None
        return stored_json_response(
            blp,
            build,
            etag_source=body_etag([ctx.api_root, sorted(include), row.etag, extra]),
            content_language=row.served_lang,
            links=[links] if links else [],
            vary=["Accept"],
        )

    def _plain_json(args: dict[str, Any]) -> bool:
        """Whether a detail is the stored JSON (no linked data, no citation format)."""
        alternative = linked_data.wants_alternative(spec, args.get("format"))
        return alternative is None and JSONLD not in requested_includes()

    def _detail(ctx: ReadContext, entity_id: int, args: dict[str, Any]) -> Any:
        if ctx.lang == ALL and ctx.state == DRAFT:
            entity = get_entity(spec, entity_id)
            body = editing_representation(spec, entity)
            return json_response(blp, body, public=False, etag_data=edit_etag_data(entity))
        alternative = linked_data.wants_alternative(spec, args.get("format"))
        if alternative is not None:
            return _linked_data_detail(ctx, entity_id, alternative, args)
        if ctx.state == LIVE and JSONLD not in requested_includes():
            return _public_detail(ctx, entity_id)
        item = get_item(spec, ctx, entity_id)
        if item is None:
            raise NotFound("item_not_found", detail_args={"resource": noun, "id": entity_id})
        if JSONLD in requested_includes() and ctx.state == LIVE:
            linked = _linked_item(ctx, entity_id)
            item = {**item, "jsonld": linked_data.jsonld_of(linked)}
        return json_response(
            blp,
            item,
            content_language=content_language(ctx, item),
            public=ctx.state == LIVE,
            links=alternate_links(item, ctx),
            vary=["Accept"],
        )

    def _linked_item(ctx: ReadContext, entity_id: int) -> dict[str, Any]:
        item = linked_data.linked_item(spec, ctx, lambda c: get_item(spec, c, entity_id))
        if item is None:
            raise NotFound("item_not_found", detail_args={"resource": noun, "id": entity_id})
        return item

    def _linked_data_detail(
        ctx: ReadContext, entity_id: int, name: str, args: dict[str, Any]
    ) -> Any:
        if ctx.state != LIVE:
            raise linked_data.NotAcceptable(
                "draft_only_json", extra={"supported": ["application/json"]}
            )
        item = _linked_item(ctx, entity_id)
        links = alternate_links(item, ctx)
        return linked_data.item_response(blp, item, name, style=args.get("style"), links=links)

    @blp.route("/<int:item_id>")
    class Item(MethodView):
        @blp.etag
        @blp.arguments(read_args(), location="query", error_status_code=400)
        @blp.response(200, item_schema)
        @blp.alt_response(400, schema=ProblemSchema, description=BAD_QUERY)
        @blp.alt_response(401, schema=ProblemSchema, description=DRAFTS_401)
        @blp.alt_response(404, schema=ProblemSchema, description="No such published item.")
        @blp.alt_response(406, schema=ProblemSchema, description=NOT_ACCEPTABLE)
        @blp.doc(
            summary=f"Read one of the {noun} by id",
            responses=one_language_or_all(item_schema, edit_schema, spec),
            security=OPTIONAL_TOKEN,
        )
        def get(self, args: dict[str, Any], item_id: int) -> Any:
            """One item in the chosen language (or `lang=all` for every translation).

            `lang=all&version=draft` (a `preview` token or higher) is the editing
            representation (see the create/change endpoints for its schema) with the `ETag`
            that `If-Match` of a write expects.
            """
            return _detail(read_context(spec, args, detail=True), item_id, args)

    @blp.route("/slug/<string:slug>")
    class BySlug(MethodView):
        @blp.etag
        @blp.arguments(read_args(), location="query", error_status_code=400)
        @blp.response(200, item_schema)
        @blp.alt_response(301, description="A former slug: redirects to the current one.")
        @blp.alt_response(400, schema=ProblemSchema, description=BAD_QUERY)
        @blp.alt_response(401, schema=ProblemSchema, description=DRAFTS_401)
        @blp.alt_response(404, schema=ProblemSchema, description="No item with this slug.")
        @blp.alt_response(406, schema=ProblemSchema, description=NOT_ACCEPTABLE)
        @blp.doc(
            summary=f"Read one of the {noun} by its slug in any language",
            responses=one_language_or_all(item_schema, edit_schema, spec),
            security=OPTIONAL_TOKEN,
        )
        def get(self, args: dict[str, Any], slug: str) -> Any:
            """One item by a slug of any of its languages; a former slug answers 301.

            A slug names one language version: without `lang=` the item is served in the
            slug's own language (an English slug answers in English, whatever
            `Accept-Language` says; only where two languages share a slug does
            `Accept-Language` choose). With `lang=` it is served in that language, with
            the usual fallback.
            """
            ctx = read_context(spec, args, detail=True)
            if ctx.state == LIVE and ctx.lang != ALL and _plain_json(args):
                hit = row_by_slug(spec, ctx, slug, asked=request.args.get("lang") is not None)
                if hit is not None:
                    return _stored_detail(replace(ctx, lang=hit[1]), hit[0])
            found = find_by_slug(spec, ctx, slug) if ctx.state == LIVE else None
            found = found or find_entity_by_slug(spec, ctx, slug)
            if found is None:
                raise NotFound("slug_not_found", detail_args={"resource": noun, "slug": slug})
            ctx = _in_the_slugs_language(ctx, found)
            if not found.former:
                return _detail(ctx, found.entity_id, args)
            item = get_item(spec, replace(ctx, lang=found.lang), found.entity_id)
            if item is None:
                raise NotFound("slug_not_found", detail_args={"resource": noun, "slug": slug})
            query = f"?{request.query_string.decode()}" if request.query_string else ""
            target = f"{ctx.api_root}/{spec.segment}/slug/{item['slug']}{query}"
            return redirect_response(blp, target, public=ctx.state == LIVE)

    add_editor_endpoints(blp, spec, edit_schema=edit_schema, noun=noun)
    return blp
