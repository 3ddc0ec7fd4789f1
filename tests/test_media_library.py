"""The media library: listing with filters and users, metadata per language (with fallback
in the items' public reads), deleting unused files, image checks and PDF metadata at upload,
and the URLs (wrong name 301, unknown id 404)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from media_files import image_bytes, pdf_document, png_claiming
from test_media import assert_problem, media_count, pdf_bytes, upload

Token = Callable[..., dict[str, str]]
MEDIA = "/api/v1/media"


def uploaded(client: FlaskClient, token: Token, data: bytes, name: str) -> dict[str, Any]:
    response = upload(client, token("editor"), data, name)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def patch(
    client: FlaskClient, token: Token, media_id: int, body: dict[str, Any], etag: str | None = None
) -> Any:
    headers = token("editor")
    if etag is None:
        etag = client.get(f"{MEDIA}/{media_id}/info", headers=headers).headers["ETag"]
    return client.patch(f"{MEDIA}/{media_id}", json=body, headers={**headers, "If-Match": etag})


def person_with_portrait(make_item: Callable[..., int], media_id: int, **kwargs: Any) -> int:
    data = {
        "given_name": "Ada",
        "family_name": "Lovelace",
        "portrait_id": media_id,
        "translations": {"de": {"position": "Forscherin"}, "en": {"position": "Researcher"}},
    }
    return make_item("people", data, **kwargs)


def report_with_file(make_item: Callable[..., int], media_id: int, **kwargs: Any) -> int:
    data = {
        "translations": {"de": {"title": "Jahresbericht"}, "en": {"title": "Annual report"}},
        "files": [{"media_id": media_id, "lang": "de"}],
    }
    return make_item("reports", data, **kwargs)


def ids(response: Any) -> list[int]:
    return [item["id"] for item in response.get_json()["items"]]


# --- listing ---------------------------------------------------------------------------------


def test_preview_lists_media_with_filters_and_the_items_using_them(
    client: FlaskClient, token: Token, make_item: Callable[..., int]
) -> None:
    portrait = uploaded(client, token, image_bytes(300, 400), "ada.jpg")
    used_pdf = uploaded(client, token, pdf_bytes("benutzt"), "studie.pdf")
    unused_pdf = uploaded(client, token, pdf_bytes("frei"), "entwurf.pdf")
    person = person_with_portrait(make_item, portrait["id"])
    report = report_with_file(make_item, used_pdf["id"], publish=False)
    assert (
        patch(
            client, token, unused_pdf["id"], {"translations": {"de": {"title": "Gründungsatlas"}}}
        ).status_code
        == 200
    )
    preview = {**token("preview"), "Accept-Language": "en"}

    everything = client.get(MEDIA, headers=preview)
    assert everything.status_code == 200
    assert ids(everything) == [unused_pdf["id"], used_pdf["id"], portrait["id"]]
    assert everything.get_json()["meta"] == {"page": 1, "page_size": 20, "total": 3, "pages": 1}
    assert everything.headers["Cache-Control"].startswith("private")
    by_id = {item["id"]: item for item in everything.get_json()["items"]}
    assert by_id[portrait["id"]]["used_by"] == [
        {
            "id": person,
            "type": "person",
            "label": "Ada Lovelace",
            "url": f"http://localhost/api/v1/people/{person}",
            "deleted": False,
        }
    ]
    assert by_id[used_pdf["id"]]["used_by"][0]["label"] == "Annual report"  # a draft counts
    assert by_id[unused_pdf["id"]]["used_by"] == []

    assert ids(client.get(f"{MEDIA}?type=image", headers=preview)) == [portrait["id"]]
    documents = client.get(f"{MEDIA}?type=document", headers=preview)
    assert ids(documents) == [unused_pdf["id"], used_pdf["id"]]
    assert ids(client.get(f"{MEDIA}?unused=true", headers=preview)) == [unused_pdf["id"]]
    in_use = client.get(f"{MEDIA}?unused=false", headers=preview)
    assert ids(in_use) == [used_pdf["id"], portrait["id"]]
    assert ids(client.get(f"{MEDIA}?q=GRÜNDUNGS", headers=preview)) == [unused_pdf["id"]]
    assert ids(client.get(f"{MEDIA}?q=studie", headers=preview)) == [used_pdf["id"]]
    assert ids(client.get(f"{MEDIA}?q=%25", headers=preview)) == []  # LIKE wildcards are text

    paged = client.get(f"{MEDIA}?page_size=1&page=2", headers=preview)
    assert ids(paged) == [used_pdf["id"]]
    assert paged.get_json()["meta"]["pages"] == 3
    assert 'rel="next"' in paged.headers["Link"] and 'rel="prev"' in paged.headers["Link"]
    assert report


def test_media_list_needs_a_token_and_valid_filters(client: FlaskClient, token: Token) -> None:
    assert_problem(client.get(MEDIA), 401)
    body = assert_problem(client.get(f"{MEDIA}?type=video", headers=token("preview")), 400)
    assert "type" in body["errors"]


# --- metadata ----------------------------------------------------------------------------------


def test_editor_sets_alt_text_per_language_and_a_persons_read_falls_back(
    client: FlaskClient, token: Token, make_item: Callable[..., int]
) -> None:
    portrait = uploaded(client, token, image_bytes(300, 400), "ada.jpg")
    person = person_with_portrait(make_item, portrait["id"])
    info = client.get(f"{MEDIA}/{portrait['id']}/info", headers=token("editor"))
    changed = patch(
        client,
        token,
        portrait["id"],
        {
            "translations": {
                "de": {"alt": "Ada Lovelace am Schreibtisch", "caption": "Im Institut, 2024"},
                "en": {"alt": "Ada Lovelace at her desk"},
            },
            "license": "CC BY 4.0",
            "focal_point": {"x": 0.5, "y": 0.25},
        },
        etag=info.headers["ETag"],
    )
    assert changed.status_code == 200
    assert changed.headers["ETag"] != info.headers["ETag"]
    body = changed.get_json()
    assert body["version"] == 2
    assert body["translations"]["en"] == {
        "title": None,
        "alt": "Ada Lovelace at her desk",
        "caption": None,
        "credit": None,
    }
    assert body["focal_point"] == {"x": 0.5, "y": 0.25}

    english = client.get(f"/api/v1/people/{person}?lang=en").get_json()["portrait"]
    assert english["alt"] == "Ada Lovelace at her desk"
    assert english["alt_lang"] == "en"
    assert english["caption"] == "Im Institut, 2024"  # falls back to German
    assert english["fallback_fields"] == ["caption"]
    assert english["license"] == "CC BY 4.0"
    assert english["focal_point"] == {"x": 0.5, "y": 0.25}
    german = client.get(f"/api/v1/people/{person}?lang=de").get_json()["portrait"]
    assert german["alt"] == "Ada Lovelace am Schreibtisch"
    assert german["fallback_fields"] == []
    strict = client.get(f"/api/v1/people/{person}?lang=en&fallback=false").get_json()
    assert strict["portrait"]["caption"] is None

    removed = patch(client, token, portrait["id"], {"translations": {"en": None}})
    assert set(removed.get_json()["translations"]) == {"de"}
    again = client.get(f"/api/v1/people/{person}?lang=en").get_json()["portrait"]
    assert again["alt"] == "Ada Lovelace am Schreibtisch"
    assert again["alt_lang"] == "de"


def test_editor_patch_needs_if_match_and_a_stale_one_is_412(
    client: FlaskClient, token: Token, app: Flask
) -> None:
    media = uploaded(client, token, image_bytes(40, 40), "a.jpg")
    url = f"{MEDIA}/{media['id']}"
    body = {"license": "CC0"}
    assert_problem(client.patch(url, json=body, headers=token("editor")), 428)
    etag = client.get(f"{url}/info", headers=token("editor")).headers["ETag"]
    assert patch(client, token, media["id"], body, etag=etag).status_code == 200
    assert_problem(patch(client, token, media["id"], {"license": "x"}, etag=etag), 412)
    assert_problem(client.patch(url, json=body), 401)
    preview = {**token("preview"), "If-Match": etag}
    assert_problem(client.patch(url, json=body, headers=preview), 403)
    assert_problem(patch(client, token, 999999, body, etag=etag), 404)


def test_editor_patch_with_bad_metadata_gets_422(client: FlaskClient, token: Token) -> None:
    image = uploaded(client, token, image_bytes(40, 40), "a.jpg")
    document = uploaded(client, token, pdf_bytes("meta"), "a.pdf")
    cases = [
        (image, {"focal_point": {"x": 1.5, "y": 0.5}}, "focal_point.x"),
        (image, {"translations": {"fr": {"alt": "x"}}}, "translations.fr"),
        (image, {"translations": {"de": {"alt": "x" * 1001}}}, "translations.de.alt"),
        (image, {"owner": "me"}, "owner"),
        (document, {"translations": {"de": {"alt": "Text"}}}, "translations.de.alt"),
        (document, {"focal_point": {"x": 0.5, "y": 0.5}}, "focal_point"),
    ]
    for media, body, path in cases:
        problem = assert_problem(patch(client, token, media["id"], body), 422)
        assert path in problem["errors"], (body, problem["errors"])


def test_the_info_body_can_be_sent_back_as_a_patch(client: FlaskClient, token: Token) -> None:
    media = uploaded(client, token, image_bytes(40, 40), "a.jpg")
    first = patch(client, token, media["id"], {"translations": {"de": {"title": "Bild"}}})
    again = patch(client, token, media["id"], first.get_json(), etag=first.headers["ETag"])
    assert again.status_code == 200
    assert again.get_json()["translations"] == first.get_json()["translations"]


# --- deletion ----------------------------------------------------------------------------------


def test_editor_deletes_an_unused_file_and_its_bytes(
    client: FlaskClient, token: Token, app: Flask, media_root: Path
) -> None:
    media = uploaded(client, token, pdf_bytes("löschen"), "weg.pdf")
    stored = media_root / media["sha256"][:2] / media["sha256"]
    assert stored.exists()
    assert_problem(client.delete(f"{MEDIA}/{media['id']}", headers=token("preview")), 403)
    response = client.delete(f"{MEDIA}/{media['id']}", headers=token("editor"))
    assert response.status_code == 204
    assert media_count(app) == 0
    assert not stored.exists()
    assert_problem(client.get(media["url"], headers=token("preview")), 404)
    assert_problem(client.delete(f"{MEDIA}/{media['id']}", headers=token("editor")), 404)


def test_delete_with_stale_if_match_is_412(client: FlaskClient, token: Token) -> None:
    media = uploaded(client, token, pdf_bytes("alt"), "alt.pdf")
    headers = {**token("editor"), "If-Match": '"stale"'}
    assert_problem(client.delete(f"{MEDIA}/{media['id']}", headers=headers), 412)


def test_delete_of_a_used_file_is_409_naming_the_items(
    client: FlaskClient, token: Token, app: Flask, make_item: Callable[..., int]
) -> None:
    media = uploaded(client, token, image_bytes(60, 80), "portrait.jpg")
    person = person_with_portrait(make_item, media["id"])
    report_pdf = uploaded(client, token, pdf_bytes("bericht"), "bericht.pdf")
    report = report_with_file(make_item, report_pdf["id"])
    headers = {**token("editor"), "Accept-Language": "en"}
    response = client.delete(f"{MEDIA}/{media['id']}", headers=headers)
    body = assert_problem(response, 409)
    assert body["type"].endswith("media_in_use")
    assert body["used_by"] == [
        {
            "id": person,
            "type": "person",
            "label": "Ada Lovelace",
            "url": f"http://localhost/api/v1/people/{person}",
            "deleted": False,
        }
    ]
    assert f"person {person} “Ada Lovelace”" in body["detail"]
    pdf_problem = assert_problem(client.delete(f"{MEDIA}/{report_pdf['id']}", headers=headers), 409)
    assert pdf_problem["used_by"][0]["id"] == report
    assert media_count(app) == 2


# --- uploads: images are checked, PDFs read ---------------------------------------------------


def test_upload_of_a_decompression_bomb_is_422(
    client: FlaskClient, token: Token, app: Flask
) -> None:
    bomb = png_claiming(50_000, 50_000)
    assert len(bomb) < 200
    response = upload(client, {**token("editor"), "Accept-Language": "en"}, bomb, "bomb.png")
    body = assert_problem(response, 422)
    assert body["type"].endswith("image_too_large")
    assert body["detail"] == "The image has more pixels than accepted (at most 40,000,000)."
    assert media_count(app) == 0


def test_upload_beyond_the_configured_pixel_cap_is_422(
    client: FlaskClient, token: Token, app: Flask, monkeypatch: Any
) -> None:
    from dataclasses import replace

    monkeypatch.setitem(app.config, "IFM", replace(app.config["IFM"], media_max_pixels=10_000))
    response = upload(client, token("editor"), image_bytes(101, 100, "PNG"), "big.png")
    assert assert_problem(response, 422)["type"].endswith("image_too_large")
    assert (
        upload(client, token("editor"), image_bytes(100, 100, "PNG"), "ok.png").status_code == 201
    )


def test_upload_of_a_truncated_jpeg_is_422(client: FlaskClient, token: Token, app: Flask) -> None:
    whole = image_bytes(400, 300)
    response = upload(client, token("editor"), whole[: len(whole) // 2], "cut.jpg")
    body = assert_problem(response, 422)
    assert body["type"].endswith("image_unreadable")
    assert "file" in body["errors"]
    assert media_count(app) == 0


def test_upload_reads_an_images_size_with_exif_orientation(
    client: FlaskClient, token: Token
) -> None:
    rotated = uploaded(client, token, image_bytes(400, 200, orientation=6), "hoch.jpg")
    assert (rotated["width"], rotated["height"]) == (200, 400)


def test_upload_reads_a_pdfs_pages_title_and_language_and_a_report_shows_them(
    client: FlaskClient, token: Token, make_item: Callable[..., int]
) -> None:
    data = pdf_document(3, title="Gründungsatlas 2024", lang="de-DE")
    body = uploaded(client, token, data, "atlas.pdf")
    assert body["page_count"] == 3
    assert body["document_title"] == "Gründungsatlas 2024"
    assert body["document_lang"] == "de-DE"
    assert body["warnings"] == []
    report = report_with_file(make_item, body["id"])
    file = client.get(f"/api/v1/reports/{report}").get_json()["files"][0]
    assert file["page_count"] == 3
    assert file["size"] == len(data)


def test_upload_of_an_encrypted_pdf_is_accepted_with_a_warning(
    client: FlaskClient, token: Token
) -> None:
    data = pdf_document(2, title="Geheim", password="geheim")
    response = upload(client, {**token("editor"), "Accept-Language": "de"}, data, "geheim.pdf")
    assert response.status_code == 201
    body = response.get_json()
    assert body["page_count"] is None
    assert body["warnings"] == [
        {
            "code": "pdf_encrypted",
            "message": "Das PDF ist verschlüsselt; Seiten, Titel und Sprache wurden nicht gelesen.",
        }
    ]


def test_upload_of_a_broken_pdf_is_accepted_with_a_warning(
    client: FlaskClient, token: Token
) -> None:
    body = uploaded(client, token, b"%PDF-1.7\n" + b"\x00garbage" * 50, "kaputt.pdf")
    assert body["page_count"] is None
    assert [warning["code"] for warning in body["warnings"]] == ["pdf_unreadable"]


# --- URLs ----------------------------------------------------------------------------------------


def test_a_wrong_filename_redirects_to_the_right_one(
    client: FlaskClient, token: Token, make_item: Callable[..., int]
) -> None:
    media = uploaded(client, token, pdf_bytes("umzug"), "richtig.pdf")
    report_with_file(make_item, media["id"])
    response = client.get(f"{MEDIA}/{media['id']}/falsch.pdf?lang=en")
    assert response.status_code == 301
    assert response.headers["Location"] == f"{media['url']}?lang=en"
    assert client.get(media["url"]).status_code == 200
    assert_problem(client.get(f"{MEDIA}/{media['id'] + 1000}/richtig.pdf"), 404)


def test_media_list_queries_do_not_grow_with_page_size(
    client: FlaskClient, token: Token, make_item: Callable[..., int], count_queries: Any
) -> None:
    for number in range(4):
        media = uploaded(client, token, image_bytes(20 + number, 20), f"p{number}.jpg")
        person_with_portrait(make_item, media["id"])
        pdf = uploaded(client, token, pdf_bytes(f"n{number}"), f"r{number}.pdf")
        report_with_file(make_item, pdf["id"])
    headers = token("preview")

    def measure(url: str) -> int:
        with count_queries() as counter:
            assert client.get(url, headers=headers).status_code == 200
        return counter.count

    # page 1 of 2 holds a PDF and an image: each type with files costs its two queries
    assert measure(f"{MEDIA}?page_size=2") == measure(f"{MEDIA}?page_size=100")
