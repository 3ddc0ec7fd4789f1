"""The OpenAPI document says what the API really sends: every error is a problem document.

flask-smorest documents error responses (its default ones, those of ``@blp.arguments`` and
``alt_response``) as ``application/json`` with its own error schema. Here the Api documents
them with ``ProblemSchema`` under ``application/problem+json``, the type the error handlers
send (``core.errors``).
"""

from __future__ import annotations

from typing import Any

from apispec import BasePlugin
from flask_smorest import Api

from ifm_api.core.errors import PROBLEM_JSON
from ifm_api.core.schemas import ProblemSchema

JSON = "application/json"


def _is_error(status: Any) -> bool:
    return str(status) == "default" or str(status)[:1] in ("4", "5")


def _as_problem(response: Any) -> None:
    """Move a response's JSON content to the problem media type (refs are left alone)."""
    if not isinstance(response, dict):
        return
    content = response.get("content")
    if isinstance(content, dict) and JSON in content:
        content[PROBLEM_JSON] = content.pop(JSON)


class ProblemDocumentsPlugin(BasePlugin):
    """apispec plugin: error responses carry ``application/problem+json``."""

    def operation_helper(
        self, path: str | None = None, operations: dict[str, Any] | None = None, **_: Any
    ) -> None:
        for operation in (operations or {}).values():
            for status, response in operation.get("responses", {}).items():
                if _is_error(status):
                    _as_problem(response)

    def response_helper(self, response: dict[str, Any], **_: Any) -> dict[str, Any]:
        _as_problem(response)
        return response


class ProblemApi(Api):
    """flask-smorest's Api with errors documented as RFC 9457 problem documents."""

    ERROR_SCHEMA = ProblemSchema

    def __init__(self, app: Any = None, **kwargs: Any) -> None:
        spec_kwargs = dict(kwargs.pop("spec_kwargs", None) or {})
        spec_kwargs["extra_plugins"] = [
            *spec_kwargs.get("extra_plugins", ()),
            ProblemDocumentsPlugin(),
        ]
        super().__init__(app, spec_kwargs=spec_kwargs, **kwargs)
