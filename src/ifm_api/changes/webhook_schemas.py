"""Bodies and query arguments of the webhook endpoints."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from ifm_api.changes.schemas import TYPES
from ifm_api.changes.webhooks import EVENTS
from ifm_api.core.schemas import Language, QueryArgs

STATUSES = ("pending", "delivered", "failed")


class WebhookWriteSchema(Schema):
    url = fields.String(
        required=True,
        validate=validate.Length(min=1, max=2000),
        metadata={
            "description": "Where deliveries are POSTed: `https` (`http` only with "
            "`IFM_WEBHOOKS_ALLOW_HTTP=1`), a public address (or a host in "
            "`IFM_WEBHOOKS_ALLOW_HOSTS`)."
        },
    )
    description = fields.String(allow_none=True, validate=validate.Length(max=300))
    events = fields.List(
        fields.String(validate=validate.OneOf([*EVENTS, "*"])),
        validate=validate.Length(min=1),
        metadata={"description": "Event types wanted, or `*` (default) for all."},
    )
    types = fields.List(
        fields.String(validate=validate.OneOf([*TYPES, "*"])),
        validate=validate.Length(min=1),
        metadata={"description": "Item types wanted, or `*` (default) for all."},
    )
    languages = fields.List(
        Language(),
        allow_none=True,
        validate=validate.Length(min=1),
        metadata={"description": "Only events of these read languages; null: every one."},
    )
    active = fields.Boolean(metadata={"description": "Deliver (default) or pause."})


class WebhookPatchSchema(WebhookWriteSchema):
    url = fields.String(validate=validate.Length(min=1, max=2000))


class WebhookSchema(Schema):
    id = fields.Integer(required=True)
    url = fields.String(required=True)
    description = fields.String(allow_none=True)
    events = fields.List(fields.String(), required=True)
    types = fields.List(fields.String(), required=True)
    languages = fields.List(fields.String(), allow_none=True)
    active = fields.Boolean(required=True)
    disabled_reason = fields.String(
        allow_none=True, metadata={"description": "Why it was switched off (e.g. a 410)."}
    )
    previous_secret_until = fields.DateTime(
        allow_none=True,
        metadata={"description": "Until when the previous secret also signs (rotation)."},
    )
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)


class WebhookCreatedSchema(WebhookSchema):
    secret = fields.String(
        required=True,
        metadata={
            "description": "The signing secret (`whsec_…`, Standard Webhooks). Shown only "
            "now; rotate it to get a new one."
        },
    )


class WebhookListSchema(Schema):
    items = fields.List(fields.Nested(WebhookSchema), required=True)


class RotateSchema(Schema):
    grace_seconds = fields.Integer(
        load_default=86400,
        validate=validate.Range(min=0, max=7 * 86400),
        metadata={"description": "How long the old secret signs too (default 24 h; 0: none)."},
    )


class SecretSchema(Schema):
    secret = fields.String(required=True, metadata={"description": "Shown only now."})
    previous_secret_until = fields.DateTime(allow_none=True)


class DeliveryArgs(QueryArgs):
    status = fields.String(validate=validate.OneOf(STATUSES))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))


class DeliverySchema(Schema):
    id = fields.Integer(required=True)
    event_id = fields.String(required=True, metadata={"description": "The `webhook-id`."})
    event_type = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    attempts = fields.Integer(required=True)
    last_status_code = fields.Integer(
        allow_none=True, metadata={"description": "The receiver's last HTTP status."}
    )
    last_error = fields.String(allow_none=True)
    last_duration_ms = fields.Integer(allow_none=True)
    last_attempt_at = fields.DateTime(allow_none=True)
    next_attempt_at = fields.DateTime(
        allow_none=True, metadata={"description": "The next try (pending only)."}
    )
    delivered_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime(required=True)
    payload = fields.Dict(required=True, metadata={"description": "The body sent."})


class DeliveryListSchema(Schema):
    items = fields.List(fields.Nested(DeliverySchema), required=True)
