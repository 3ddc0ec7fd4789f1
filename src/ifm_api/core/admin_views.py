"""What the admin-only endpoints share (tokens, webhooks, redirect rules): the token checked
before any body is read, the 401 and 403 they document, and ``Cache-Control: no-store``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import request

from ifm_api.core.auth import require_role
from ifm_api.core.parsing import ApiBlueprint
from ifm_api.core.schemas import ProblemSchema

NO_STORE = {"Cache-Control": "no-store"}

F = TypeVar("F", bound=Callable[..., Any])


def admins_only(blp: ApiBlueprint, applies: Callable[[], bool] | None = None) -> None:
    """Require an admin token on the blueprint's requests (where ``applies``) before the body
    is read: a 401 or 403 comes before any 422."""

    @blp.before_request
    def _admins_only() -> None:
        if request.method != "OPTIONS" and (applies is None or applies()):
            require_role("admin")


def auth_errors(blp: ApiBlueprint) -> Callable[[F], F]:
    """A decorator documenting the 401 and 403 every admin endpoint can answer."""

    def decorate(func: F) -> F:
        func = blp.alt_response(
            401, schema=ProblemSchema, description="Missing, unknown, expired or revoked token."
        )(func)
        return blp.alt_response(403, schema=ProblemSchema, description="The token is not admin.")(
            func
        )

    return decorate
