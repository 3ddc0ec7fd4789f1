"""Files: upload checked by content (not name), downloads with ETag, ranges, Content-Type."""

from __future__ import annotations

import base64
import hashlib
import io
import struct
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from ifm_api import create_app
from ifm_api.config import load_settings
from ifm_api.core import db
from ifm_api.core.content import REGISTRY
from ifm_api.core.editing import create_item, get_entity, publish_item, unpublish_item
from ifm_api.core.models import Media

Token = Callable[..., dict[str, str]]
MEDIA = "/api/v1/media"


# --- tiny but valid files, built here so the tests show what they contain ------------------


def png_bytes() -> bytes:
    """A 1x1 red RGB PNG: signature, IHDR, IDAT (zlib), IEND, each chunk with its CRC."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def jpeg_bytes() -> bytes:
    """A 1x1 grey baseline JPEG: one 8x8 block, DC and AC both coded as a single 1-bit code."""

    def segment(marker: int, payload: bytes) -> bytes:
        return struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload

    jfif = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    quant = b"\x00" + b"\x01" * 64
    frame = b"\x08\x00\x01\x00\x01\x01\x01\x11\x00"
    one_code_for_symbol_0 = b"\x01" + b"\x00" * 15 + b"\x00"
    dc_table = b"\x00" + one_code_for_symbol_0
    ac_table = b"\x10" + one_code_for_symbol_0
    scan = b"\x01\x01\x00\x00\x3f\x00"
    entropy = b"\x3f"  # DC diff 0 ("0"), end of block ("0"), padded with 1 bits
    return (
        b"\xff\xd8"
        + segment(0xE0, jfif)
        + segment(0xDB, quant)
        + segment(0xC0, frame)
        + segment(0xC4, dc_table)
        + segment(0xC4, ac_table)
        + segment(0xDA, scan)
        + entropy
        + b"\xff\xd9"
    )


def webp_bytes() -> bytes:
    """A 1x1 lossless WebP (RIFF container, VP8L chunk)."""
    return base64.b64decode("UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==")


def pdf_bytes(text: str = "Kurzbericht") -> bytes:
    """A one-page PDF 1.4 with a correct cross-reference table."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\n" % (len(objects) + 1))
    out.write(b"startxref\n%d\n%%%%EOF\n" % xref)
    return out.getvalue()


VALID_FILES = {
    "application/pdf": (pdf_bytes, "Kurzbericht 2019.pdf", "Kurzbericht-2019.pdf"),
    "image/jpeg": (jpeg_bytes, "portrait.jpeg", "portrait.jpg"),
    "image/png": (png_bytes, "Portrait Müller.PNG", "Portrait-M-ller.png"),
    "image/webp": (webp_bytes, "portrait.webp", "portrait.webp"),
}


# --- helpers ------------------------------------------------------------------------------


def upload(
    client: FlaskClient,
    headers: dict[str, str],
    data: bytes | None,
    name: str = "file.bin",
    *,
    content_type: str = "application/octet-stream",
    **form: Any,
) -> TestResponse:
    body: dict[str, Any] = dict(form)
    if data is not None:
        body["file"] = (io.BytesIO(data), name, content_type)
    return client.post(MEDIA, data=body, headers=headers, content_type="multipart/form-data")


def uploaded(client: FlaskClient, token: Token, data: bytes, name: str) -> dict[str, Any]:
    """Upload a file and publish an item that uses it (the public only gets files in use)."""
    response = upload(client, token("editor"), data, name)
    assert response.status_code == 201, response.get_json()
    info = response.get_json()
    use_in_published_item(client.application, info["id"], info["content_type"])
    return info


def use_in_published_item(app: Flask, media_id: int, content_type: str) -> int:
    if content_type == "application/pdf":
        resource = "reports"
        data: dict[str, Any] = {
            "translations": {"de": {"title": f"Bericht {media_id}"}},
            "files": [{"media_id": media_id, "lang": "de"}],
        }
    else:
        resource = "people"
        data = {
            "given_name": "Bild",
            "family_name": f"Person {media_id}",
            "portrait_id": media_id,
            "translations": {"de": {}},
        }
    spec = REGISTRY[resource]
    with app.app_context(), db.transaction():
        entity = create_item(spec, data, author="tests")
        publish_item(
            spec,
            entity,
            languages=None,
            publish_at=None,
            expected_version=entity.version,
            author="tests",
        )
        return entity.id


def media_count(app: Flask) -> int:
    with app.app_context():
        return db.session().scalar(select(func.count()).select_from(Media)) or 0


def assert_problem(response: TestResponse, status: int) -> dict[str, Any]:
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status
    assert {"type", "title", "detail"} <= set(body)
    return body


# --- upload -------------------------------------------------------------------------------


@pytest.mark.parametrize("content_type", sorted(VALID_FILES))
def test_editor_uploads_valid_file_gets_201_with_metadata(
    client: FlaskClient, token: Token, content_type: str, media_root: Path
) -> None:
    make, name, served_name = VALID_FILES[content_type]
    data = make()
    response = upload(client, token("editor"), data, name)
    assert response.status_code == 201
    body = response.get_json()
    common = {"id", "kind", "filename", "content_type", "size", "sha256", "url", "created_at"}
    assert common | {"version", "updated_at", "license", "translations", "warnings"} <= set(body)
    assert body["kind"] == ("document" if content_type == "application/pdf" else "image")
    assert body["warnings"] == []
    assert body["translations"] == {}
    assert body["content_type"] == content_type
    assert body["filename"] == served_name
    assert body["size"] == len(data)
    assert body["sha256"] == hashlib.sha256(data).hexdigest()
    assert body["url"] == f"http://localhost{MEDIA}/{body['id']}/{served_name}"
    assert response.headers["Location"] == body["url"]
    assert response.headers["Cache-Control"] == "private, no-store"
    stored = media_root / body["sha256"][:2] / body["sha256"]
    assert stored.read_bytes() == data


def test_editor_uploads_png_named_pdf_gets_422_and_nothing_stored(
    client: FlaskClient, token: Token, app: Flask
) -> None:
    response = upload(client, {**token("editor"), "Accept-Language": "en"}, png_bytes(), "b.pdf")
    body = assert_problem(response, 422)
    assert body["type"].endswith("file_extension_mismatch")
    assert body["detail"] == "The file's name says application/pdf, but its content is image/png."
    assert "file" in body["errors"]
    assert media_count(app) == 0


def test_editor_uploads_png_with_a_pdf_filename_field_gets_422(
    client: FlaskClient, token: Token
) -> None:
    response = upload(client, token("editor"), png_bytes(), "p.png", filename="bericht.pdf")
    assert assert_problem(response, 422)["type"].endswith("file_extension_mismatch")


def test_editor_uploads_png_without_extension_gets_the_right_one(
    client: FlaskClient, token: Token
) -> None:
    body = uploaded(client, token, png_bytes(), "portrait")
    assert body["content_type"] == "image/png"
    assert body["filename"] == "portrait.png"


def test_editor_uploads_with_filename_field_uses_it(client: FlaskClient, token: Token) -> None:
    response = upload(client, token("editor"), pdf_bytes(), "upload.pdf", filename="ifm Bericht 3")
    assert response.status_code == 201
    assert response.get_json()["filename"] == "ifm-Bericht-3.pdf"


def test_editor_uploads_same_bytes_twice_gets_two_ids_one_stored_file(
    client: FlaskClient, token: Token, media_root: Path
) -> None:
    first = uploaded(client, token, pdf_bytes("twice"), "a.pdf")
    second = uploaded(client, token, pdf_bytes("twice"), "b.pdf")
    assert first["id"] != second["id"]
    assert first["sha256"] == second["sha256"]
    assert list((media_root / first["sha256"][:2]).glob(f"{first['sha256']}*")) == [
        media_root / first["sha256"][:2] / first["sha256"]
    ]
    assert client.get(second["url"]).data == pdf_bytes("twice")


EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"PE\x00\x00"
REJECTED = {
    "exe renamed pdf": (EXE, "report.pdf", "application/pdf"),
    "html": (b"<!doctype html><script>alert(1)</script>", "page.pdf", "text/html"),
    "svg": (b'<svg xmlns="http://www.w3.org/2000/svg"/>', "portrait.png", "image/png"),
    "empty": (b"", "empty.pdf", "application/pdf"),
    "text": (b"%PDF", "short.pdf", "application/pdf"),
    "riff but not webp": (b"RIFF\x1a\x00\x00\x00WAVEfmt ", "sound.webp", "image/webp"),
    "gif": (b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "portrait.gif", "image/gif"),
}


@pytest.mark.parametrize("case", sorted(REJECTED))
def test_editor_uploads_unaccepted_content_gets_415_and_nothing_stored(
    client: FlaskClient, token: Token, app: Flask, case: str
) -> None:
    data, name, claimed = REJECTED[case]
    response = upload(client, token("editor"), data, name, content_type=claimed)
    body = assert_problem(response, 415)
    assert body["type"].endswith("file_type_not_accepted")
    assert body["accepted"] == ["application/pdf", "image/jpeg", "image/png", "image/webp"]
    assert "PDF, JPEG, PNG, WebP" in body["detail"]
    assert media_count(app) == 0


def test_editor_uploads_unaccepted_content_gets_message_in_chosen_language(
    client: FlaskClient, token: Token
) -> None:
    headers = token("editor")
    german = upload(client, {**headers, "Accept-Language": "de"}, EXE, "x.pdf")
    assert german.get_json()["detail"].startswith("Der Inhalt der Datei")
    assert german.headers["Content-Language"] == "de"
    english = upload(client, {**headers, "Accept-Language": "en"}, EXE, "x.pdf")
    assert english.get_json()["detail"].startswith("The file's content")


def test_editor_uploads_too_large_file_gets_413_and_nothing_stored(
    client: FlaskClient, token: Token, app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024 * 1024)
    data = pdf_bytes() + b"%" + b"x" * (1024 * 1024)
    body = assert_problem(upload(client, token("editor"), data, "big.pdf"), 413)
    assert "1 MiB" in body["detail"]
    assert media_count(app) == 0


def test_upload_limit_follows_ifm_max_upload_mb(
    token: Token, database_url: str, media_root: Path
) -> None:
    small = create_app(
        load_settings(
            {
                "DATABASE_URL": database_url,
                "IFM_MEDIA_ROOT": str(media_root),
                "IFM_MAX_UPLOAD_MB": "1",
            }
        )
    )
    assert small.config["MAX_CONTENT_LENGTH"] == 1024 * 1024
    client = small.test_client()
    headers = token("editor")
    too_big = pdf_bytes() + b"x" * (1024 * 1024)
    assert upload(client, headers, too_big, "big.pdf").status_code == 413
    fits = pdf_bytes() + b"x" * (1000 * 1024)
    assert upload(client, headers, fits, "fits.pdf").status_code == 201


def test_editor_uploads_without_file_gets_422(client: FlaskClient, token: Token) -> None:
    body = assert_problem(upload(client, token("editor"), None, filename="x.pdf"), 422)
    assert "file" in body["errors"]


def test_editor_uploads_file_as_plain_form_field_gets_422(
    client: FlaskClient, token: Token
) -> None:
    response = client.post(
        MEDIA,
        data={"file": "%PDF-1.4 not a file part"},
        headers=token("editor"),
        content_type="multipart/form-data",
    )
    assert "file" in assert_problem(response, 422)["errors"]


def test_editor_uploads_json_instead_of_multipart_gets_422(
    client: FlaskClient, token: Token
) -> None:
    response = client.post(MEDIA, json={"file": "x"}, headers=token("editor"))
    assert "file" in assert_problem(response, 422)["errors"]


def test_editor_uploads_with_unknown_form_field_gets_422(
    client: FlaskClient, token: Token, app: Flask
) -> None:
    response = upload(client, token("editor"), pdf_bytes(), "a.pdf", owner="me")
    assert "owner" in assert_problem(response, 422)["errors"]
    assert media_count(app) == 0


def test_anonymous_uploads_gets_401_before_body_checks(client: FlaskClient, app: Flask) -> None:
    response = upload(client, {}, EXE, "x.pdf")
    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert media_count(app) == 0


def test_preview_uploads_gets_403(client: FlaskClient, token: Token, app: Flask) -> None:
    body = assert_problem(upload(client, token("preview"), pdf_bytes(), "x.pdf"), 403)
    assert body["type"].endswith("forbidden_role")
    assert media_count(app) == 0


def test_admin_uploads_gets_201(client: FlaskClient, token: Token) -> None:
    assert upload(client, token("admin"), png_bytes(), "p.png").status_code == 201


def test_upload_records_who_uploaded(client: FlaskClient, token: Token, app: Flask) -> None:
    media_id = uploaded(client, token, png_bytes(), "p.png")["id"]
    with app.app_context():
        assert db.session().get(Media, media_id).created_by == "editor-1"  # type: ignore[union-attr]


# --- download -----------------------------------------------------------------------------


@pytest.mark.parametrize("content_type", sorted(VALID_FILES))
def test_anyone_downloads_file_gets_bytes_type_and_cache_headers(
    client: FlaskClient, token: Token, content_type: str
) -> None:
    make, name, served_name = VALID_FILES[content_type]
    info = uploaded(client, token, make(), name)
    for url in (info["url"], f"{MEDIA}/{info['id']}"):
        response = client.get(url)
        assert response.status_code == 200
        assert response.data == make()
        assert response.mimetype == content_type
        assert response.headers["Content-Length"] == str(info["size"])
        assert response.headers["ETag"] == f'"{info["sha256"]}"'
        assert response.headers["Accept-Ranges"] == "bytes"
        assert response.headers["Cache-Control"] == "public, max-age=86400"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Content-Disposition"] == f"inline; filename={served_name}"
        assert "Last-Modified" in response.headers


def test_anyone_downloads_with_matching_if_none_match_gets_304(
    client: FlaskClient, token: Token
) -> None:
    info = uploaded(client, token, pdf_bytes(), "a.pdf")
    etag = client.get(info["url"]).headers["ETag"]
    response = client.get(info["url"], headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert response.data == b""
    assert response.headers["ETag"] == etag
    assert response.headers["Cache-Control"] == "public, max-age=86400"
    other = client.get(info["url"], headers={"If-None-Match": '"something-else"'})
    assert other.status_code == 200


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [("bytes=0-3", 0, 3), ("bytes=5-", 5, None), ("bytes=-6", -6, None), ("bytes=2-2", 2, 2)],
)
def test_anyone_downloads_range_gets_206_with_that_slice(
    client: FlaskClient, token: Token, header: str, start: int, end: int | None
) -> None:
    data = pdf_bytes()
    info = uploaded(client, token, data, "a.pdf")
    response = client.get(info["url"], headers={"Range": header})
    assert response.status_code == 206
    first = start if start >= 0 else len(data) + start
    last = end if end is not None else len(data) - 1
    assert response.data == data[first : last + 1]
    assert response.headers["Content-Range"] == f"bytes {first}-{last}/{len(data)}"
    assert response.headers["Content-Length"] == str(last - first + 1)
    assert response.mimetype == "application/pdf"
    assert response.headers["ETag"] == f'"{info["sha256"]}"'


def test_anyone_downloads_unsatisfiable_range_gets_416_problem(
    client: FlaskClient, token: Token
) -> None:
    info = uploaded(client, token, png_bytes(), "p.png")
    response = client.get(info["url"], headers={"Range": f"bytes={info['size'] + 10}-"})
    body = assert_problem(response, 416)
    assert body["type"].endswith("range_not_satisfiable")
    assert response.headers["Content-Range"] == f"bytes */{info['size']}"


@pytest.mark.parametrize("header", ["bytes=0-1,4-5", "pages=1-2", "bytes=abc", "bytes=5-2"])
def test_anyone_downloads_with_ignorable_range_gets_whole_file(
    client: FlaskClient, token: Token, header: str
) -> None:
    data = pdf_bytes()
    info = uploaded(client, token, data, "a.pdf")
    response = client.get(info["url"], headers={"Range": header})
    assert response.status_code == 200
    assert response.data == data


def test_anyone_downloads_range_with_if_range_gets_part_only_if_unchanged(
    client: FlaskClient, token: Token
) -> None:
    data = pdf_bytes()
    info = uploaded(client, token, data, "a.pdf")
    etag = f'"{info["sha256"]}"'
    same = client.get(info["url"], headers={"Range": "bytes=0-3", "If-Range": etag})
    assert same.status_code == 206
    assert same.data == data[:4]
    changed = client.get(info["url"], headers={"Range": "bytes=0-3", "If-Range": '"old"'})
    assert changed.status_code == 200
    assert changed.data == data


def test_anyone_heads_file_gets_headers_without_body(client: FlaskClient, token: Token) -> None:
    info = uploaded(client, token, png_bytes(), "p.png")
    response = client.head(info["url"])
    assert response.status_code == 200
    assert response.data == b""
    assert response.headers["Content-Length"] == str(info["size"])
    assert response.mimetype == "image/png"


def test_anyone_downloads_unknown_file_gets_404_problem(client: FlaskClient) -> None:
    for url in (f"{MEDIA}/999999", f"{MEDIA}/999999/x.pdf", f"{MEDIA}/999999/info"):
        body = assert_problem(client.get(url), 404)
        assert body["type"].endswith("media_not_found")


# --- metadata -----------------------------------------------------------------------------


def test_anyone_reads_file_info_gets_metadata_with_etag(client: FlaskClient, token: Token) -> None:
    info = uploaded(client, token, webp_bytes(), "portrait.webp")
    response = client.get(f"{MEDIA}/{info['id']}/info")
    assert response.status_code == 200
    assert response.get_json() == {key: value for key, value in info.items() if key != "warnings"}
    assert response.headers["Cache-Control"].startswith("public")
    etag = response.headers["ETag"]
    again = client.get(f"{MEDIA}/{info['id']}/info", headers={"If-None-Match": etag})
    assert again.status_code == 304


def test_openapi_documents_upload_as_multipart_with_bearer_security(client: FlaskClient) -> None:
    spec = client.get("/api/openapi.json").get_json()
    upload_op = spec["paths"][MEDIA]["post"]
    assert upload_op["security"] == [{"bearerAuth": []}]
    body = upload_op["requestBody"]["content"]["multipart/form-data"]["schema"]
    schema = (
        spec["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]] if "$ref" in body else body
    )
    assert schema["properties"]["file"]["format"] == "binary"
    assert "filename" in schema["properties"]
    assert {"201", "401", "403", "413", "415", "422"} <= set(upload_op["responses"])
    download = spec["paths"][f"{MEDIA}/{{media_id}}/{{filename}}"]["get"]["responses"]
    assert {"200", "206", "304", "404", "416"} <= set(download)
    assert "/api/v1/media/{media_id}/info" in spec["paths"]


# --- who may download ------------------------------------------------------------------------


def test_public_download_of_file_no_published_item_uses_is_404(
    client: FlaskClient, token: Token
) -> None:
    response = upload(client, token("editor"), pdf_bytes("unveröffentlicht"), "entwurf.pdf")
    info = response.get_json()
    assert_problem(client.get(info["url"]), 404)
    assert_problem(client.get(f"{MEDIA}/{info['id']}/info"), 404)
    with_token = client.get(info["url"], headers=token("preview"))
    assert with_token.status_code == 200
    assert with_token.data == pdf_bytes("unveröffentlicht")


def test_public_download_follows_publication_of_the_report_using_it(
    client: FlaskClient, token: Token, app: Flask
) -> None:
    info = upload(client, token("editor"), pdf_bytes("bericht"), "bericht.pdf").get_json()
    report = use_in_published_item(app, info["id"], info["content_type"])
    assert client.get(info["url"]).status_code == 200
    spec = REGISTRY["reports"]
    with app.app_context(), db.transaction():
        entity = get_entity(spec, report)
        unpublish_item(
            spec, entity, languages=None, expected_version=entity.version, author="tests"
        )
    assert_problem(client.get(info["url"]), 404)
