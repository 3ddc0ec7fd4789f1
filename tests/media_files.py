"""Test files made with Pillow and pypdf, so each test shows what its file contains."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image
from pypdf import PdfWriter
from pypdf.generic import NameObject, TextStringObject

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def image_bytes(
    width: int,
    height: int,
    fmt: str = "JPEG",
    *,
    color: tuple[int, int, int] = (200, 40, 40),
    halves: tuple[tuple[int, int, int], tuple[int, int, int]] | None = None,
    orientation: int | None = None,
    gps: bool = False,
) -> bytes:
    """An image in ``fmt``; ``halves`` paints the left and right half in two colours;
    ``orientation``/``gps`` write those EXIF tags (GPS: a position in Mannheim)."""
    image = Image.new("RGB", (width, height), color)
    if halves is not None:
        image.paste(halves[0], (0, 0, width // 2, height))
        image.paste(halves[1], (width // 2, 0, width, height))
    exif = Image.Exif()
    if orientation is not None:
        exif[ORIENTATION] = orientation
    if gps:
        exif.get_ifd(GPS_IFD).update({1: "N", 2: (49.0, 29.0, 20.0), 3: "E", 4: (8.0, 27.0, 58.0)})
    out = io.BytesIO()
    options = {"exif": exif.tobytes()} if (orientation or gps) else {}
    image.save(out, fmt, **options)
    return out.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width`` x ``height`` (a decompression bomb's shape)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def pdf_document(
    pages: int,
    *,
    title: str | None = None,
    lang: str | None = None,
    password: str | None = None,
) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    if title:
        writer.add_metadata({"/Title": title})
    if lang:
        writer._root_object[NameObject("/Lang")] = TextStringObject(lang)
    if password:
        writer.encrypt(user_password=password, owner_password=password + "-owner")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image
