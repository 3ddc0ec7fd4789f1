"""Image renditions: the configured widths in WebP and the original format, EXIF orientation
applied and every metadata stripped, crops around the focal point, immutable URLs, and no
size that is not configured."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from media_files import GPS_IFD, image_bytes, opened
from test_media import assert_problem, pdf_bytes
from test_media_library import patch, person_with_portrait, uploaded

from ifm_api import create_app
from ifm_api.config import ConfigError, load_settings

Token = Callable[..., dict[str, str]]
MEDIA = "/api/v1/media"
RED, BLUE = (230, 0, 0), (0, 0, 230)


def public_portrait(
    client: FlaskClient, token: Token, make_item: Callable[..., int], data: bytes, name: str
) -> tuple[dict[str, Any], int]:
    media = uploaded(client, token, data, name)
    person = person_with_portrait(make_item, media["id"])
    return media, person


def test_renditions_come_in_the_configured_widths_in_webp_and_the_original_format(
    client: FlaskClient, token: Token, make_item: Callable[..., int]
) -> None:
    media, person = public_portrait(client, token, make_item, image_bytes(2000, 1000), "p.jpg")
    portrait = client.get(f"/api/v1/people/{person}").get_json()["portrait"]
    listed = [(r["format"], r["width"], r["height"]) for r in portrait["renditions"]]
    assert listed == [
        *[("image/webp", w, w // 2) for w in (160, 320, 640, 1280)],
        *[("image/jpeg", w, w // 2) for w in (160, 320, 640, 1280)],
    ]
    assert portrait["renditions"] == media["renditions"]
    for rendition in portrait["renditions"]:
        response = client.get(rendition["url"])
        assert response.status_code == 200, rendition
        assert response.mimetype == rendition["format"]
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        image = opened(response.data)
        assert image.size == (rendition["width"], rendition["height"])
        assert image.format == {"image/webp": "WEBP", "image/jpeg": "JPEG"}[rendition["format"]]
    first = portrait["renditions"][0]["url"]
    again = client.get(first)
    assert client.get(first).data == again.data
    assert client.get(first, headers={"If-None-Match": again.headers["ETag"]}).status_code == 304
    square = portrait["crops"]["1:1"]
    # a 1000 x 1000 box: the widths it has pixels for, in both formats
    assert [(r["width"], r["height"]) for r in square] == [(w, w) for w in (160, 320, 640)] * 2


def test_renditions_are_stored_once_made(
    client: FlaskClient, token: Token, make_item: Callable[..., int], media_root: Path
) -> None:
    media, _person = public_portrait(
        client, token, make_item, image_bytes(800, 600, "PNG"), "p.png"
    )
    url = media["renditions"][0]["url"]
    assert client.get(url).status_code == 200
    name = url.rsplit("/", 1)[1]
    stored = media_root / "renditions" / media["sha256"][:2] / media["sha256"] / name
    assert stored.exists()
    assert client.get(url).data == stored.read_bytes()


def test_a_rendition_applies_exif_orientation_and_strips_gps_and_all_exif(
    client: FlaskClient, token: Token, make_item: Callable[..., int]
) -> None:
    data = image_bytes(400, 200, orientation=6, gps=True)
    assert opened(data).getexif().get_ifd(GPS_IFD)  # the original carries a position
    media, _person = public_portrait(client, token, make_item, data, "urlaub.jpg")
    for rendition in media["renditions"]:
        response = client.get(rendition["url"])
        image = opened(response.data)
        assert image.size == (160, 320)  # turned upright: portrait format
        assert len(image.getexif()) == 0
        assert "exif" not in image.info and "icc_profile" not in image.info
        assert b"Exif" not in response.data


def test_a_crop_centres_on_the_focal_point(
    client: FlaskClient, token: Token, make_item: Callable[..., int]
) -> None:
    data = image_bytes(400, 200, "PNG", halves=(RED, BLUE))
    media, person = public_portrait(client, token, make_item, data, "zwei.png")

    def square_colour() -> tuple[int, ...]:
        portrait = client.get(f"/api/v1/people/{person}").get_json()["portrait"]
        crop = next(r for r in portrait["crops"]["1:1"] if r["format"] == "image/png")
        image = opened(client.get(crop["url"]).data).convert("RGB")
        assert image.size == (160, 160)
        colours = {image.getpixel((x, y)) for x in (2, 80, 157) for y in (2, 157)}
        assert len(colours) == 1, colours
        return colours.pop()

    centred = client.get(f"/api/v1/people/{person}").get_json()["portrait"]["crops"]["1:1"]
    mixed = opened(client.get(centred[0]["url"]).data).convert("RGB")
    assert mixed.getpixel((5, 80)) != mixed.getpixel((155, 80))  # the centre shows both halves

    assert (
        patch(client, token, media["id"], {"focal_point": {"x": 0.9, "y": 0.5}}).status_code == 200
    )
    assert square_colour() == BLUE
    assert (
        patch(client, token, media["id"], {"focal_point": {"x": 0.1, "y": 0.5}}).status_code == 200
    )
    assert square_colour() == RED

    moved = client.get(centred[0]["url"])  # the crop's former URL
    assert moved.status_code == 301
    current = client.get(f"/api/v1/people/{person}").get_json()["portrait"]["crops"]["1:1"]
    assert moved.headers["Location"] == current[0]["url"]
    # the full image does not depend on the focal point: its URLs stay
    assert client.get(media["renditions"][0]["url"]).status_code == 200


def test_only_configured_renditions_exist(
    client: FlaskClient, token: Token, make_item: Callable[..., int]
) -> None:
    media, _person = public_portrait(client, token, make_item, image_bytes(600, 400), "p.jpg")
    good = media["renditions"][0]["url"]
    base, name = good.rsplit("/", 1)
    fingerprint = name.split(".")[1]
    for other in (
        f"500w.{fingerprint}.webp",  # a width that is not configured
        f"160w-3x2.{fingerprint}.webp",  # a ratio that is not configured
        f"160w.{fingerprint}.png",  # not the original's format
        "160w.webp",
        "../../1/x.pdf",
        f"99999w.{fingerprint}.webp",
    ):
        response = client.get(f"{base}/{other}")
        assert response.status_code == 404, other
    body = assert_problem(client.get(f"{base}/500w.{fingerprint}.webp"), 404)
    assert body["type"].endswith("rendition_not_found")
    assert "160, 320, 640, 1280" in body["detail"]
    assert client.get(good).status_code == 200


def test_a_small_image_is_never_enlarged(
    client: FlaskClient, token: Token, make_item: Callable[..., int]
) -> None:
    media, _person = public_portrait(client, token, make_item, image_bytes(100, 50), "klein.jpg")
    assert [(r["width"], r["height"]) for r in media["renditions"]] == [(100, 50), (100, 50)]
    assert opened(client.get(media["renditions"][0]["url"]).data).size == (100, 50)


def test_renditions_of_a_file_the_public_may_not_see_are_404(
    client: FlaskClient, token: Token
) -> None:
    media = uploaded(client, token, image_bytes(300, 200), "entwurf.jpg")
    url = media["renditions"][0]["url"]
    assert_problem(client.get(url), 404)
    with_token = client.get(url, headers=token("preview"))
    assert with_token.status_code == 200
    assert with_token.headers["Cache-Control"].startswith("private")


def test_pdfs_have_no_renditions(
    client: FlaskClient, token: Token, make_item: Callable[..., int]
) -> None:
    media = uploaded(client, token, pdf_bytes("keine"), "k.pdf")
    assert "renditions" not in media
    response = client.get(
        f"{MEDIA}/{media['id']}/renditions/160w.0123456789ab.webp", headers=token("preview")
    )
    assert_problem(response, 404)


def test_widths_and_ratios_come_from_the_configuration(
    database_url: str, media_root: Path, token: Token, make_item: Callable[..., int]
) -> None:
    settings = {
        "DATABASE_URL": database_url,
        "IFM_MEDIA_ROOT": str(media_root),
        "IFM_MEDIA_WIDTHS": "200,100",
        "IFM_MEDIA_RATIOS": "",
    }
    client = create_app(load_settings(settings)).test_client()
    media = uploaded(client, token, image_bytes(300, 300, "WEBP"), "p.webp")
    assert [(r["format"], r["width"]) for r in media["renditions"]] == [
        ("image/webp", 100),
        ("image/webp", 200),
    ]
    assert media["crops"] == {}
    base = media["renditions"][0]["url"].rsplit("/", 2)[0]
    assert client.get(f"{base}/renditions/160w-1x1.0123456789ab.webp").status_code == 404


def test_bad_rendition_settings_stop_start_up() -> None:
    for name, value in (
        ("IFM_MEDIA_WIDTHS", "160,big"),
        ("IFM_MEDIA_WIDTHS", "4"),
        ("IFM_MEDIA_RATIOS", "16-9"),
        ("IFM_MEDIA_RATIOS", "0:1"),
        ("IFM_MEDIA_MAX_PIXELS", "0"),
    ):
        with pytest.raises(ConfigError, match=name):
            load_settings({name: value})
