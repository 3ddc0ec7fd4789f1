"""HTTP side of translation: the status list, XLIFF export and import, translation jobs."""

from __future__ import annotations

import math
from typing import Any

from flask import Response, request
from flask.views import MethodView

from ifm_api.core.auth import require_role
from ifm_api.core.content import REGISTRY, ResourceSpec
from ifm_api.core.editing import edit_etag_data, get_entity
from ifm_api.core.editor_views import operation, write_transaction
from ifm_api.core.errors import UnsupportedMediaType, ValidationFailed
from ifm_api.core.http import check_if_match_syntax, json_response, pagination_links, send_response
from ifm_api.core.i18n import select_language
from ifm_api.core.openapi import operation_id
from ifm_api.core.parsing import ApiBlueprint, no_query_args
from ifm_api.core.schemas import ProblemSchema
from ifm_api.translation.exchange import (
    FORMATS,
    Selection,
    apply_import,
    export_item,
    export_job,
    plan_import,
)
from ifm_api.translation.schemas import (
    ImportReportSchema,
    TranslationJobSchema,
    TranslationStatusArgs,
    TranslationStatusPageSchema,
    XliffExportArgs,
    XliffImportArgs,
)
from ifm_api.translation.service import StatusQuery, status_list
from ifm_api.translation.tracking import source_language
from ifm_api.translation.xliff import (
    ACCEPTED_TYPES,
    MEDIA_TYPE,
    ZIP_TYPE,
    XliffInvalid,
    parse_document,
    parse_zip,
)

API_PREFIX = "/api/v1"

blp = ApiBlueprint(
    "translation",
    __name__,
    url_prefix=API_PREFIX,
    description="Translation status per item and language, and the exchange with "
    "translators (XLIFF). Reads need a `preview` token or higher, jobs and imports `editor`.",
)


@blp.before_request
def _importers_first() -> None:
    """Before anything reads the request: an editor's token for every write and job (401/403
    before any 422), then a well-formed If-Match (a 400; flask-smorest would take a broken
    one as missing)."""
    if request.routing_exception is not None:
        return
    if request.method in ("PUT", "POST"):
        require_role("editor")
        check_if_match_syntax()


def api_root() -> str:
    return request.url_root.rstrip("/") + API_PREFIX


@blp.route("/translation-status")
class TranslationStatus(MethodView):
    @blp.arguments(TranslationStatusArgs, location="query", error_status_code=400)
    @blp.response(200, TranslationStatusPageSchema)
    @blp.alt_response(400, schema=ProblemSchema, description="Invalid query parameters.")
    @blp.alt_response(401, schema=ProblemSchema, description="Missing or invalid token.")
    @operation(blp, "List the translation status of every item")
    def get(self, args: dict[str, Any]) -> Any:
        """Per item and configured language: `missing`, `draft`, `published`, `scheduled`
        or `outdated` (the source language, `IFM_TRANSLATION_SOURCE` or the default one,
        changed after the translation was last written), the outdated fields, the fields a
        public read takes from another language, and when source and translation were last
        written.

        Filters: `type` (repeatable), `lang` (whose status `status=` and the counts look
        at), `status`. `counts` gives per type and status the (item, language) pairs
        under the `type` and `lang` filters. Most recently changed items first. Needs a
        `preview` token or higher.
        """
        require_role("preview")
        lang = select_language() if "lang" in request.args else None
        query = StatusQuery(
            types=args["type"],
            lang=lang,
            status=args.get("status"),
            page=args["page"],
            page_size=args["page_size"],
            api_root=api_root(),
        )
        found = status_list(query)
        pages = math.ceil(found["total"] / args["page_size"]) if found["total"] else 0
        meta = {
            "page": args["page"],
            "page_size": args["page_size"],
            "total": found["total"],
            "pages": pages,
        }
        body = {
            "items": found["items"],
            "meta": meta,
            "counts": found["counts"],
            "totals": found["totals"],
        }
        return json_response(blp, body, public=False, links=pagination_links(args["page"], pages))


# --- XLIFF -----------------------------------------------------------------------------------

BATCH_BODY = {
    "required": True,
    "description": "A translated XLIFF 2.0 or 1.2 document as a translation job exports it, "
    "or the job's zip of such documents (`application/zip`).",
    "content": {
        MEDIA_TYPE: {"schema": {"description": "An XLIFF 2.0 or 1.2 document."}},
        ZIP_TYPE: {"schema": {"description": "A zip of XLIFF documents."}},
    },
}
XLIFF_BODY = {
    "required": True,
    "description": "A translated XLIFF 2.0 or 1.2 document as exported here "
    "(`application/xliff+xml`; `application/xml` and `text/xml` are taken too).",
    "content": {MEDIA_TYPE: {"schema": {"description": "An XLIFF 2.0 or 1.2 document."}}},
}
XLIFF_CONTENT = {MEDIA_TYPE: {"schema": {"type": "string"}}}
ZIP_CONTENT = {"application/zip": {"schema": {"type": "string", "format": "binary"}}}
IMPORT_422 = (
    "The document cannot be imported (not well-formed, not XLIFF, wrong languages, unknown "
    "items or unit ids, inline codes not the source's, text too long); `errors` maps unit "
    "ids (or `_document`, `srcLang`, `trgLang`, file ids) to messages. Nothing was written."
)
NOTHING_409 = "No selected item has text in the source language."


def _xliff_download(data: bytes, filename: str, mimetype: str = MEDIA_TYPE) -> Response:
    return send_response(
        blp,
        data,
        mimetype,
        public=False,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _xliff_body(*, zip_too: bool = False) -> bytes:
    """The request's XLIFF (or a zip of XLIFF documents, where ``zip_too``)."""
    check_if_match_syntax()
    accepted = ACCEPTED_TYPES | {ZIP_TYPE} if zip_too else ACCEPTED_TYPES
    if request.mimetype not in accepted:
        raise UnsupportedMediaType(
            "xliff_media_type", detail_args={"content_type": request.mimetype or "-"}
        )
    return request.get_data(cache=False)


def _import(data: bytes, target: str | None, only: tuple[ResourceSpec, int] | None) -> Any:
    try:
        document = parse_zip(data) if request.mimetype == ZIP_TYPE else parse_document(data)
        lang, plans = plan_import(document, target=target, only=only)
    except XliffInvalid as exc:
        raise ValidationFailed("xliff_invalid", errors=exc.errors) from exc
    return lang, plans


def _add_item_exchange(spec: ResourceSpec) -> None:
    noun = spec.segment.replace("-", " ")
    path = f"{API_PREFIX}/{spec.segment}/{{item_id}}/xliff"
    export_id = "export" + operation_id("get", path).removeprefix("get")  # exportNewsItemXliff
    import_id = "import" + operation_id("put", path).removeprefix("replace")

    @blp.route(f"/{spec.segment}/<int:item_id>/xliff", endpoint=f"{spec.key}_xliff")
    class ItemXliff(MethodView):
        @blp.arguments(XliffExportArgs, location="query", error_status_code=400)
        @blp.alt_response(400, schema=ProblemSchema, description="Invalid query parameters.")
        @blp.alt_response(401, schema=ProblemSchema, description="Missing or invalid token.")
        @blp.alt_response(404, schema=ProblemSchema, description="No such item.")
        @blp.alt_response(409, schema=ProblemSchema, description=NOTHING_409)
        @operation(
            blp,
            f"Export one of the {noun} for translation (XLIFF)",
            operationId=export_id,
            responses={"200": {"description": "The XLIFF document.", "content": XLIFF_CONTENT}},
        )
        def get(self, args: dict[str, Any], item_id: int) -> Any:
            """The working copy's translatable fields as XLIFF 2.0 (`format=xliff-1.2` for
            1.2): a `<unit>` per field with text in the source language (id
            `<type>.<id>.<field>`), the source and the current translation into `target`
            as the target where there is one (an outdated one with `state="initial"`
            and `subState="ifm:outdated"`). HTML is kept as inline codes (`<pc>`, `<ph>`)
            so markup cannot be broken. The `<file>` records the item's version and the
            time of the export. Needs a `preview` token or higher.
            """
            require_role("preview")
            entity = get_entity(spec, item_id)
            data = export_item(spec, entity, args["target"], FORMATS[args["format"]])
            name = f"{spec.type}-{entity.id}-{source_language()}-{args['target']}.xlf"
            return _xliff_download(data, name)

        @blp.etag
        @blp.arguments(XliffImportArgs, location="query", error_status_code=400)
        @blp.response(200, ImportReportSchema, description="What was imported, per unit.")
        @blp.alt_response(401, schema=ProblemSchema, description="Missing or invalid token.")
        @blp.alt_response(403, schema=ProblemSchema, description="The token is not editor.")
        @blp.alt_response(404, schema=ProblemSchema, description="No such item.")
        @blp.alt_response(415, schema=ProblemSchema, description="The body is not XML.")
        @blp.alt_response(422, schema=ProblemSchema, description=IMPORT_422)
        @operation(
            blp,
            f"Import a translation of one of the {noun} (XLIFF)",
            operationId=import_id,
            requestBody=XLIFF_BODY,
        )
        def put(self, args: dict[str, Any], item_id: int) -> Any:
            """Write the targets of a translated XLIFF document (as exported here) into the
            working copy: one revision, drafts until published. Needs `If-Match` with the
            ETag of the editing representation, like a PATCH (missing: 428, stale: 412) and
            an `editor` token.

            The whole document is checked first: any fault is a 422 naming the unit ids,
            and nothing is written. A unit whose source text changed since the export, or
            whose translation someone else changed since, is a conflict (listed, left as it
            is); the other units are imported. The answer's `ETag` is the new one.
            """
            principal = require_role("editor")
            data = _xliff_body()
            with write_transaction():
                entity = get_entity(spec, item_id)
                blp.check_etag(edit_etag_data(entity))
                lang, plans = _import(data, args.get("target"), (spec, item_id))
                results = apply_import(plans, lang, author=principal.name)
            body = {"items": [result.as_dict() for result in results]}
            return json_response(blp, body, public=False, etag_data=edit_etag_data(entity))


for _spec in list(REGISTRY.values()):
    _add_item_exchange(_spec)


@blp.route("/translation-jobs")
class TranslationJobs(MethodView):
    @no_query_args(blp)
    @blp.arguments(TranslationJobSchema)
    @blp.alt_response(401, schema=ProblemSchema, description="Missing or invalid token.")
    @blp.alt_response(403, schema=ProblemSchema, description="The token is not editor.")
    @blp.alt_response(409, schema=ProblemSchema, description=NOTHING_409)
    @blp.alt_response(422, schema=ProblemSchema, description="Invalid fields or unknown ids.")
    @operation(
        blp,
        "Export a batch of items for translation (XLIFF, or a zip)",
        responses={
            "200": {
                "description": "One XLIFF document with a `<file>` per item, or a zip.",
                "content": {**XLIFF_CONTENT, **ZIP_CONTENT},
            }
        },
    )
    def post(self, job: dict[str, Any]) -> Any:
        """Items by `ids`, or by filter (`type`, `status` in `target`, e.g. everything
        `outdated` in English), as one XLIFF document (a `<file>` per item) or a zip of
        one document per item (`package=zip`). Items without text in the source language
        are left out. `X-Item-Count` says how many went in. Needs an `editor` token;
        import the translated document with `POST /api/v1/translation-jobs/import`.
        """
        require_role("editor")
        selection = Selection(
            target=job["target"],
            ids=job.get("ids"),
            types=job.get("type") or [],
            status=job.get("status"),
        )
        try:
            data, count = export_job(selection, FORMATS[job["format"]], job["package"])
        except XliffInvalid as exc:  # ids that name no item
            raise ValidationFailed("invalid_reference", errors=exc.errors) from exc
        stamp = f"{source_language()}-{job['target']}"
        if job["package"] == "zip":
            response = _xliff_download(data, f"translation-job-{stamp}.zip", "application/zip")
        else:
            response = _xliff_download(data, f"translation-job-{stamp}.xlf")
        response.headers["X-Item-Count"] = str(count)
        return response


@blp.route("/translation-jobs/import")
class TranslationJobImport(MethodView):
    @blp.arguments(XliffImportArgs, location="query", error_status_code=400)
    @blp.response(200, ImportReportSchema, description="What was imported, per item and unit.")
    @blp.alt_response(401, schema=ProblemSchema, description="Missing or invalid token.")
    @blp.alt_response(403, schema=ProblemSchema, description="The token is not editor.")
    @blp.alt_response(415, schema=ProblemSchema, description="The body is not XML.")
    @blp.alt_response(422, schema=ProblemSchema, description=IMPORT_422)
    @operation(
        blp,
        "Import a translated batch (XLIFF)",
        operationId="importTranslationJob",
        requestBody=BATCH_BODY,
    )
    def post(self, args: dict[str, Any]) -> Any:
        """The targets of a translated batch document, item by item: one revision per item
        with imported units. Each `<file>` records the item's version at the export: an
        item written since (`changed_since_export`) is checked unit by unit, and units
        whose source or translation changed are conflicts of that item while the rest is
        imported. Any invalid unit anywhere is a 422 naming the unit ids, and nothing is
        written. The body is one XLIFF document or the job's zip of them. Needs an `editor`
        token.
        """
        principal = require_role("editor")
        data = _xliff_body(zip_too=True)
        with write_transaction():
            lang, plans = _import(data, args.get("target"), None)
            results = apply_import(plans, lang, author=principal.name)
        return json_response(blp, {"items": [result.as_dict() for result in results]}, public=False)
