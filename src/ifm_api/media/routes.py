"""HTTP endpoints of files: upload checked by content; stable URLs with ETag, ranges and the
right Content-Type."""

from __future__ import annotations

import inspect
from typing import Any

from flask import Response, request, send_file
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE
from webargs.flaskparser import FlaskParser
from werkzeug.datastructures import CombinedMultiDict, FileStorage
from werkzeug.exceptions import RequestedRangeNotSatisfiable

from ifm_api.core import db
from ifm_api.core.auth import current_principal, require_role
from ifm_api.core.content import media_is_public
from ifm_api.core.db import utcnow
from ifm_api.core.editor_views import operation
from ifm_api.core.errors import ApiError, NotFound, UnsupportedMediaType
from ifm_api.core.http import json_response
from ifm_api.core.media import (
    EXTENSIONS,
    find_media,
    media_path,
    media_url,
    sniff,
    store_file,
)
from ifm_api.core.models import Media
from ifm_api.core.schemas import ProblemSchema
from ifm_api.core.storage import StorageError, StorageFull
from ifm_api.media.schemas import MediaSchema, UploadSchema

API_PREFIX = "/api/v1"
# A file never changes under its id, so caches may keep it for a day without asking.
FILE_CACHE_CONTROL = "public, max-age=86400"
SNIFF_BYTES = 16
ACCEPTED_NAMES = ("PDF", "JPEG", "PNG", "WebP")


class RangeNotSatisfiable(ApiError):
    status, default_key = 416, "range_not_satisfiable"


class InsufficientStorage(ApiError):
    status, default_key = 507, "storage_full"


class StorageFailed(ApiError):
    status, default_key = 503, "storage_failed"


class MultipartParser(FlaskParser):
    """Reads the ``files`` location as file parts and form fields together, so one schema
    describes (and the OpenAPI document shows) the whole ``multipart/form-data`` body."""

    def load_files(self, req: Any, schema: Any) -> Any:
        return self._makeproxy(CombinedMultiDict([req.files, req.form]), schema)


class MediaBlueprint(Blueprint):
    ARGUMENTS_PARSER = MultipartParser()


blp = MediaBlueprint(
    "media",
    __name__,
    url_prefix=f"{API_PREFIX}/media",
    description="Files: upload (role `editor`; PDF, JPEG, PNG, WebP, recognised by content) "
    "and download under stable URLs with ETag and byte ranges.",
)


@blp.before_request
def _editors_upload() -> None:
    """Check the token before the body is read: 401/403 come before 413/415/422."""
    if request.method == "POST":
        require_role("editor")


# Files are public while a published item uses them; any token (preview and up) gets all.
OPTIONAL_TOKEN: list[dict[str, list[str]]] = [{}, {"bearerAuth": []}]


def public_operation(summary: str, **doc: Any) -> Any:
    """Document a public view: the summary, and the whole docstring as description."""

    def decorate(view: Any) -> Any:
        description = inspect.cleandoc(view.__doc__ or "")
        return blp.doc(summary=summary, description=description, security=OPTIONAL_TOKEN, **doc)(
            view
        )

    return decorate


def _api_root() -> str:
    return request.url_root.rstrip("/") + API_PREFIX


def media_info(media: Media) -> dict[str, Any]:
    return {
        "id": media.id,
        "filename": media.filename,
        "content_type": media.content_type,
        "size": media.size,
        "sha256": media.sha256,
        "url": media_url(_api_root(), media),
        "created_at": media.created_at,
    }


def _get_media(media_id: int) -> Media:
    """The file, if this reader may have it: the public only gets files that a published,
    visible item uses; a token (preview and up) gets any file (drafts need their files)."""
    media = find_media(media_id)
    if media is None or not media_path(media).exists() or not _may_read(media_id):
        raise NotFound("media_not_found", detail_args={"id": media_id})
    return media


def _may_read(media_id: int) -> bool:
    if media_is_public(media_id, utcnow()):
        return True
    principal = current_principal()
    return principal is not None and principal.has_role("preview")


def _range_environ() -> dict[str, Any]:
    """The request's environ, without a Range header this server chooses to ignore.

    RFC 9110 lets a server ignore Range; werkzeug would answer 416 for a header it cannot
    parse, an unknown unit or several ranges. Those get the whole file (200) instead; only a
    well-formed single byte range outside the file is a 416.
    """
    environ = request.environ
    byte_range = request.range
    if "HTTP_RANGE" in environ and (
        byte_range is None or byte_range.units != "bytes" or len(byte_range.ranges) != 1
    ):
        environ = {key: value for key, value in environ.items() if key != "HTTP_RANGE"}
    return environ


def _send(media_id: int) -> Response:
    media = _get_media(media_id)
    response = send_file(
        media_path(media),
        mimetype=media.content_type,
        download_name=media.filename,
        as_attachment=False,
        conditional=False,
        etag=media.sha256,
        last_modified=media.created_at,
        max_age=86400,
    )
    try:
        response = response.make_conditional(
            _range_environ(), accept_ranges=True, complete_length=media.size
        )
    except RequestedRangeNotSatisfiable as exc:
        response.close()
        raise RangeNotSatisfiable(headers={"Content-Range": f"bytes */{media.size}"}) from exc
    response.headers["Cache-Control"] = FILE_CACHE_CONTROL
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


DOWNLOAD_HEADERS = {
    "ETag": {"schema": {"type": "string"}},
    "Last-Modified": {"schema": {"type": "string"}},
    "Accept-Ranges": {"schema": {"type": "string", "enum": ["bytes"]}},
    "Cache-Control": {"schema": {"type": "string"}},
}
BINARY = {"schema": {"type": "string", "format": "binary"}}
DOWNLOAD_RESPONSES = {
    "200": {
        "description": "The file's bytes with its real Content-Type.",
        "headers": DOWNLOAD_HEADERS,
        "content": {content_type: BINARY for content_type in EXTENSIONS},
    },
    "206": {
        "description": "The requested byte range (`Range: bytes=…`, one range; other Range "
        "headers are ignored and get the whole file).",
        "headers": {"Content-Range": {"schema": {"type": "string"}}, **DOWNLOAD_HEADERS},
        "content": {content_type: BINARY for content_type in EXTENSIONS},
    },
}


def _download_doc(func: Any) -> Any:
    """The responses both download URLs share."""
    for status, description, extra in (
        (304, "Not modified (If-None-Match matched the ETag).", {}),
        (404, "No such file.", {"schema": ProblemSchema}),
        (416, "The byte range lies outside the file.", {"schema": ProblemSchema}),
    ):
        func = blp.alt_response(status, description=description, **extra)(func)
    return blp.doc(responses=DOWNLOAD_RESPONSES)(func)


@blp.route("")
class MediaCollection(MethodView):
    @blp.arguments(UploadSchema, location="files", unknown=RAISE)
    @blp.response(201, MediaSchema, headers={"Location": {"schema": {"type": "string"}}})
    @blp.alt_response(401, schema=ProblemSchema, description="Missing or invalid token.")
    @blp.alt_response(403, schema=ProblemSchema, description="The token is not editor.")
    @blp.alt_response(413, schema=ProblemSchema, description="Larger than IFM_MAX_UPLOAD_MB.")
    @blp.alt_response(415, schema=ProblemSchema, description="Not a PDF, JPEG, PNG or WebP.")
    @blp.alt_response(422, schema=ProblemSchema, description="No file part, or bad fields.")
    @blp.alt_response(503, schema=ProblemSchema, description="Storing failed; nothing kept.")
    @blp.alt_response(507, schema=ProblemSchema, description="No room to store; nothing kept.")
    @operation(blp, "Upload a file", operationId="uploadMedia")
    def post(self, data: dict[str, Any]) -> Any:
        """Store a file. Its type comes from its first bytes, never from its name or the
        client's Content-Type: PDF (for reports), JPEG, PNG or WebP (for portraits). Identical
        bytes are stored once; every upload gets its own id. `Location` is the download URL."""
        principal = require_role("editor")
        upload: FileStorage = data["file"]
        content = upload.read()
        content_type = sniff(content[:SNIFF_BYTES])
        if content_type is None:
            raise UnsupportedMediaType(
                "file_type_not_accepted",
                detail_args={"accepted": ", ".join(ACCEPTED_NAMES)},
                extra={"accepted": sorted(EXTENSIONS)},
            )
        name = data.get("filename") or upload.filename or "file"
        try:
            with db.transaction():
                media = store_file(content, name, content_type, author=principal.name)
                db.session().flush()
                body = media_info(media)
        except StorageFull as exc:
            raise InsufficientStorage() from exc
        except StorageError as exc:
            raise StorageFailed() from exc
        return body, {"Location": body["url"], "Cache-Control": "no-store"}


@blp.route("/<int:media_id>")
class MediaFile(MethodView):
    @_download_doc
    @public_operation("Download a file", operationId="downloadMedia")
    def get(self, media_id: int) -> Any:
        """The file, with its real Content-Type, ETag, Last-Modified and byte ranges."""
        return _send(media_id)


@blp.route("/<int:media_id>/<string:filename>")
class NamedMediaFile(MethodView):
    @_download_doc
    @public_operation(
        "Download a file by its URL with file name", operationId="downloadMediaByFilename"
    )
    def get(self, media_id: int, filename: str) -> Any:
        """Same as without the name; the name makes URLs readable."""
        return _send(media_id)


@blp.route("/<int:media_id>/info")
class MediaInfo(MethodView):
    @blp.etag
    @blp.response(200, MediaSchema)
    @blp.alt_response(404, schema=ProblemSchema, description="No such file.")
    @public_operation("A file's metadata")
    def get(self, media_id: int) -> Any:
        """Name, detected type, size, SHA-256 and download URL of a file."""
        body = MediaSchema().dump(media_info(_get_media(media_id)))
        return json_response(blp, body)
