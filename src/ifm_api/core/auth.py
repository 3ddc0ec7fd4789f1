"""Bearer tokens and roles: preview < editor < admin. Tokens are stored only as hashes."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import g, request
from sqlalchemy import String, select
from sqlalchemy.orm import Mapped, mapped_column

from ifm_api.core import db
from ifm_api.core.db import Base, utcnow
from ifm_api.core.errors import Conflict, Forbidden, NotFound, Unauthorized

ROLES = ("preview", "editor", "admin")
TOKEN_PREFIX = "ifm_"
# Names appear in URLs (/api/v1/tokens/{name}) and in revisions ("who").
TOKEN_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._@-]*$"
TOKEN_NAME_MAX = 100
# RFC 6750 section 3: a presented but unusable token is reported as ``invalid_token``.
INVALID_TOKEN_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="ifm-api", error="invalid_token"'}


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(TOKEN_NAME_MAX), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(100))
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    @property
    def active(self) -> bool:
        return self.state == "active"

    @property
    def state(self) -> str:
        """``active``, ``expired`` or ``revoked`` (revoked wins over expired)."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= utcnow():
            return "expired"
        return "active"


@dataclass(frozen=True)
class Principal:
    """Who makes the request (the token's name) and with which role."""

    name: str
    role: str

    def has_role(self, needed: str) -> bool:
        return ROLES.index(self.role) >= ROLES.index(needed)


def token_name_problem(name: str) -> str | None:
    """Why ``name`` cannot name a token, or None when it can."""
    if not 1 <= len(name) <= TOKEN_NAME_MAX:
        return f"must be 1 to {TOKEN_NAME_MAX} characters long"
    if not re.fullmatch(TOKEN_NAME_PATTERN, name):
        return "use letters, digits and . _ @ - (starting with a letter or digit)"
    return None


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(
    name: str, role: str, *, expires_in_days: int | None = None, created_by: str | None = None
) -> tuple[ApiToken, str]:
    """Add a token to the session; the plain token is returned once and never stored."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if problem := token_name_problem(name):
        raise ValueError(f"token name {name!r}: {problem}")
    session = db.session()
    if session.scalar(select(ApiToken.id).where(ApiToken.name == name)) is not None:
        raise Conflict("token_name_taken", detail_args={"name": name})
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires = utcnow() + timedelta(days=expires_in_days) if expires_in_days else None
    token = ApiToken(
        name=name,
        role=role,
        token_hash=hash_token(plain),
        expires_at=expires,
        created_by=created_by,
    )
    session.add(token)
    session.flush()
    return token, plain


def list_tokens() -> list[ApiToken]:
    return list(db.session().scalars(select(ApiToken).order_by(ApiToken.id)))


def get_token(name: str) -> ApiToken:
    """The token called ``name`` (404 when there is none)."""
    token = db.session().scalar(select(ApiToken).where(ApiToken.name == name))
    if token is None:
        raise NotFound("token_not_found", detail_args={"name": name})
    return token


def revoke_token(name: str) -> ApiToken:
    """Revoke by name; revoking twice keeps the first revocation time."""
    token = get_token(name)
    if token.revoked_at is None:
        token.revoked_at = utcnow()
    return token


def current_principal() -> Principal | None:
    """The request's principal from ``Authorization: Bearer``; 401 for a bad token."""
    if "ifm_principal" in g:
        return g.ifm_principal
    header = request.headers.get("Authorization", "")
    if not header:
        g.ifm_principal = None
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        # Another scheme or no value is no bearer token at all (RFC 6750: no error code).
        raise Unauthorized("token_missing")
    token = db.session().scalar(
        select(ApiToken).where(ApiToken.token_hash == hash_token(value.strip()))
    )
    if token is None or not token.active:
        raise Unauthorized("token_invalid", headers=INVALID_TOKEN_CHALLENGE)
    g.ifm_principal = Principal(token.name, token.role)
    return g.ifm_principal


def require_role(role: str) -> Principal:
    """The principal if it has at least ``role``: 401 without a token, 403 with too small."""
    principal = current_principal()
    if principal is None:
        raise Unauthorized("token_missing")
    if not principal.has_role(role):
        raise Forbidden("forbidden_role", detail_args={"role": principal.role, "needed": role})
    return principal
