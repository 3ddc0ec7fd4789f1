"""HTTP side of translation: the status list for editors (preview token or higher)."""

from __future__ import annotations

import math
from typing import Any

from flask import request
from flask.views import MethodView

from ifm_api.core.auth import require_role
from ifm_api.core.editor_views import operation
from ifm_api.core.http import json_response, pagination_links
from ifm_api.core.i18n import select_language
from ifm_api.core.parsing import ApiBlueprint
from ifm_api.core.schemas import ProblemSchema
from ifm_api.translation.schemas import TranslationStatusArgs, TranslationStatusPageSchema
from ifm_api.translation.service import StatusQuery, status_list

API_PREFIX = "/api/v1"

blp = ApiBlueprint(
    "translation",
    __name__,
    url_prefix=API_PREFIX,
    description="Translation status per item and language, and the exchange with "
    "translators (XLIFF). Needs a `preview` token or higher (`editor` to import).",
)


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
        or `outdated` (the source language, the default one, changed after the
        translation was last written), the outdated fields, the fields a public read takes
        from another language, and when source and translation were last written.

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
