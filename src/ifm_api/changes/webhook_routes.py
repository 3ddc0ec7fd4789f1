"""Webhook management for admins: CRUD, secret rotation, the delivery log, redelivery."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import orjson
from flask import Response, url_for
from flask.views import MethodView

from ifm_api.changes import webhooks
from ifm_api.changes.webhook_models import Webhook, WebhookDelivery
from ifm_api.changes.webhook_schemas import (
    DeliveryArgs,
    DeliveryListSchema,
    DeliverySchema,
    RotateSchema,
    SecretSchema,
    WebhookCreatedSchema,
    WebhookListSchema,
    WebhookPatchSchema,
    WebhookSchema,
    WebhookWriteSchema,
)
from ifm_api.core import db
from ifm_api.core.admin_views import NO_STORE, admins_only, auth_errors
from ifm_api.core.auth import require_role
from ifm_api.core.editor_views import operation
from ifm_api.core.parsing import ApiBlueprint, no_query_args
from ifm_api.core.schemas import ProblemSchema

blp = ApiBlueprint(
    "webhooks",
    __name__,
    url_prefix="/api/v1/webhooks",
    description="Webhooks (role `admin`): signed POSTs (Standard Webhooks: `webhook-id`, "
    "`webhook-timestamp`, `webhook-signature`) for `item.published`, `item.updated`, "
    "`item.unpublished` and `item.deleted`, sent after commit and retried for about 24 hours "
    "(1 min, 5 min, 30 min, 2 h, 6 h, 12 h, with jitter) until a 2xx; a 410 switches the "
    "webhook off.",
)

admins_only(blp)
_auth_errors = auth_errors(blp)


def _not_found(func: Any) -> Any:
    return blp.alt_response(404, schema=ProblemSchema, description="No such webhook.")(func)


def _shown(hook: Webhook) -> dict[str, Any]:
    return {name: getattr(hook, name) for name in WebhookSchema().fields}


def _delivery(row: WebhookDelivery) -> dict[str, Any]:
    shown = {name: getattr(row, name) for name in DeliverySchema().fields if name != "payload"}
    return shown | {"payload": orjson.loads(row.payload)}


@blp.route("")
class WebhookCollection(MethodView):
    @no_query_args(blp)
    @blp.response(200, WebhookListSchema)
    @_auth_errors
    @operation(blp, "List webhooks", operationId="listWebhooks")
    def get(self) -> Any:
        """Every webhook, oldest first (never a secret)."""
        return {"items": [_shown(h) for h in webhooks.list_webhooks()]}, NO_STORE

    @no_query_args(blp)
    @blp.arguments(WebhookWriteSchema)
    @blp.response(201, WebhookCreatedSchema, headers={"Location": {"schema": {"type": "string"}}})
    @_auth_errors
    @blp.alt_response(422, schema=ProblemSchema, description="Invalid body or refused URL.")
    @operation(blp, "Create a webhook", operationId="createWebhook")
    def post(self, data: dict[str, Any]) -> Any:
        """Create a webhook. The response carries its signing `secret`: the only time it is
        shown."""
        admin = require_role("admin")
        with db.transaction():
            hook, secret = webhooks.create_webhook(data, author=admin.name)
        location = url_for("webhooks.WebhookItem", webhook_id=hook.id, _external=True)
        return _shown(hook) | {"secret": secret}, {"Location": location, **NO_STORE}


@blp.route("/<int:webhook_id>")
class WebhookItem(MethodView):
    @no_query_args(blp)
    @blp.response(200, WebhookSchema)
    @_auth_errors
    @_not_found
    @operation(blp, "Read a webhook", operationId="getWebhook")
    def get(self, webhook_id: int) -> Any:
        """One webhook (never its secret)."""
        return _shown(webhooks.get_webhook(webhook_id)), NO_STORE

    @no_query_args(blp)
    @blp.arguments(WebhookPatchSchema)
    @blp.response(200, WebhookSchema)
    @_auth_errors
    @_not_found
    @blp.alt_response(422, schema=ProblemSchema, description="Invalid body or refused URL.")
    @operation(blp, "Change a webhook", operationId="updateWebhook")
    def patch(self, data: dict[str, Any], webhook_id: int) -> Any:
        """Change only the fields named; `active: true` switches a disabled one on again."""
        with db.transaction():
            hook = webhooks.update_webhook(webhooks.get_webhook(webhook_id), data)
        return _shown(hook), NO_STORE

    @no_query_args(blp)
    @blp.response(204, description="Deleted, with its delivery log.")
    @_auth_errors
    @_not_found
    @operation(blp, "Delete a webhook", operationId="deleteWebhook")
    def delete(self, webhook_id: int) -> Any:
        """Delete the webhook; deliveries not yet sent are dropped."""
        with db.transaction():
            webhooks.delete_webhook(webhooks.get_webhook(webhook_id))
        return Response(status=204, headers=NO_STORE)


@blp.route("/<int:webhook_id>/rotate-secret")
class RotateSecret(MethodView):
    @no_query_args(blp)
    @blp.arguments(RotateSchema)
    @blp.response(200, SecretSchema)
    @_auth_errors
    @_not_found
    @operation(blp, "Rotate a webhook's secret", operationId="rotateWebhookSecret")
    def post(self, data: dict[str, Any], webhook_id: int) -> Any:
        """A new signing secret, shown only now. Until `previous_secret_until` deliveries
        carry a signature with each secret, so the receiver can switch at its pace."""
        grace = timedelta(seconds=data["grace_seconds"])
        with db.transaction():
            hook = webhooks.get_webhook(webhook_id)
            secret = webhooks.rotate_secret(hook, grace)
        return {"secret": secret, "previous_secret_until": hook.previous_secret_until}, NO_STORE


@blp.route("/<int:webhook_id>/deliveries")
class Deliveries(MethodView):
    @blp.arguments(DeliveryArgs, location="query", error_status_code=400)
    @blp.response(200, DeliveryListSchema)
    @_auth_errors
    @_not_found
    @operation(blp, "List a webhook's deliveries", operationId="listWebhookDeliveries")
    def get(self, args: dict[str, Any], webhook_id: int) -> Any:
        """The delivery log, newest first: status, attempts, last response code and
        duration, next try."""
        hook = webhooks.get_webhook(webhook_id)
        rows = webhooks.list_deliveries(hook, status=args.get("status"), limit=args["limit"])
        return {"items": [_delivery(row) for row in rows]}, NO_STORE


@blp.route("/<int:webhook_id>/deliveries/<int:delivery_id>/redeliver")
class Redeliver(MethodView):
    @no_query_args(blp)
    @blp.response(202, DeliverySchema)
    @_auth_errors
    @blp.alt_response(404, schema=ProblemSchema, description="No such webhook or delivery.")
    @operation(blp, "Send a delivery again", operationId="redeliverWebhookDelivery")
    def post(self, webhook_id: int, delivery_id: int) -> Any:
        """Send it again (same `webhook-id`) as soon as a worker is free."""
        with db.transaction():
            hook = webhooks.get_webhook(webhook_id)
            row = webhooks.redeliver(webhooks.get_delivery(hook, delivery_id))
        return _delivery(row), NO_STORE
