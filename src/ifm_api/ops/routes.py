"""Liveness and readiness probes."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields

from ifm_api.core.errors import ApiError
from ifm_api.core.parsing import ApiBlueprint, no_query_args
from ifm_api.migrate import database_is_current

blp = ApiBlueprint("ops", __name__, description="Health probes for load balancers and operators.")


class HealthSchema(Schema):
    status = fields.String(required=True)


class NotReady(ApiError):
    status, default_key = 503, "not_ready"


@blp.route("/healthz")
class Health(MethodView):
    @no_query_args(blp)
    @blp.response(200, HealthSchema)
    @blp.doc(operationId="getHealth", summary="Liveness: the process answers")
    def get(self) -> Any:
        """Always `ok` while the process runs."""
        return {"status": "ok"}


@blp.route("/readyz")
class Ready(MethodView):
    @no_query_args(blp)
    @blp.response(200, HealthSchema)
    @blp.alt_response(503, description="Database unreachable or not migrated.")
    @blp.doc(
        operationId="getReadiness", summary="Readiness: database reachable and migrations current"
    )
    def get(self) -> Any:
        """`ok` when the database answers and is at the newest migration."""
        if not database_is_current():
            raise NotReady()
        return {"status": "ok"}
