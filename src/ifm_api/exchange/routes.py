"""HTTP endpoints of old URLs: the public lookup and the admins' redirect rules."""

from __future__ import annotations

import math
from typing import Any

from flask import Response, current_app, request, url_for
from flask.views import MethodView

from ifm_api.core import db
from ifm_api.core.admin_views import NO_STORE, admins_only, auth_errors
from ifm_api.core.auth import require_role
from ifm_api.core.content import ReadContext
from ifm_api.core.db import utcnow
from ifm_api.core.editor_views import operation
from ifm_api.core.http import json_response
from ifm_api.core.i18n import select_language
from ifm_api.core.parsing import ApiBlueprint, no_query_args
from ifm_api.core.schemas import ProblemSchema
from ifm_api.core.views import API_PREFIX, BAD_QUERY
from ifm_api.exchange.schemas import (
    RedirectQueryArgs,
    RedirectRuleCreateSchema,
    RedirectRuleListArgs,
    RedirectRulePageSchema,
    RedirectRuleSchema,
    RedirectSchema,
)
from ifm_api.exchange.service import (
    create_redirect,
    delete_redirect,
    get_redirect,
    list_redirects,
    resolve_redirect,
)

blp = ApiBlueprint(
    "redirects",
    __name__,
    url_prefix=f"{API_PREFIX}/redirects",
    description="Old URLs of the former website and where their content lives now "
    "(for the website's frontend or nginx to answer with a 301). The rules are managed by "
    "admins; `ifm-api import-legacy --url-map` writes them too.",
)


def _a_rule() -> bool:
    """The rules are for admins (the public lookup is not)."""
    return request.url_rule is not None and "/rules" in request.url_rule.rule


admins_only(blp, _a_rule)
_auth_errors = auth_errors(blp)


@blp.route("")
class RedirectLookup(MethodView):
    @blp.etag
    @blp.arguments(RedirectQueryArgs, location="query", error_status_code=400)
    @blp.response(200, RedirectSchema)
    @blp.alt_response(400, schema=ProblemSchema, description=BAD_QUERY)
    @blp.alt_response(
        404, schema=ProblemSchema, description="No redirect for this path (or not public)."
    )
    def get(self, args: dict[str, Any]) -> Any:
        """Where an old URL lives now: the item's public URL in the read's language.

        The language is chosen as for every read (`lang=`, then `Accept-Language`, then the
        default language), with the same fallback. Unknown paths, and items that are not
        public, are a 404.
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
        body = resolve_redirect(args["path"], ctx)
        return json_response(blp, body, content_language=body["lang"])


@blp.route("/rules")
class RedirectRules(MethodView):
    @blp.arguments(RedirectRuleListArgs, location="query", error_status_code=400)
    @blp.response(200, RedirectRulePageSchema)
    @_auth_errors
    @operation(blp, "List redirect rules")
    def get(self, args: dict[str, Any]) -> Any:
        """Every old URL with the item it leads to, oldest first (role `admin`)."""
        require_role("admin")
        items, total = list_redirects(page=args["page"], page_size=args["page_size"])
        pages = math.ceil(total / args["page_size"]) if total else 0
        meta = {"page": args["page"], "page_size": args["page_size"], "total": total}
        return {"items": items, "meta": {**meta, "pages": pages}}, NO_STORE

    @no_query_args(blp)
    @blp.arguments(RedirectRuleCreateSchema)
    @blp.response(201, RedirectRuleSchema, headers={"Location": {"schema": {"type": "string"}}})
    @_auth_errors
    @blp.alt_response(409, schema=ProblemSchema, description="This path redirects already.")
    @blp.alt_response(422, schema=ProblemSchema, description="Invalid body or no such item.")
    @operation(blp, "Create a redirect rule")
    def post(self, data: dict[str, Any]) -> Any:
        """Let an old URL lead to an item (role `admin`). It answers once the item is public."""
        admin = require_role("admin")
        with db.transaction():
            rule = create_redirect(
                data["path"], data["resource"], data["item_id"], author=admin.name
            )
        location = url_for("redirects.RedirectRule", rule_id=rule["id"], _external=True)
        return rule, {"Location": location, **NO_STORE}


@blp.route("/rules/<int:rule_id>")
class RedirectRule(MethodView):
    @no_query_args(blp)
    @blp.response(200, RedirectRuleSchema)
    @_auth_errors
    @blp.alt_response(404, schema=ProblemSchema, description="No such rule.")
    @operation(blp, "Read a redirect rule")
    def get(self, rule_id: int) -> Any:
        """One redirect rule (role `admin`)."""
        require_role("admin")
        return get_redirect(rule_id), NO_STORE

    @no_query_args(blp)
    @blp.response(204, description="Deleted.")
    @_auth_errors
    @blp.alt_response(404, schema=ProblemSchema, description="No such rule.")
    @operation(blp, "Delete a redirect rule")
    def delete(self, rule_id: int) -> Any:
        """Remove the rule: the old URL is a 404 from now on (role `admin`)."""
        require_role("admin")
        with db.transaction():
            delete_redirect(rule_id)
        return Response(status=204, headers=NO_STORE)
