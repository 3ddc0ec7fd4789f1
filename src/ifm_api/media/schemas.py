"""Bodies of the media endpoints: the multipart upload and a file's metadata."""

from __future__ import annotations

from typing import Any

from flask_smorest.fields import Upload
from marshmallow import Schema, ValidationError, fields, pre_load, validate
from werkzeug.datastructures import FileStorage

from ifm_api.core.media import DOCUMENT_TYPES, IMAGE_TYPES
from ifm_api.core.messages import N_
from ifm_api.core.schemas import (
    DB_INT_MAX,
    MAX_PAGE_SIZE,
    READ_ONLY_FIELDS,
    LanguageParam,
    QueryArgs,
    Text,
    Translations,
    page_schema,
    plain_text,
)

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
    filename = Text(
        validate=validate.Length(min=1, max=255),
        metadata={
            "description": "Name for the download URL (default: the uploaded file's name). "
            "Reduced to safe characters; the extension follows the real type."
        },
    )


class RenditionSchema(Schema):
    """One rendition, for `srcset`: `<url> <width>w`."""

    COMPLETE_OUTPUT = True

    url = fields.String(required=True, metadata={"description": "Immutable: cache forever."})
    width = fields.Integer(required=True)
    height = fields.Integer(required=True)
    format = fields.String(
        required=True, metadata={"description": "`image/webp` or the original's type."}
    )


class FocalPointSchema(Schema):
    """Where the subject is, as fractions of width and height from the top left."""

    x = fields.Float(required=True, validate=validate.Range(min=0, max=1))
    y = fields.Float(required=True, validate=validate.Range(min=0, max=1))


class MediaTextsSchema(Schema):
    title = fields.String(allow_none=True)
    alt = fields.String(allow_none=True, metadata={"description": "Images only."})
    caption = fields.String(allow_none=True)
    credit = fields.String(allow_none=True)


RENDITIONS = fields.List(
    fields.Nested(RenditionSchema),
    metadata={
        "description": "The whole image at each configured width (IFM_MEDIA_WIDTHS) it has "
        "pixels for, in WebP and in its own format: ready for `srcset`."
    },
)
CROPS = fields.Dict(
    keys=fields.String(),
    values=fields.List(fields.Nested(RenditionSchema)),
    metadata={
        "description": "Per configured ratio (IFM_MEDIA_RATIOS, e.g. `1:1`), renditions "
        "cropped to it around the focal point."
    },
)


class MediaSchema(Schema):
    """An uploaded file: where it is served, what it is, and its metadata in every language."""

    id = fields.Integer(required=True)
    kind = fields.String(required=True, metadata={"description": "`image` or `document`."})
    filename = fields.String(required=True)
    content_type = fields.String(
        required=True, metadata={"description": "Detected from the content."}
    )
    size = fields.Integer(required=True, metadata={"description": "Bytes."})
    sha256 = fields.String(required=True, metadata={"description": "Hex SHA-256 of the bytes."})
    url = fields.Url(required=True, metadata={"description": "Stable download URL."})
    created_at = fields.DateTime(required=True)
    version = fields.Integer(required=True, metadata={"description": "Bumped by every change."})
    updated_at = fields.DateTime(allow_none=True)
    license = fields.String(allow_none=True)
    translations = fields.Dict(
        keys=fields.String(),
        values=fields.Nested(MediaTextsSchema),
        required=True,
        metadata={"description": "Per language: title, alt (images), caption, credit."},
    )
    width = fields.Integer(metadata={"description": "Images: pixels, EXIF orientation applied."})
    height = fields.Integer()
    focal_point = fields.Nested(FocalPointSchema, allow_none=True)
    renditions = RENDITIONS
    crops = CROPS
    page_count = fields.Integer(allow_none=True, metadata={"description": "PDFs."})
    document_title = fields.String(
        allow_none=True, metadata={"description": "PDFs: the title the file declares."}
    )
    document_lang = fields.String(
        allow_none=True, metadata={"description": "PDFs: the language the file declares."}
    )


class UploadWarningSchema(Schema):
    code = fields.String(
        required=True, metadata={"description": "`pdf_encrypted`, `pdf_unreadable`."}
    )
    message = fields.String(required=True)


class UploadedSchema(MediaSchema):
    """The stored file, with warnings about it (a PDF that could not be read)."""

    warnings = fields.List(fields.Nested(UploadWarningSchema), required=True)


class MediaUserSchema(Schema):
    """An item that uses a file (in its working copy or its public version)."""

    COMPLETE_OUTPUT = True

    id = fields.Integer(required=True)
    type = fields.String(required=True)
    label = fields.String(allow_none=True, metadata={"description": "Title or name."})
    url = fields.String(required=True)
    deleted = fields.Boolean(
        required=True, metadata={"description": "Soft-deleted, still holding the file."}
    )


class MediaListItemSchema(MediaSchema):
    used_by = fields.List(fields.Nested(MediaUserSchema), required=True)


MediaPageSchema = page_schema("MediaPage", MediaListItemSchema)


class MediaListArgs(QueryArgs):
    """Filters of the media library."""

    type = fields.String(
        validate=validate.OneOf(["image", "document"]),
        metadata={"description": "`image` (JPEG, PNG, WebP) or `document` (PDF)."},
    )
    q = Text(
        validate=validate.Length(min=1, max=200),
        metadata={"description": "Part of the file name or of a title (any language)."},
    )
    unused = fields.Boolean(
        metadata={"description": "`true`: files no item uses; `false`: files in use."}
    )
    lang = LanguageParam(
        allow_all=False, metadata={"description": "Language of the `used_by` labels."}
    )
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=DB_INT_MAX))
    page_size = fields.Integer(load_default=20, validate=validate.Range(min=1, max=MAX_PAGE_SIZE))


class MediaTextsEditSchema(Schema):
    """A file's texts in one language (each optional; `null` clears one)."""

    title = plain_text(300)
    alt = plain_text(1000, metadata={"description": "Images only: what the image shows."})
    caption = plain_text(2000)
    credit = plain_text(300, metadata={"description": "Photographer, rights holder."})


class MediaEditSchema(Schema):
    """A PATCH of a file's metadata: only the named fields change. The body of
    `GET …/{id}/info` may be sent back as it is (its read-only fields are ignored)."""

    translations = Translations(MediaTextsEditSchema, removable=True)
    license = plain_text(200, metadata={"description": "e.g. `CC BY 4.0`, `© ifm`."})
    focal_point = fields.Nested(
        FocalPointSchema,
        allow_none=True,
        metadata={"description": "Images only; `null` centres crops again."},
    )

    @pre_load
    def _drop_read_only(self, data: Any, **_kwargs: Any) -> Any:
        if not isinstance(data, dict):
            return data
        read_only = {*READ_ONLY_FIELDS, *MediaSchema().fields} - set(self.fields)
        return {key: value for key, value in data.items() if key not in read_only}
