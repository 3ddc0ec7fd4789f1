"""Token management for admins: list, create (the value is shown once), read, revoke."""

from __future__ import annotations

from typing import Any

from flask import Response, url_for
from flask.views import MethodView

from ifm_api.core import db
from ifm_api.core.admin_views import NO_STORE, admins_only, auth_errors
from ifm_api.core.auth import create_token, get_token, list_tokens, require_role, revoke_token
from ifm_api.core.editor_views import operation
from ifm_api.core.parsing import ApiBlueprint, no_query_args
from ifm_api.core.schemas import ProblemSchema
from ifm_api.tokens.schemas import (
    TokenCreatedSchema,
    TokenCreateSchema,
    TokenListSchema,
    TokenSchema,
)

blp = ApiBlueprint(
    "tokens",
    __name__,
    url_prefix="/api/v1/tokens",
    description="API tokens (role `admin`). A token's value is shown once, on creation; "
    "only its hash is stored.",
)

admins_only(blp)
_auth_errors = auth_errors(blp)


@blp.route("")
class TokenCollection(MethodView):
    @no_query_args(blp)
    @blp.response(200, TokenListSchema)
    @_auth_errors
    @operation(blp, "List tokens")
    def get(self) -> Any:
        """Every token with its role and state, oldest first; never a value or hash."""
        require_role("admin")
        return {"items": list_tokens()}, NO_STORE

    @no_query_args(blp)
    @blp.arguments(TokenCreateSchema)
    @blp.response(201, TokenCreatedSchema, headers={"Location": {"schema": {"type": "string"}}})
    @_auth_errors
    @blp.alt_response(409, schema=ProblemSchema, description="A token with this name exists.")
    @blp.alt_response(422, schema=ProblemSchema, description="Invalid body.")
    @operation(blp, "Create a token")
    def post(self, data: dict[str, Any]) -> Any:
        """Create a token. The response carries its value in `token`: the only time it is shown."""
        admin = require_role("admin")
        with db.transaction():
            token, plain = create_token(
                data["name"],
                data["role"],
                expires_in_days=data.get("expires_in_days"),
                created_by=admin.name,
            )
        body = {field: getattr(token, field) for field in TokenSchema().fields} | {"token": plain}
        location = url_for("tokens.TokenItem", name=token.name, _external=True)
        return body, {"Location": location, **NO_STORE}


@blp.route("/<string:name>")
class TokenItem(MethodView):
    @no_query_args(blp)
    @blp.response(200, TokenSchema)
    @_auth_errors
    @blp.alt_response(404, schema=ProblemSchema, description="No token with this name.")
    @operation(blp, "Read a token")
    def get(self, name: str) -> Any:
        """One token's name, role and state (never its value)."""
        require_role("admin")
        return get_token(name), NO_STORE

    @no_query_args(blp)
    @blp.response(204, description="Revoked (also when it was revoked before).")
    @_auth_errors
    @blp.alt_response(404, schema=ProblemSchema, description="No token with this name.")
    @operation(blp, "Revoke a token", operationId="revokeToken")
    def delete(self, name: str) -> Any:
        """Revoke the token: it stops working at once. The record stays, listed as `revoked`."""
        require_role("admin")
        with db.transaction():
            revoke_token(name)
        return Response(status=204, headers=NO_STORE)
