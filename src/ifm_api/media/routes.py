"""HTTP endpoints of files: upload checked by content; stable URLs with ETag, ranges and the
right Content-Type."""

from __future__ import annotations

import inspect
import math
from typing import Any

from flask import Response, current_app, redirect, request, send_file
from flask.views import MethodView
from marshmallow import RAISE
from sqlalchemy.orm.attributes import set_committed_value
from werkzeug.datastructures import CombinedMultiDict, FileStorage
from werkzeug.exceptions import RequestedRangeNotSatisfiable

from ifm_api.core import db
from ifm_api.core.auth import current_principal, require_role
from ifm_api.core.content import media_is_public
from ifm_api.core.db import utcnow
from ifm_api.core.editor_views import (
    MESSAGE_LANG,
    OPTIONAL_IF_MATCH,
    operation,
    write_transaction,
)
from ifm_api.core.errors import ApiError, NotFound, PreconditionFailed, UnsupportedMediaType
from ifm_api.core.http import check_if_match_syntax, json_response, pagination_links
from ifm_api.core.i18n import select_language
from ifm_api.core.media import (
    EXTENSIONS,
    claimed_type,
    find_media,
    media_path,
    media_url,
    original_key,
    sniff,
    store_file,
)
from ifm_api.core.messages import N_, translate_message
from ifm_api.core.models import Media
from ifm_api.core.parsing import ApiBlueprint, ApiParser, no_query_args
from ifm_api.core.schemas import ProblemSchema
from ifm_api.core.storage import StorageError, StorageFull, storage
from ifm_api.media.images import is_configured, parse_name, rendition_name
from ifm_api.media.schemas import (
    MediaEditSchema,
    MediaListArgs,
    MediaPageSchema,
    MediaSchema,
    UploadedSchema,
    UploadSchema,
)
from ifm_api.media.service import (
    WARNINGS,
    UploadRejected,
    delete_media,
    get_media,
    inspect_upload,
    list_media,
    media_etag_data,
    rendition_bytes,
    representation,
    update_media,
    used_by,
)

API_PREFIX = "/api/v1"
# A file never changes under its id, so caches may keep it for a day without asking.
FILE_CACHE_CONTROL = "public, max-age=86400"
RENDITION_CACHE_CONTROL = "public, max-age=31536000, immutable"
SNIFF_BYTES = 16
ACCEPTED_NAMES = ("PDF", "JPEG", "PNG", "WebP")


class RangeNotSatisfiable(ApiError):
    status, default_key = 416, "range_not_satisfiable"


class InsufficientStorage(ApiError):
    status, default_key = 507, "storage_full"


class StorageFailed(ApiError):
    status, default_key = 503, "storage_failed"


class MultipartParser(ApiParser):
    """Reads the ``files`` location as file parts and form fields together, so one schema
    describes (and the OpenAPI document shows) the whole ``multipart/form-data`` body."""

    def load_files(self, req: Any, schema: Any) -> Any:
        return self._makeproxy(CombinedMultiDict([req.files, req.form]), schema)


class MediaBlueprint(ApiBlueprint):
    ARGUMENTS_PARSER = MultipartParser()


blp = MediaBlueprint(
    "media",
    __name__,
    url_prefix=f"{API_PREFIX}/media",
    description="Files: upload (role `editor`; PDF, JPEG, PNG, WebP, recognised by content) "
    "and download under stable URLs with ETag and byte ranges.",
)


@blp.before_request
def _editors_write() -> None:
    """Check the token before the body is read: 401/403 come before 413/415/422; then a
    given If-Match must be well-formed (400)."""
    if request.method in ("POST", "PATCH", "DELETE"):
        require_role("editor")
        check_if_match_syntax()


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


def _get_media(media_id: int, *, with_texts: bool = False) -> Media:
    """The file, if this reader may have it: the public only gets files that a published,
    visible item uses; a token (preview and up) gets any file (drafts need their files)."""
    media = get_media(media_id) if with_texts else find_media(media_id)
    if media is None or not _may_read(media_id):
        raise NotFound("media_not_found", detail_args={"id": media_id})
    if not storage().exists(original_key(media.sha256)):
        raise NotFound("media_not_found", detail_args={"id": media_id})
    return media


def _editor_media(media_id: int) -> Media:
    """The file for a change (editors reach every file)."""
    media = get_media(media_id)
    if media is None:
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


def _send(media: Media) -> Response:
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
    response.headers["Cache-Control"] = _file_cache_control()
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _file_cache_control(immutable: bool = False) -> str:
    """Public files may be cached (a rendition forever: its URL names its bytes); what a
    token fetched is for that client only."""
    if request.authorization is not None:
        return "private, no-store"
    return RENDITION_CACHE_CONTROL if immutable else FILE_CACHE_CONTROL


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


MEDIA_PROBLEMS = {
    400: "The body is not valid JSON.",
    401: "No bearer token, or an unknown, expired or revoked one (`WWW-Authenticate: Bearer`).",
    403: "The token's role may not do this (it needs `editor`).",
    404: "No file with this id.",
    412: "`If-Match` does not match the file's current ETag: it was changed since it was "
    "read. Nothing was written.",
    415: "The body is not `application/json`.",
    422: "Invalid fields; `errors` maps field paths (e.g. `translations.en.alt`) to messages.",
    428: "`If-Match` is missing. Nothing was written.",
}


def media_problems(*codes: int) -> Any:
    """Document these problem responses on a view."""

    def decorate(view: Any) -> Any:
        for code in reversed(codes):
            view = blp.alt_response(code, schema=ProblemSchema, description=MEDIA_PROBLEMS[code])(
                view
            )
        return view

    return decorate


def _warning(key: str) -> dict[str, str]:
    return {"code": key, "message": translate_message(WARNINGS[key])}


def _check_extension(names: list[str], content_type: str) -> None:
    """A name whose extension says another type than the content is a 422."""
    for name in names:
        claimed = claimed_type(name)
        if claimed is not None and claimed != content_type:
            raise UploadRejected(
                "file_extension_mismatch",
                detail_args={"claimed": claimed, "actual": content_type},
                errors={"file": [N_("The file name's extension does not match its content.")]},
            )


@blp.route("")
class MediaCollection(MethodView):
    @blp.arguments(MediaListArgs, location="query", error_status_code=400)
    @blp.response(200, MediaPageSchema)
    @blp.alt_response(400, schema=ProblemSchema, description="Invalid query parameters.")
    @blp.alt_response(401, schema=ProblemSchema, description="Missing or invalid token.")
    @operation(blp, "List files (media library)")
    def get(self, args: dict[str, Any]) -> Any:
        """Every uploaded file, newest first, with the items that use it (`used_by`, labels
        in the request's language). Needs a `preview` token or higher."""
        require_role("preview")
        lang = select_language()
        files, total = list_media(args)
        users = used_by([media.id for media in files], lang, _api_root())
        items = [
            {**representation(media, _api_root()), "used_by": users.get(media.id, [])}
            for media in files
        ]
        pages = math.ceil(total / args["page_size"]) if total else 0
        meta = {"page": args["page"], "page_size": args["page_size"], "total": total}
        body = {"items": items, "meta": {**meta, "pages": pages}}
        return json_response(blp, body, public=False, links=pagination_links(args["page"], pages))

    @no_query_args(blp)
    @blp.arguments(UploadSchema, location="files", unknown=RAISE)
    @blp.response(201, UploadedSchema, headers={"Location": {"schema": {"type": "string"}}})
    @blp.alt_response(401, schema=ProblemSchema, description="Missing or invalid token.")
    @blp.alt_response(403, schema=ProblemSchema, description="The token is not editor.")
    @blp.alt_response(413, schema=ProblemSchema, description="Larger than IFM_MAX_UPLOAD_MB.")
    @blp.alt_response(415, schema=ProblemSchema, description="Not a PDF, JPEG, PNG or WebP.")
    @blp.alt_response(
        422,
        schema=ProblemSchema,
        description="No file part or bad fields; an image with more pixels than "
        "IFM_MEDIA_MAX_PIXELS (or a decompression bomb), truncated or damaged; a name whose "
        "extension says another type than the content.",
    )
    @blp.alt_response(503, schema=ProblemSchema, description="Storing failed; nothing kept.")
    @blp.alt_response(507, schema=ProblemSchema, description="No room to store; nothing kept.")
    @operation(blp, "Upload a file", operationId="uploadMedia")
    def post(self, data: dict[str, Any]) -> Any:
        """Store a file. Its type comes from its first bytes, never from its name or the
        client's Content-Type: PDF (for reports), JPEG, PNG or WebP (for portraits). Images
        are decoded completely first; a PDF's pages, title and language are read (one that
        cannot be read, e.g. encrypted, is stored anyway with a warning). Identical bytes
        are stored once; every upload gets its own id. `Location` is the download URL."""
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
        given = [n for n in (upload.filename, data.get("filename")) if n]
        _check_extension(given, content_type)
        properties, warnings = inspect_upload(content, content_type)
        name = data.get("filename") or upload.filename or "file"
        try:
            with db.transaction():
                media = store_file(
                    content, name, content_type, author=principal.name, properties=properties
                )
                db.session().flush()
                set_committed_value(media, "translations", [])
                body = representation(media, _api_root())
        except StorageFull as exc:
            raise InsufficientStorage() from exc
        except StorageError as exc:
            raise StorageFailed() from exc
        body["warnings"] = [_warning(key) for key in warnings]
        return body, {"Location": body["url"], "Cache-Control": "no-store"}


@blp.route("/<int:media_id>")
class MediaFile(MethodView):
    @no_query_args(blp)
    @_download_doc
    @public_operation("Download a file", operationId="downloadMedia")
    def get(self, media_id: int) -> Any:
        """The file, with its real Content-Type, ETag, Last-Modified and byte ranges."""
        return _send(_get_media(media_id))

    @blp.etag
    @no_query_args(blp)
    @blp.arguments(MediaEditSchema, unknown=RAISE)
    @blp.response(200, MediaSchema)
    @media_problems(400, 401, 403, 404, 412, 415, 422, 428)
    @operation(blp, "Change a file's metadata")
    def patch(self, data: dict[str, Any], media_id: int) -> Any:
        """Change title, alt text (images), caption and credit per language, the license,
        and an image's focal point (`{"x": 0.5, "y": 0.3}`, fractions from the top left;
        crops centre on it). Needs `If-Match` with the ETag of `GET …/{media_id}/info`."""
        principal = require_role("editor")
        with write_transaction():
            media = _editor_media(media_id)
            blp.check_etag(media_etag_data(media))
            update_media(media, data, expected_version=media.version, author=principal.name)
            db.session().flush()
            body = representation(media, _api_root())
            etag_data = media_etag_data(media)
        return json_response(blp, body, public=False, etag_data=etag_data)

    @no_query_args(blp)
    @blp.response(204, description="Deleted.")
    @blp.alt_response(
        409,
        schema=ProblemSchema,
        description="Items use the file; the problem's `used_by` lists them (`id`, `type`, "
        "`label`, `url`, `deleted`). Nothing was deleted.",
    )
    @media_problems(401, 403, 404, 412)
    @blp.doc(parameters=[OPTIONAL_IF_MATCH, MESSAGE_LANG])
    @operation(blp, "Delete an unused file")
    def delete(self, media_id: int) -> Any:
        """Delete a file no item uses (its bytes go too, unless another upload has the same
        ones). A file in use is a 409 naming the items; remove it from them first.
        `If-Match` is optional; when given and stale, the answer is 412."""
        require_role("editor")
        with write_transaction():
            media = _editor_media(media_id)
            if request.if_match and (
                blp._generate_etag(media_etag_data(media)) not in request.if_match
            ):
                raise PreconditionFailed()
            delete_media(media, select_language(), _api_root())
        return Response(status=204, headers={"Cache-Control": "no-store"})


@blp.route("/<int:media_id>/<string:filename>")
class NamedMediaFile(MethodView):
    @no_query_args(blp)
    @blp.alt_response(
        301,
        description="The file name is not the file's: `Location` is its URL.",
        headers={"Location": {"schema": {"type": "string"}}},
    )
    @_download_doc
    @public_operation(
        "Download a file by its URL with file name", operationId="downloadMediaByFilename"
    )
    def get(self, media_id: int, filename: str) -> Any:
        """Same as without the name; the name makes URLs readable. Another name than the
        file's answers 301 to its URL."""
        media = _get_media(media_id)
        if filename != media.filename:
            location = media_url(_api_root(), media)
            if request.query_string:
                location += "?" + request.query_string.decode("latin-1")
            response = redirect(location, code=301)
            response.headers["Cache-Control"] = _file_cache_control()
            return response
        return _send(media)


@blp.route("/<int:media_id>/info")
class MediaInfo(MethodView):
    @blp.etag
    @no_query_args(blp)
    @blp.response(200, MediaSchema)
    @blp.alt_response(404, schema=ProblemSchema, description="No such file.")
    @public_operation("A file's metadata")
    def get(self, media_id: int) -> Any:
        """Name, detected type, size, SHA-256, download URL and the metadata: texts per
        language, license; for images size, focal point and renditions; for PDFs pages,
        title and language. Its `ETag` is the one a `PATCH` expects in `If-Match`."""
        media = _get_media(media_id, with_texts=True)
        body = representation(media, _api_root())
        public = request.authorization is None
        return json_response(blp, body, public=public, etag_data=media_etag_data(media))


@blp.route("/<int:media_id>/renditions/<string:name>")
class MediaRendition(MethodView):
    @no_query_args(blp)
    @blp.doc(
        responses={
            "200": {
                "description": "The rendition (cache forever: the URL names its bytes).",
                "headers": {
                    "ETag": {"schema": {"type": "string"}},
                    "Cache-Control": {"schema": {"type": "string"}},
                },
                "content": {ct: BINARY for ct in ("image/webp", "image/jpeg", "image/png")},
            }
        }
    )
    @blp.alt_response(304, description="Not modified (If-None-Match matched the ETag).")
    @blp.alt_response(
        301,
        description="A former name of this rendition (the focal point changed since): "
        "`Location` is the current one.",
        headers={"Location": {"schema": {"type": "string"}}},
    )
    @blp.alt_response(
        404,
        schema=ProblemSchema,
        description="No such file, or no such rendition: only the configured widths "
        "(IFM_MEDIA_WIDTHS), ratios (IFM_MEDIA_RATIOS) and formats exist.",
    )
    @public_operation("An image rendition")
    def get(self, media_id: int, name: str) -> Any:
        """One rendition of an image, by the name its `renditions`/`crops` entry gives:
        `<width>w[-<w>x<h>].<fingerprint>.<webp|jpg|png>`. Made on the first request and
        stored; EXIF orientation applied, all metadata stripped."""
        media = _get_media(media_id)
        parsed = parse_name(name)
        settings = current_app.config["IFM"]
        if parsed is None or not is_configured(media, parsed[0], settings):
            widths = ", ".join(str(w) for w in settings.media_widths)
            raise NotFound(
                "rendition_not_found",
                detail_args={"name": name, "id": media_id, "widths": widths},
            )
        variant = parsed[0]
        current = rendition_name(media, variant)
        if name != current:
            response = redirect(f"{_api_root()}/media/{media.id}/renditions/{current}", 301)
            response.headers["Cache-Control"] = _file_cache_control()
            return response
        response = Response(rendition_bytes(media, variant), mimetype=variant.content_type)
        response.set_etag(current.split(".")[1])
        response.headers["Cache-Control"] = _file_cache_control(immutable=True)
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response.make_conditional(request)
