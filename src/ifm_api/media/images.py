"""Images with Pillow: checking an upload, and renditions (fixed widths, WebP and the
original format, EXIF orientation applied, every metadata stripped, crops around the focal
point).

A rendition is named by a fingerprint of everything its pixels depend on (the original's
SHA-256, size, ratio, format, the focal point for crops, this module's RENDITION_VERSION), so
its URL never serves other bytes and may be cached forever. Only the configured widths and
ratios exist: a client cannot make the server resize to arbitrary sizes.
"""

from __future__ import annotations

import hashlib
import io
import re
import warnings
from dataclasses import dataclass
from typing import Any

from PIL import Image, ImageOps

from ifm_api.config import Settings
from ifm_api.core.models import Media

RENDITION_VERSION = 1
FORMATS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
PILLOW_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
CONTENT_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}
ROTATED = frozenset({5, 6, 7, 8})  # EXIF orientations that swap width and height
EXIF_ORIENTATION = 0x0112
NAME = re.compile(
    r"(?P<width>\d{1,5})w(?:-(?P<rw>\d{1,3})x(?P<rh>\d{1,3}))?"
    r"\.(?P<fp>[0-9a-f]{12})\.(?P<ext>jpg|png|webp)"
)


class ImageRejected(Exception):
    """The upload is not an image the API accepts; ``key`` names the problem."""

    def __init__(self, key: str, **args: Any) -> None:
        super().__init__(key)
        self.key = key
        self.args_ = args


@dataclass(frozen=True)
class ImageInfo:
    width: int
    height: int


def probe(data: bytes, content_type: str, *, max_pixels: int) -> ImageInfo:
    """Check an uploaded image completely, before anything is stored.

    Refused: more pixels than ``max_pixels`` (read from the header, before decoding) or than
    Pillow's decompression-bomb limit, content Pillow reads as another format, and a file
    that does not decode to the end (truncated or corrupt). The size is the displayed one
    (EXIF orientation applied).
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                pixels = image.width * image.height
                if pixels > max_pixels:
                    raise ImageRejected("image_too_large", limit=max_pixels)
                if PILLOW_FORMATS.get(image.format or "") != content_type:
                    raise ImageRejected("image_unreadable")
                orientation = image.getexif().get(EXIF_ORIENTATION)
                image.load()
                width, height = image.size
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRejected("image_too_large", limit=max_pixels) from exc
    except ImageRejected:
        raise
    except Exception as exc:  # Pillow raises OSError, SyntaxError, ValueError … on bad data
        raise ImageRejected("image_unreadable") from exc
    if orientation in ROTATED:
        width, height = height, width
    return ImageInfo(width=width, height=height)


# --- renditions ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Variant:
    """One rendition: a configured width, optionally cropped to a ratio, in a format."""

    width: int
    ratio: tuple[int, int] | None
    ext: str

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.ext]


def formats_of(media: Media) -> tuple[str, ...]:
    """WebP, and the original's own format (once for a WebP original)."""
    own = FORMATS.get(media.content_type)
    return ("webp",) if own in (None, "webp") else ("webp", own)


def source_box(media: Media, ratio: tuple[int, int] | None) -> tuple[float, float, float, float]:
    """The part of the (oriented) original a rendition shows: all of it, or the largest
    box of ``ratio`` centred on the focal point as far as the edges allow."""
    width, height = float(media.width or 0), float(media.height or 0)
    if ratio is None:
        return 0.0, 0.0, width, height
    aspect = ratio[0] / ratio[1]
    if width / height > aspect:
        box_w, box_h = height * aspect, height
    else:
        box_w, box_h = width, width / aspect
    fx = media.focal_x if media.focal_x is not None else 0.5
    fy = media.focal_y if media.focal_y is not None else 0.5
    left = min(max(fx * width - box_w / 2, 0.0), width - box_w)
    top = min(max(fy * height - box_h / 2, 0.0), height - box_h)
    return left, top, left + box_w, top + box_h


def output_size(media: Media, variant: Variant) -> tuple[int, int]:
    """Pixels of a rendition: the configured width, never wider than its source box."""
    left, top, right, bottom = source_box(media, variant.ratio)
    box_w, box_h = right - left, bottom - top
    width = max(1, min(variant.width, round(box_w)))
    if variant.ratio is not None:
        height = round(width * variant.ratio[1] / variant.ratio[0])
    else:
        height = round(box_h * width / box_w)
    return width, max(1, height)


def fingerprint(media: Media, variant: Variant) -> str:
    parts: list[Any] = [RENDITION_VERSION, media.sha256, variant.width, variant.ratio, variant.ext]
    if variant.ratio is not None:
        parts.append(source_box(media, variant.ratio))
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:12]


def rendition_name(media: Media, variant: Variant) -> str:
    ratio = f"-{variant.ratio[0]}x{variant.ratio[1]}" if variant.ratio else ""
    return f"{variant.width}w{ratio}.{fingerprint(media, variant)}.{variant.ext}"


def parse_name(name: str) -> tuple[Variant, str] | None:
    match = NAME.fullmatch(name)
    if match is None:
        return None
    ratio = (int(match["rw"]), int(match["rh"])) if match["rw"] else None
    return Variant(int(match["width"]), ratio, match["ext"]), match["fp"]


def is_configured(media: Media, variant: Variant, settings: Settings) -> bool:
    return (
        media.content_type in FORMATS
        and bool(media.width and media.height)
        and variant.width in settings.media_widths
        and (variant.ratio is None or variant.ratio in settings.media_ratios)
        and variant.ext in formats_of(media)
    )


def listed_widths(media: Media, ratio: tuple[int, int] | None, settings: Settings) -> list[int]:
    """Widths worth offering: those the source box has pixels for (at least the smallest)."""
    left, _top, right, _bottom = source_box(media, ratio)
    fitting = [w for w in settings.media_widths if w <= round(right - left)]
    return fitting or [settings.media_widths[0]]


def renditions(
    media: Media, api_root: str, settings: Settings, ratio: tuple[int, int] | None = None
) -> list[dict[str, Any]]:
    """The srcset-ready list of one shape: url, width, height and format of each rendition."""
    if media.content_type not in FORMATS or not (media.width and media.height):
        return []
    out = []
    for ext in formats_of(media):
        for width in listed_widths(media, ratio, settings):
            variant = Variant(width, ratio, ext)
            pixels_w, pixels_h = output_size(media, variant)
            out.append(
                {
                    "url": f"{api_root}/media/{media.id}/renditions/"
                    f"{rendition_name(media, variant)}",
                    "width": pixels_w,
                    "height": pixels_h,
                    "format": variant.content_type,
                }
            )
    return out


def crops(media: Media, api_root: str, settings: Settings) -> dict[str, list[dict[str, Any]]]:
    """Per configured ratio (``"1:1"``), the renditions cropped around the focal point."""
    if media.content_type not in FORMATS or not (media.width and media.height):
        return {}
    return {
        f"{w}:{h}": renditions(media, api_root, settings, (w, h)) for w, h in settings.media_ratios
    }


def render(data: bytes, media: Media, variant: Variant) -> bytes:
    """Make one rendition: orient, crop and scale in one resample, re-encode without any
    metadata (no EXIF, GPS, XMP, ICC or text chunks)."""
    width, height = output_size(media, variant)
    with Image.open(io.BytesIO(data)) as original:
        left, top, right, bottom = source_box(media, variant.ratio)
        if original.format == "JPEG":
            # Decode at a reduced scale when that still leaves enough pixels (much faster).
            scale = width / max(right - left, 1)
            need = (int(original.width * scale) + 1, int(original.height * scale) + 1)
            original.draft(original.mode, need)
        image = ImageOps.exif_transpose(original)
        factor_x = image.width / (media.width or image.width)
        factor_y = image.height / (media.height or image.height)
        box = (left * factor_x, top * factor_y, right * factor_x, bottom * factor_y)
        image = _normalise_mode(image, variant.ext)
        out = image.resize((width, height), Image.Resampling.LANCZOS, box=box)
    out.info = {}
    buffer = io.BytesIO()
    if variant.ext == "webp":
        out.save(buffer, "WEBP", quality=80, method=4)
    elif variant.ext == "jpg":
        out.save(buffer, "JPEG", quality=82, optimize=True, progressive=True)
    else:
        out.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def _normalise_mode(image: Image.Image, ext: str) -> Image.Image:
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    if ext == "jpg":
        return image.convert("RGB") if image.mode not in ("RGB", "L") else image
    if has_alpha:
        return image.convert("RGBA") if image.mode != "RGBA" else image
    return image.convert("RGB") if image.mode not in ("RGB", "L") else image
