"""HTTP endpoint of report citations (the negotiated detail formats live in ``core.views``)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from ifm_api.core.content import get_item
from ifm_api.core.errors import NotFound
from ifm_api.core.models import LIVE
from ifm_api.core.parsing import ApiBlueprint
from ifm_api.core.schemas import ProblemSchema, ReadArgs
from ifm_api.core.views import API_PREFIX, alternate_links, read_context
from ifm_api.linked_data import service
from ifm_api.linked_data.citations import FORMATS, STYLES
from ifm_api.reports.service import SPEC as REPORTS

blp = ApiBlueprint(
    "citations",
    __name__,
    url_prefix=f"{API_PREFIX}/reports",
    description="Citations of public reports: BibTeX, BibLaTeX, RIS, CSL-JSON and formatted "
    "references (citeproc-py with the shipped CSL styles, in the read's language). The same "
    "formats are offered by content negotiation (`Accept`) on a report's detail URL, and "
    "`format=bibtex` (etc.) on the reports list gives a bibliography of that page.",
)


class CitationArgs(Schema):
    lang = ReadArgs._declared_fields["lang"]
    fallback = ReadArgs._declared_fields["fallback"]
    format = fields.String(
        validate=validate.OneOf(list(FORMATS)),
        metadata={
            "description": "The citation format. Default: negotiated with `Accept` among "
            "the formats' media types; BibTeX without a preference."
        },
    )
    style = fields.String(
        validate=validate.OneOf(list(STYLES)),
        metadata={"description": "CSL style of `text` and `html`. Default: IFM_CITATION_STYLE."},
    )


def _citation_responses() -> dict[str, Any]:
    content = {
        fmt.media_type: {"schema": {"type": "string", "description": f"`format={fmt.name}`"}}
        for fmt in FORMATS.values()
    }
    return {
        "200": {
            "description": "The citation in the chosen format.",
            "headers": {"ETag": {"$ref": "#/components/headers/ETAG"}},
            "content": content,
        }
    }


@blp.route("/<int:item_id>/citation")
class ReportCitation(MethodView):
    @blp.etag
    @blp.arguments(CitationArgs, location="query", error_status_code=400)
    @blp.alt_response(400, schema=ProblemSchema, description="An unknown format or style.")
    @blp.alt_response(404, schema=ProblemSchema, description="No such public report.")
    @blp.alt_response(406, schema=ProblemSchema, description="`Accept` names no format offered.")
    @blp.doc(
        summary="Cite one public report",
        operationId="getReportCitation",
        responses=_citation_responses(),
    )
    def get(self, args: dict[str, Any], item_id: int) -> Any:
        """One public report as a citation, in the read's language (a draft is a 404)."""
        name = service.choose(REPORTS, args.get("format"), list(FORMATS))
        ctx = read_context(REPORTS, {**args, "version": LIVE})
        item = service.linked_item(REPORTS, ctx, lambda c: get_item(REPORTS, c, item_id))
        if item is None:
            raise NotFound("item_not_found", detail_args={"resource": "reports", "id": item_id})
        return service.item_response(
            blp, item, name, style=args.get("style"), links=alternate_links(item, ctx)
        )
