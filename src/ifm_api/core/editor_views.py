"""The editors' endpoints of every content type: create, change, delete, publish, revisions.

Written once; ``content_blueprint`` adds them to each resource's blueprint. Every write needs
an ``editor`` token, checked before anything else (so a request without one is a 401, never a
422 or 428), runs in one transaction (a failed write leaves no trace) and answers with the
editing representation and its ``ETag`` — the one ``If-Match`` expects next.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from flask import Response, request
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy.exc import IntegrityError

from ifm_api.core.auth import Principal, require_role
from ifm_api.core.cache import bump_version
from ifm_api.core.content import ResourceSpec
from ifm_api.core.db import transaction
from ifm_api.core.editing import (
    create_item,
    delete_item,
    edit_etag_data,
    editing_representation,
    get_entity,
    get_revision,
    list_revisions,
    publish_item,
    restore_revision,
    unpublish_item,
    update_item,
)
from ifm_api.core.errors import Conflict, PreconditionFailed, UnsupportedMediaType
from ifm_api.core.http import check_if_match_syntax, json_response
from ifm_api.core.models import ContentEntity, Revision
from ifm_api.core.parsing import no_query_args
from ifm_api.core.schemas import (
    DeleteArgs,
    EditSchemaBase,
    NoQueryArgs,
    ProblemSchema,
    PublishArgs,
    RevisionListSchema,
    UnpublishArgs,
    patch_schema,
    revision_schema,
)

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
BEARER_AUTH = [{"bearerAuth": []}]
PROBLEMS = {
    400: "The body is not valid JSON, or `If-Match` is not a list of ETags (a missing one "
    "is a 428).",
    401: "No bearer token, or an unknown, expired or revoked one (`WWW-Authenticate: Bearer`).",
    403: "The token's role may not do this.",
    404: "No such item (or it was deleted).",
    409: "A given slug is taken, a scheduled publish would hide a public language, or a "
    "concurrent write got there first.",
    412: "`If-Match` does not match the current ETag: the item was changed since it was "
    "read. Nothing was written.",
    415: "The body is not `application/json`.",
    422: "Invalid fields; `errors` maps field paths (e.g. `translations.en.title`) to messages.",
    428: "`If-Match` is missing. Nothing was written.",
}
# A manual `parameters` list replaces the generated one: repeat the `lang` of NoQueryArgs.
MESSAGE_LANG = {
    "name": "lang",
    "in": "query",
    "required": False,
    "schema": {"type": "string"},
    "description": NoQueryArgs._declared_fields["lang"].metadata["description"],
}
OPTIONAL_IF_MATCH = {
    "name": "If-Match",
    "in": "header",
    "required": False,
    "schema": {"type": "string"},
    "description": "Optional: the item's current ETag; when given and stale, the answer is 412 "
    "and nothing is written.",
}


def operation(blp: Blueprint, summary: str, **doc: Any) -> Callable[[Any], Any]:
    """Document a view: a summary naming the resource, the whole docstring as description
    (flask-smorest would drop its first line once a summary is given), bearer auth."""

    def decorate(view: Any) -> Any:
        description = inspect.cleandoc(view.__doc__ or "")
        return blp.doc(summary=summary, description=description, security=BEARER_AUTH, **doc)(view)

    return decorate


def problems(blp: Blueprint, *codes: int) -> Callable[[Any], Any]:
    """Document these problem responses on a view."""

    def decorate(view: Any) -> Any:
        for code in reversed(codes):
            view = blp.alt_response(code, schema=ProblemSchema, description=PROBLEMS[code])(view)
        return view

    return decorate


@contextmanager
def write_transaction() -> Iterator[None]:
    """One transaction per content write, and content writes one after another.

    The first statement takes the row lock of the content version (which every write bumps
    anyway), so on PostgreSQL two writes cannot interleave: a slug checked as free stays free
    until the insert, and an item's version is read after the previous write committed.
    SQLite has a single writer anyway. Should a unique constraint still fail, that is a 409,
    never a 500.
    """
    try:
        with transaction():
            bump_version()
            yield
    except IntegrityError as exc:
        raise Conflict("conflict") from exc


def editor() -> Principal:
    return require_role("editor")


def check_optional_if_match(blp: Blueprint, entity: ContentEntity) -> None:
    """``If-Match`` on a POST (publish, unpublish, restore) is optional but binding."""
    if request.if_match and blp._generate_etag(edit_etag_data(entity)) not in request.if_match:
        raise PreconditionFailed()


def edited(
    blp: Blueprint,
    entity: ContentEntity,
    body: dict[str, Any],
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """A write's answer: the editing representation with the edit ETag, never cached."""
    return json_response(
        blp, body, status=status, public=False, etag_data=edit_etag_data(entity), headers=headers
    )


def revision_summary(revision: Revision) -> dict[str, Any]:
    return {
        "number": revision.number,
        "action": revision.action,
        "created_at": revision.created_at,
        "created_by": revision.created_by,
    }


def _writers_only() -> None:
    """Before a write reads anything: an editor token, a JSON body if there is one, and a
    well-formed If-Match if there is one."""
    if request.method not in WRITE_METHODS or request.routing_exception is not None:
        return
    editor()
    has_body = bool(request.content_length) or "Transfer-Encoding" in request.headers
    if request.method != "DELETE" and has_body and not request.is_json:
        raise UnsupportedMediaType(detail_args={"content_type": request.mimetype or "-"})
    check_if_match_syntax()


def add_editor_endpoints(
    blp: Blueprint, spec: ResourceSpec, *, edit_schema: type[EditSchemaBase], noun: str
) -> None:
    """Create, change, delete, publish, unpublish and the revisions of one content type."""
    blp.before_request(_writers_only)
    patch_body = patch_schema(edit_schema)
    base = edit_schema.__name__.removesuffix("EditSchema")
    revision = revision_schema(f"{base}RevisionSchema", edit_schema)

    def location(entity: ContentEntity) -> str:
        return f"{request.url_root.rstrip('/')}{blp.url_prefix}/{entity.id}"

    @blp.route("", endpoint="Create")
    class Create(MethodView):
        @blp.etag
        @no_query_args(blp)
        @blp.arguments(edit_schema)
        @blp.response(201, edit_schema, description="The new draft (editing representation).")
        @problems(blp, 400, 401, 403, 409, 415, 422)
        @operation(blp, f"Create one of the {noun} (a draft)")
        def post(self, data: dict[str, Any]) -> Any:
            """A new item as a draft, invisible to the public until it is published.

            The body is the `lang=all` shape: `translations` per language plus the
            untranslated and relation fields. Answers 201 with `Location` and the `ETag`
            of the editing representation. Needs an `editor` token.
            """
            principal = editor()
            with write_transaction():
                entity = create_item(spec, data, author=principal.name)
                body = editing_representation(spec, entity)
            return edited(blp, entity, body, status=201, headers={"Location": location(entity)})

    @blp.route("/<int:item_id>", endpoint="Edit")
    class Edit(MethodView):
        @blp.etag
        @no_query_args(blp)
        @blp.arguments(patch_body)
        @blp.response(200, edit_schema, description="The changed working copy.")
        @problems(blp, 400, 401, 403, 404, 409, 415, 422)
        @operation(blp, f"Change one of the {noun}")
        def patch(self, data: dict[str, Any], item_id: int) -> Any:
            """Change only the fields named, in the working copy (the public version stays
            until the next publish).

            `translations.<lang>` adds or changes one translation (`null` removes it). Needs
            `If-Match` with the ETag of the editing representation (missing: 428, stale: 412;
            nothing is written then) and an `editor` token.
            """
            principal = editor()
            with write_transaction():
                entity = get_entity(spec, item_id)
                blp.check_etag(edit_etag_data(entity))
                update_item(
                    spec, entity, data, expected_version=entity.version, author=principal.name
                )
                body = editing_representation(spec, entity)
            return edited(blp, entity, body)

        @blp.etag
        @blp.arguments(DeleteArgs, location="query", error_status_code=400)
        @blp.response(204, description="Deleted.")
        @problems(blp, 400, 401, 403, 404)
        @operation(blp, f"Delete one of the {noun}")
        def delete(self, args: dict[str, Any], item_id: int) -> Any:
            """Take the item down: it disappears from every read, public and editor.

            A soft delete keeps its revisions in the database; `hard=true` (an `admin`
            token) removes every trace, and also finds an item deleted softly before.
            Needs `If-Match` (missing: 428, stale: 412; `*` matches any version).
            """
            principal = require_role("admin") if args["hard"] else editor()
            with write_transaction():
                entity = get_entity(spec, item_id, include_deleted=args["hard"])
                blp.check_etag(edit_etag_data(entity))
                delete_item(
                    spec,
                    entity,
                    expected_version=entity.version,
                    author=principal.name,
                    hard=args["hard"],
                )
            return Response(status=204, headers={"Cache-Control": "no-store"})

    @blp.route("/<int:item_id>/publish", endpoint="Publish")
    class Publish(MethodView):
        @blp.etag
        @no_query_args(blp)
        @blp.arguments(PublishArgs, required=False)
        @blp.response(200, edit_schema, description="The item with its new publication state.")
        @problems(blp, 400, 401, 403, 404, 409, 412, 415, 422)
        @operation(
            blp,
            f"Publish one of the {noun} (all or some languages, now or later)",
            parameters=[OPTIONAL_IF_MATCH, MESSAGE_LANG],
        )
        def post(self, args: dict[str, Any], item_id: int) -> Any:
            """Copy the working copy to the public version, per language.

            `languages` (default: every translation; a public language the working copy no
            longer has is then taken down) and `publish_at` (default: now; a future time
            schedules: the languages appear on their own then, no cron job). Untranslated
            fields and relations are shared by all languages and go public with any of them.
            """
            principal = editor()
            with write_transaction():
                entity = get_entity(spec, item_id)
                check_optional_if_match(blp, entity)
                publish_item(
                    spec,
                    entity,
                    languages=args.get("languages"),
                    publish_at=args.get("publish_at"),
                    expected_version=entity.version,
                    author=principal.name,
                )
                body = editing_representation(spec, entity)
            return edited(blp, entity, body)

    @blp.route("/<int:item_id>/unpublish", endpoint="Unpublish")
    class Unpublish(MethodView):
        @blp.etag
        @no_query_args(blp)
        @blp.arguments(UnpublishArgs, required=False)
        @blp.response(200, edit_schema, description="The item with its new publication state.")
        @problems(blp, 400, 401, 403, 404, 412, 415, 422)
        @operation(
            blp,
            f"Unpublish one of the {noun} (all or some languages)",
            parameters=[OPTIONAL_IF_MATCH, MESSAGE_LANG],
        )
        def post(self, args: dict[str, Any], item_id: int) -> Any:
            """Take languages (default: all) off the public site; the working copy stays."""
            principal = editor()
            with write_transaction():
                entity = get_entity(spec, item_id)
                check_optional_if_match(blp, entity)
                unpublish_item(
                    spec,
                    entity,
                    languages=args.get("languages"),
                    expected_version=entity.version,
                    author=principal.name,
                )
                body = editing_representation(spec, entity)
            return edited(blp, entity, body)

    @blp.route("/<int:item_id>/revisions", endpoint="Revisions")
    class Revisions(MethodView):
        @blp.etag
        @no_query_args(blp)
        @blp.response(200, RevisionListSchema)
        @problems(blp, 401, 403, 404)
        @operation(blp, f"List the revisions of one of the {noun}")
        def get(self, item_id: int) -> Any:
            """Every change of the item, oldest first: number, action, who and when.

            Needs a `preview` token or higher (revisions hold unpublished text).
            """
            require_role("preview")
            entity = get_entity(spec, item_id)
            items = [revision_summary(r) for r in list_revisions(entity)]
            return json_response(blp, {"items": items}, public=False)

    @blp.route("/<int:item_id>/revisions/<int:number>", endpoint="Revision")
    class RevisionDetail(MethodView):
        @blp.etag
        @no_query_args(blp)
        @blp.response(200, revision)
        @problems(blp, 401, 403, 404)
        @operation(blp, f"Read one revision of one of the {noun}")
        def get(self, item_id: int, number: int) -> Any:
            """One revision with its snapshot: the editing representation after that change.

            Needs a `preview` token or higher.
            """
            require_role("preview")
            found = get_revision(get_entity(spec, item_id), number)
            body = {**revision_summary(found), "snapshot": found.snapshot}
            return json_response(blp, body, public=False)

    @blp.route("/<int:item_id>/revisions/<int:number>/restore", endpoint="Restore")
    class Restore(MethodView):
        @blp.etag
        @no_query_args(blp)
        @blp.response(200, edit_schema, description="The restored working copy.")
        @problems(blp, 400, 401, 403, 404, 409, 412, 422)
        @operation(
            blp,
            f"Restore a revision of one of the {noun} into its working copy",
            parameters=[OPTIONAL_IF_MATCH, MESSAGE_LANG],
        )
        def post(self, item_id: int, number: int) -> Any:
            """Make the working copy what it was at that revision.

            History is never rewritten: the restore is a new revision. The public version
            changes only with the next publish. Related items deleted since are left out.
            """
            principal = editor()
            with write_transaction():
                entity = get_entity(spec, item_id)
                check_optional_if_match(blp, entity)
                restore_revision(
                    spec,
                    entity,
                    number,
                    expected_version=entity.version,
                    author=principal.name,
                )
                body = editing_representation(spec, entity)
            return edited(blp, entity, body)
