"""HTTP endpoint of the search across content types."""

from __future__ import annotations

import math
from typing import Any

import orjson
from flask import current_app, request
from flask.views import MethodView

from ifm_api.core.content import REGISTRY, ReadContext
from ifm_api.core.db import utcnow
from ifm_api.core.http import pagination_links, stored_json_response
from ifm_api.core.i18n import select_language
from ifm_api.core.parsing import ApiBlueprint
from ifm_api.core.read.public import body_etag
from ifm_api.core.schemas import ProblemSchema
from ifm_api.core.views import API_PREFIX
from ifm_api.search.schemas import SEARCHED, SearchArgs, SearchPageSchema
from ifm_api.search.service import hit_body, query_of, search
from ifm_api.search.text import Marker

blp = ApiBlueprint(
    "search",
    __name__,
    url_prefix=f"{API_PREFIX}/search",
    description="Search across news, reports, projects, people and research areas, in German "
    "and English (`q=` on every list searches one of them).",
)
BAD_SEARCH = "Bad query: `q` missing, empty, too long or with too many words; unknown `type`."


def _item_types(value: str | None) -> list[str]:
    segments = value.split(",") if value else list(SEARCHED)
    by_segment = {spec.segment: spec.type for spec in REGISTRY.values()}
    return sorted({by_segment[segment] for segment in segments})


@blp.route("")
class Search(MethodView):
    @blp.etag
    @blp.arguments(SearchArgs, location="query", error_status_code=400)
    @blp.response(200, SearchPageSchema)
    @blp.alt_response(400, schema=ProblemSchema, description=BAD_SEARCH)
    @blp.doc(summary="Search", operationId="search")
    def get(self, args: dict[str, Any]) -> Any:
        """Published items of every type matching `q`, best first, with highlights.

        The items are those the lists serve (in `lang`, with the same fallback), each with
        its `type`, `score` and `highlights`; paginated like every list.
        """
        settings = current_app.config["IFM"]
        ctx = ReadContext(
            lang=select_language(),
            fallback=args["fallback"],
            now=utcnow(),
            api_root=request.url_root.rstrip("/") + API_PREFIX,
            site_url=settings.site_url,
            url_templates=settings.url_templates,
        )
        page, page_size = args["page"], args["page_size"]
        types = _item_types(args.get("type"))
        hits, total, exact = search(ctx, args["q"], types, page=page, page_size=page_size)
        pages = math.ceil(total / page_size) if total else 0
        meta = {"page": page, "page_size": page_size, "total": total, "pages": pages}
        meta["total_exact"] = exact
        marker = Marker(query_of(args["q"]))

        def build() -> bytes:
            items = b",".join(hit_body(hit, marker, ctx.api_root) for hit in hits)
            return b'{"items":[' + items + b'],"meta":' + orjson.dumps(meta) + b"}"

        etag = body_etag([ctx.api_root, args["q"], meta, [(h.row.etag, h.score) for h in hits]])
        return stored_json_response(
            blp,
            build,
            etag_source=etag,
            content_language=ctx.lang,
            links=pagination_links(page, pages),
        )
