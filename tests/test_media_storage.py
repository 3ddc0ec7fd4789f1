"""Storage of uploads: atomic writes under parallel identical uploads, no leftovers after a
failed write, `ifm-api media gc`, and hard deletes taking the files no other item uses."""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from flask import Flask
from flask.testing import FlaskClient
from media_files import image_bytes
from sqlalchemy import func, select
from test_media import pdf_bytes, png_bytes, upload

from ifm_api import create_app
from ifm_api.cli import main
from ifm_api.config import load_settings
from ifm_api.core import db
from ifm_api.core.media import store_file
from ifm_api.core.models import Media

Token = Callable[..., dict[str, str]]
MEDIA = "/api/v1/media"


def stored_files(media_root: Path, digest: str) -> list[Path]:
    """Everything in the shard directory that belongs to these bytes (temporary files too)."""
    shard = media_root / digest[:2]
    return sorted(p for p in shard.iterdir() if digest in p.name) if shard.exists() else []


def big_pdf(round_number: int, size: int = 2 * 1024 * 1024) -> bytes:
    """A PDF of about ``size`` bytes, distinct per round (a comment pads it)."""
    base = pdf_bytes(f"Runde {round_number}")
    return base + b"%" + bytes([65 + round_number % 26]) * (size - len(base)) + b"\n"


def media_rows(app: Flask, digest: str | None = None) -> int:
    with app.app_context():
        query = select(func.count()).select_from(Media)
        if digest is not None:
            query = query.where(Media.sha256 == digest)
        return db.session().scalar(query) or 0


# --- parallel identical uploads ---------------------------------------------------------------


def test_parallel_identical_uploads_all_succeed_with_one_complete_file(
    app: Flask, token: Token, media_root: Path
) -> None:
    """8 threads upload the same bytes at the same moment, 15 rounds: every upload gets a 201,
    and each content is stored exactly once with the right SHA-256 (no temporary files)."""
    headers = token("editor")
    writers, rounds = 8, 15
    statuses: list[int] = []
    lock = threading.Lock()
    for round_number in range(rounds):
        data = big_pdf(round_number)
        digest = hashlib.sha256(data).hexdigest()
        barrier = threading.Barrier(writers)

        def send(data: bytes = data, barrier: threading.Barrier = barrier) -> None:
            client = app.test_client()
            barrier.wait()
            response = upload(client, headers, data, "bericht.pdf")
            with lock:
                statuses.append(response.status_code)

        threads = [threading.Thread(target=send) for _ in range(writers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        files = stored_files(media_root, digest)
        assert [path.name for path in files] == [digest], files
        assert hashlib.sha256(files[0].read_bytes()).hexdigest() == digest
        assert media_rows(app, digest) == writers
    assert statuses == [201] * (writers * rounds)


def test_upload_replaces_a_truncated_file_left_by_an_old_write(
    client: FlaskClient, token: Token, media_root: Path
) -> None:
    data = pdf_bytes("abgeschnitten")
    digest = hashlib.sha256(data).hexdigest()
    (media_root / digest[:2]).mkdir(parents=True, exist_ok=True)
    (media_root / digest[:2] / digest).write_bytes(data[:10])
    response = upload(client, token("editor"), data, "a.pdf")
    assert response.status_code == 201
    assert (media_root / digest[:2] / digest).read_bytes() == data


# --- failed writes leave nothing ---------------------------------------------------------------


def test_upload_on_a_full_disk_is_507_and_leaves_no_file_and_no_row(
    app: Flask, client: FlaskClient, token: Token, media_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file system refuses the data (ENOSPC at fsync, as delayed allocation reports it)."""
    real_fsync = os.fsync

    def full_disk_fsync(fd: int) -> None:
        if stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.ENOSPC, "No space left on device")
        real_fsync(fd)

    data = pdf_bytes("voll")
    digest = hashlib.sha256(data).hexdigest()
    headers = token("editor")
    monkeypatch.setattr(os, "fsync", full_disk_fsync)
    response = upload(client, {**headers, "Accept-Language": "en"}, data, "voll.pdf")
    monkeypatch.setattr(os, "fsync", real_fsync)
    assert response.status_code == 507
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["type"].endswith("storage_full")
    assert body["detail"] == "There is no room to store the file now; nothing was stored."
    assert stored_files(media_root, digest) == []
    assert media_rows(app) == 0
    assert upload(client, headers, data, "voll.pdf").status_code == 201


# --- ifm-api media gc --------------------------------------------------------------------------


def gc(app: Flask, *args: str) -> Result:
    return app.test_cli_runner().invoke(main, ["media", "gc", *args])


def age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


@pytest.fixture
def own_media_app(database_url: str, tmp_path: Path) -> Flask:
    """An app with a media root of its own, so only this test's files are in it."""
    settings = {"DATABASE_URL": database_url, "IFM_MEDIA_ROOT": str(tmp_path / "media")}
    return create_app(load_settings(settings))


def test_media_gc_removes_unreferenced_files_and_reports_missing_ones(
    own_media_app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLASK_SKIP_DOTENV", "1")
    app, media_root = own_media_app, tmp_path / "media"
    with app.app_context(), db.transaction():
        kept = store_file(pdf_bytes("behalten"), "kept.pdf", "application/pdf", author="t")
        lost = store_file(pdf_bytes("verloren"), "lost.pdf", "application/pdf", author="t")
    kept_path = media_root / kept.sha256[:2] / kept.sha256
    lost_path = media_root / lost.sha256[:2] / lost.sha256
    lost_path.unlink()  # e.g. restored from an older backup
    orphan_data = pdf_bytes("verwaist")
    orphan_digest = hashlib.sha256(orphan_data).hexdigest()
    orphan = media_root / orphan_digest[:2] / orphan_digest  # killed before its commit
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes(orphan_data)
    leftover = kept_path.parent / f".{kept.sha256}.x1y2.part"  # killed during a write
    leftover.write_bytes(b"%PDF-")
    young_data = pdf_bytes("jung")
    young_digest = hashlib.sha256(young_data).hexdigest()
    young = media_root / young_digest[:2] / young_digest  # an upload still in flight
    young.parent.mkdir(parents=True, exist_ok=True)
    young.write_bytes(young_data)
    for path in (orphan, leftover):
        age(path, 2 * 3600)

    dry = gc(app, "--dry-run")
    assert orphan.exists() and leftover.exists()
    assert f"would remove {orphan_digest[:2]}/{orphan_digest}" in dry.stdout

    result = gc(app)
    assert result.exit_code == 1  # a row has lost its file
    assert not orphan.exists()
    assert not leftover.exists()
    assert young.exists()
    assert kept_path.read_bytes() == pdf_bytes("behalten")
    assert f"missing file of media {lost.id} (lost.pdf, sha256 {lost.sha256})" in result.stdout
    assert f"removed {orphan_digest[:2]}/{orphan_digest}" in result.stdout
    assert "removed 2 file(s), kept 1 younger than 60 min, 1 row(s)" in result.stderr

    assert gc(app, "--grace-minutes", "0").exit_code == 1
    assert not young.exists()


# --- hard delete takes the files no other item uses ------------------------------------------


def report_with_files(make_item: Callable[..., int], title: str, *media_ids: int) -> int:
    return make_item(
        "reports",
        {
            "translations": {"de": {"title": title}},
            "files": [{"media_id": media_id, "lang": "de"} for media_id in media_ids],
        },
    )


def hard_delete(client: FlaskClient, token: Token, resource: str, item: int) -> None:
    headers = {**token("admin"), "If-Match": "*"}
    response = client.delete(f"/api/v1/{resource}/{item}?hard=true", headers=headers)
    assert response.status_code == 204


def uploaded_id(client: FlaskClient, headers: dict[str, str], data: bytes, name: str) -> Any:
    response = upload(client, headers, data, name)
    assert response.status_code == 201
    return response.get_json()


def test_hard_delete_removes_the_items_own_files_and_keeps_shared_ones(
    app: Flask,
    client: FlaskClient,
    token: Token,
    media_root: Path,
    make_item: Callable[..., int],
) -> None:
    editor = token("editor")
    own = uploaded_id(client, editor, pdf_bytes("eigen"), "eigen.pdf")
    shared = uploaded_id(client, editor, pdf_bytes("geteilt"), "geteilt.pdf")
    same_bytes = uploaded_id(client, editor, pdf_bytes("gleich"), "gleich.pdf")
    twin = uploaded_id(client, editor, pdf_bytes("gleich"), "zwilling.pdf")
    doomed = report_with_files(make_item, "Weg", own["id"], shared["id"], same_bytes["id"])
    other = report_with_files(make_item, "Bleibt", shared["id"])

    hard_delete(client, token, "reports", doomed)

    preview = token("preview")
    assert client.get(own["url"], headers=preview).status_code == 404
    assert client.get(f"{MEDIA}/{own['id']}/info", headers=preview).status_code == 404
    assert stored_files(media_root, own["sha256"]) == []
    # used by another report: row and bytes stay
    assert client.get(shared["url"]).data == pdf_bytes("geteilt")
    # its row goes, but another row has the same bytes: the file stays for that one
    assert client.get(same_bytes["url"], headers=preview).status_code == 404
    assert client.get(twin["url"], headers=preview).data == pdf_bytes("gleich")
    assert media_rows(app) == 2  # shared and twin
    assert client.get(f"/api/v1/reports/{other}").get_json()["files"][0]["media_id"] == shared["id"]


def test_hard_delete_of_a_person_removes_the_portrait(
    app: Flask, client: FlaskClient, token: Token, media_root: Path, make_item: Callable[..., int]
) -> None:
    portrait = uploaded_id(client, token("editor"), png_bytes(), "portrait.png")
    person = make_item(
        "people",
        {
            "given_name": "Ada",
            "family_name": "Weg",
            "portrait_id": portrait["id"],
            "translations": {"de": {}},
        },
    )
    hard_delete(client, token, "people", person)
    assert media_rows(app) == 0
    assert stored_files(media_root, portrait["sha256"]) == []


def test_soft_delete_keeps_the_files(
    app: Flask, client: FlaskClient, token: Token, make_item: Callable[..., int]
) -> None:
    own = uploaded_id(client, token("editor"), pdf_bytes("weich"), "weich.pdf")
    report = report_with_files(make_item, "Weich", own["id"])
    etag = client.get(f"/api/v1/reports/{report}?lang=all&version=draft", headers=token("editor"))
    response = client.delete(
        f"/api/v1/reports/{report}", headers={**token("editor"), "If-Match": etag.headers["ETag"]}
    )
    assert response.status_code == 204
    assert media_rows(app) == 1


def test_media_gc_removes_renditions_no_file_names_any_more(
    own_media_app: Flask, tmp_path: Path, token: Token, make_item: Callable[..., int]
) -> None:
    """A crop made before a focal point change is never asked for again: gc removes it."""
    client = own_media_app.test_client()
    editor = token("editor")
    media = upload(client, editor, image_bytes(400, 200, "PNG"), "p.png").get_json()
    make_item(
        "people",
        {
            "given_name": "A",
            "family_name": "B",
            "portrait_id": media["id"],
            "translations": {"de": {}},
        },
    )
    old_crop = media["crops"]["1:1"][0]["url"]
    full = media["renditions"][0]["url"]
    assert client.get(old_crop).status_code == 200
    assert client.get(full).status_code == 200
    etag = client.get(f"{MEDIA}/{media['id']}/info", headers=editor).headers["ETag"]
    changed = client.patch(
        f"{MEDIA}/{media['id']}",
        json={"focal_point": {"x": 0.9, "y": 0.5}},
        headers={**editor, "If-Match": etag},
    )
    new_crop = changed.get_json()["crops"]["1:1"][0]["url"]
    assert client.get(new_crop).status_code == 200
    folder = tmp_path / "media" / "renditions" / media["sha256"][:2] / media["sha256"]
    names = {url.rsplit("/", 1)[1] for url in (old_crop, new_crop, full)}
    assert names <= {path.name for path in folder.iterdir()}

    result = gc(own_media_app)
    assert result.exit_code == 0, result.output
    assert {path.name for path in folder.iterdir() if path.name != ".lock"} == names - {
        old_crop.rsplit("/", 1)[1]
    }
