"""Bodies of the media endpoints: the multipart upload and a file's metadata."""

from __future__ import annotations

from typing import Any

from flask_smorest.fields import Upload
from marshmallow import Schema, ValidationError, fields, validate
from werkzeug.datastructures import FileStorage

from ifm_api.core.media import DOCUMENT_TYPES, IMAGE_TYPES
from ifm_api.core.messages import N_

ACCEPTED_TYPES = sorted(DOCUMENT_TYPES | IMAGE_TYPES)


class FileUpload(Upload):
    """A multipart file part (a plain form value of the same name is an error)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> FileStorage:
        if not isinstance(value, FileStorage):
            raise ValidationError(N_("Invalid type."))
        return value


class UploadSchema(Schema):
    """``multipart/form-data`` with the file and, optionally, the name to serve it under."""

    file = FileUpload(
        required=True,
        metadata={
            "description": "The file. Its type is taken from its content, not its name: "
            f"{', '.join(ACCEPTED_TYPES)}."
        },
    )
    filename = fields.String(
        validate=validate.Length(min=1, max=255),
        metadata={
            "description": "Name for the download URL (default: the uploaded file's name). "
            "Reduced to safe characters; the extension follows the real type."
        },
    )


class MediaSchema(Schema):
    """An uploaded file: where it is served and what it is."""

    id = fields.Integer(required=True)
    filename = fields.String(required=True)
    content_type = fields.String(
        required=True, metadata={"description": "Detected from the content."}
    )
    size = fields.Integer(required=True, metadata={"description": "Bytes."})
    sha256 = fields.String(required=True, metadata={"description": "Hex SHA-256 of the bytes."})
    url = fields.Url(required=True, metadata={"description": "Stable download URL."})
    created_at = fields.DateTime(required=True)
