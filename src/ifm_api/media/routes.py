"""HTTP endpoints of files: stable URLs with ETag, ranges and the right Content-Type."""

from __future__ import annotations

from typing import Any

from flask import send_file
from flask.views import MethodView
from flask_smorest import Blueprint

from ifm_api.core.errors import NotFound
from ifm_api.core.media import find_media, media_path
from ifm_api.core.schemas import ProblemSchema

blp = Blueprint("media", __name__, url_prefix="/api/v1/media", description="Files.")


def _send(media_id: int) -> Any:
    media = find_media(media_id)
    if media is None or not media_path(media).exists():
        raise NotFound("media_not_found", detail_args={"id": media_id})
    response = send_file(
        media_path(media),
        mimetype=media.content_type,
        download_name=media.filename,
        as_attachment=False,
        conditional=True,
        etag=media.sha256,
        max_age=86400,
    )
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


@blp.route("/<int:media_id>")
class MediaFile(MethodView):
    @blp.response(200, description="The file's bytes (supports Range and If-None-Match).")
    @blp.alt_response(404, schema=ProblemSchema)
    @blp.doc(summary="Download a file")
    def get(self, media_id: int) -> Any:
        """The file, with its real Content-Type, ETag and byte ranges."""
        return _send(media_id)


@blp.route("/<int:media_id>/<string:filename>")
class NamedMediaFile(MethodView):
    @blp.response(200, description="The file's bytes (supports Range and If-None-Match).")
    @blp.alt_response(404, schema=ProblemSchema)
    @blp.doc(summary="Download a file by its URL with file name")
    def get(self, media_id: int, filename: str) -> Any:
        """Same as without the name; the name makes URLs readable."""
        return _send(media_id)
