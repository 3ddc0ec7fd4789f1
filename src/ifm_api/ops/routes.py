"""Liveness and readiness probes; Prometheus metrics."""

from __future__ import annotations

import hmac
from typing import Any

from flask import Response, current_app, request
from flask.views import MethodView
from marshmallow import Schema, fields
from prometheus_client import CONTENT_TYPE_LATEST

from ifm_api.core import db
from ifm_api.core.auth import INVALID_TOKEN_CHALLENGE
from ifm_api.core.errors import ApiError, NotFound, Unauthorized
from ifm_api.core.parsing import ApiBlueprint, no_query_args
from ifm_api.core.schemas import ProblemSchema
from ifm_api.migrate import database_is_current, migration_head
from ifm_api.ops import metrics

blp = ApiBlueprint(
    "ops", __name__, description="Health probes for load balancers, and metrics for operators."
)


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


@blp.route("/metrics")
class Metrics(MethodView):
    @no_query_args(blp)
    @blp.response(
        200,
        {"type": "string"},
        content_type=CONTENT_TYPE_LATEST,
        description="Prometheus text exposition format.",
    )
    @blp.alt_response(
        401, schema=ProblemSchema, description="No or a wrong `Authorization: Bearer` token."
    )
    @blp.alt_response(404, schema=ProblemSchema, description="Metrics are off (no token set).")
    @blp.doc(
        operationId="getMetrics",
        summary="Prometheus metrics (bearer: IFM_METRICS_TOKEN)",
        security=[{"bearerAuth": []}],
    )
    def get(self) -> Any:
        """Request counts and latency per route and status, database pool, build info.

        Off (404) unless `IFM_METRICS_TOKEN` is set; then it asks for that token as
        `Authorization: Bearer …` (not an API token)."""
        expected = current_app.config["IFM"].metrics_token
        if not expected:
            raise NotFound("not_found")
        scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not presented.strip():
            raise Unauthorized("token_missing")
        if not hmac.compare_digest(presented.strip().encode(), expected.encode()):
            raise Unauthorized("token_invalid", headers=INVALID_TOKEN_CHALLENGE)
        body = metrics.scrape(db.pools(), migration_head())
        return Response(body, mimetype=None, content_type=CONTENT_TYPE_LATEST)
