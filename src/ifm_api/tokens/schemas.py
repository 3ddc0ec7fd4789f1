"""Bodies of the token endpoints. The plain token appears only in the creation response."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from ifm_api.core.auth import ROLES, TOKEN_NAME_MAX, TOKEN_NAME_PATTERN

MAX_EXPIRY_DAYS = 3650


class TokenCreateSchema(Schema):
    """A new token: its unique name, its role and optionally its lifetime."""

    name = fields.String(
        required=True,
        validate=[
            validate.Length(min=1, max=TOKEN_NAME_MAX),
            validate.Regexp(TOKEN_NAME_PATTERN),
        ],
        metadata={
            "description": "Unique name; writes made with the token are recorded under it. "
            "Letters, digits and `. _ @ -`, starting with a letter or digit."
        },
    )
    role = fields.String(
        required=True,
        validate=validate.OneOf(ROLES),
        metadata={"description": "`preview` (read drafts) < `editor` (content, media) < `admin`."},
    )
    expires_in_days = fields.Integer(
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=1, max=MAX_EXPIRY_DAYS),
        metadata={"description": "Days until the token expires; omitted or null: never."},
    )


class TokenSchema(Schema):
    """A token as admins see it: never its value or hash."""

    name = fields.String(required=True)
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    state = fields.String(
        required=True,
        validate=validate.OneOf(["active", "expired", "revoked"]),
        metadata={"description": "`active`, `expired` or `revoked`."},
    )
    created_at = fields.DateTime(required=True)
    created_by = fields.String(
        allow_none=True,
        metadata={"description": "Name of the admin token that created it; null from the CLI."},
    )
    expires_at = fields.DateTime(allow_none=True)
    revoked_at = fields.DateTime(allow_none=True)


class TokenCreatedSchema(TokenSchema):
    """The new token, with its plain value: shown this once, stored only as a hash."""

    token = fields.String(
        required=True,
        metadata={"description": "The bearer token. It cannot be shown again; store it now."},
    )


class TokenListSchema(Schema):
    items = fields.List(fields.Nested(TokenSchema), required=True)
