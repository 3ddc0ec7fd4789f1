"""Backups: taken while writes go on, restored into a fresh SQLite file and a fresh PostgreSQL
database serving the same public reads as the source at the snapshot's moment; ``--verify``
finds every kind of damage; a non-empty database is refused without ``--force``."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import tarfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import Result
from flask import Flask
from sqlalchemy.engine import make_url
from test_media import pdf_bytes, uploaded

from ifm_api import create_app
from ifm_api.cli import main
from ifm_api.config import load_settings
from ifm_api.core import db
from ifm_api.core.content import REGISTRY
from ifm_api.core.editing import create_item, publish_item
from ifm_api.ops.backup import database_tables

Token = Callable[..., dict[str, str]]
RESTORE_DB = f"test_ops_restore_{os.getpid()}"  # per run: two suites may run at once


def cli(app: Flask, *args: str | Path) -> Result:
    return app.test_cli_runner().invoke(main, [str(arg) for arg in args])


def instance(url: str, media_root: Path) -> Flask:
    env = {
        "DATABASE_URL": url,
        "IFM_MEDIA_ROOT": str(media_root),
        "IFM_SITE_URL": "https://www.ifm.example",  # as the source (conftest)
    }
    app = create_app(load_settings(env))
    app.config["TESTING"] = True
    return app


# --- what the public reads -----------------------------------------------------------------


def public_reads(app: Flask, count: int) -> dict[str, tuple[int, str | None, bytes]]:
    """The public answers that depend on the content: lists, every detail, feed, sitemap."""
    client = app.test_client()
    urls = [
        "/api/v1/news?page_size=100",
        "/api/v1/news?page_size=100&lang=en",
        "/api/v1/reports",
        "/sitemap.xml",
    ]
    items = client.get("/api/v1/news?page_size=100").get_json()["items"]
    assert len(items) == count
    urls += [f"/api/v1/news/{item['id']}" for item in items]
    reads = {}
    for url in urls:
        response = client.get(url, headers={"X-Request-ID": "backup-test"})
        reads[url] = (response.status_code, response.headers.get("ETag"), response.data)
    return reads


class Writer(threading.Thread):
    """Creates and publishes one news item after another; after each, records the reads."""

    def __init__(self, app: Flask) -> None:
        super().__init__(daemon=True)
        self.app = app
        self.done = 0
        self.expected: dict[int, dict[str, tuple[int, str | None, bytes]]] = {}
        self.stop_after: int | None = None
        self.error: BaseException | None = None

    def write(self, n: int) -> None:
        spec = REGISTRY["news"]
        data = {"translations": {"de": {"title": f"Meldung {n}"}, "en": {"title": f"News {n}"}}}
        with self.app.app_context(), db.transaction():
            entity = create_item(spec, data, author="writer")
            publish_item(
                spec,
                entity,
                languages=None,
                publish_at=None,
                expected_version=entity.version,
                author="writer",
            )

    def run(self) -> None:
        try:
            n = 0
            while self.stop_after is None or n < self.stop_after:
                n += 1
                self.write(n)
                self.expected[n] = public_reads(self.app, n)
                self.done = n
                if n > 200:
                    raise RuntimeError("the writer was never stopped")
        except BaseException as exc:  # reported by the test
            self.error = exc


def wait_for(predicate: Callable[[], bool], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.02)


def backups_during_writes(app: Flask, tmp_path: Path) -> tuple[Writer, list[Path]]:
    """Two archives (the default route and --portable) taken while the writer writes."""
    writer = Writer(app)
    writer.start()
    archives = []
    try:
        for name, extra in (("default", []), ("portable", ["--portable"])):
            before = writer.done
            wait_for(lambda before=before: writer.done >= before + 3 or writer.error is not None)
            archive = tmp_path / f"{name}.tar.gz"
            result = cli(app, "backup", *extra, archive)
            assert result.exit_code == 0, result.output
            archives.append(archive)
        taken = writer.done
        writer.stop_after = taken + 3  # and writes go on after the last backup
    finally:
        if writer.stop_after is None:
            writer.stop_after = 0
        writer.join(120)
    assert writer.error is None, writer.error
    return writer, archives


def restored_count(app: Flask) -> int:
    body = app.test_client().get("/api/v1/news?page_size=100").get_json()
    return int(body["meta"]["total"]) if "meta" in body else len(body["items"])


@pytest.fixture
def scratch_postgres(database_url: str) -> Iterator[str | None]:
    """A fresh PostgreSQL database on the test server, dropped afterwards (None if none)."""
    server = (
        os.environ.get("TEST_DATABASE_URL") or "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )
    admin_url = make_url(server).set(database="postgres", drivername="postgresql")
    try:
        admin = psycopg.connect(
            admin_url.render_as_string(hide_password=False), autocommit=True, connect_timeout=3
        )
    except psycopg.OperationalError:
        yield None
        return
    with admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{RESTORE_DB}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{RESTORE_DB}"')
        try:
            yield make_url(server).set(database=RESTORE_DB).render_as_string(hide_password=False)
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{RESTORE_DB}" WITH (FORCE)')


def test_backup_during_writes_restores_the_reads_of_its_moment_into_sqlite_and_postgresql(
    app: Flask,
    client: Any,
    token: Token,
    tmp_path: Path,
    scratch_postgres: str | None,
    is_postgres: bool,
) -> None:
    report_pdf = uploaded(client, token, pdf_bytes(), "bericht.pdf")
    writer, (default, portable) = backups_during_writes(app, tmp_path)

    targets: list[tuple[str, Path, str]] = []
    # SQLite from the portable archive (a pg_dump restores into PostgreSQL only).
    targets.append(("sqlite", portable, f"sqlite:///{tmp_path / 'restored.sqlite3'}"))
    if scratch_postgres is not None:
        targets.append(("postgresql", default, scratch_postgres))
    elif is_postgres:
        pytest.fail("PostgreSQL runs need the scratch database")

    for label, archive, url in targets:
        target = instance(url, tmp_path / f"media-{label}")
        result = cli(target, "restore", archive)
        assert result.exit_code == 0, (label, result.output)
        count = restored_count(target)
        # A snapshot from the middle of the stream: not empty, and writes came after it.
        assert 1 <= count < writer.done, (label, count, writer.done)
        assert public_reads(target, count) == writer.expected[count], label
        # The file the snapshot references came along, byte for byte.
        restored_file = target.test_client().get(report_pdf["url"])
        assert restored_file.status_code == 200 and restored_file.data == pdf_bytes(), label
        # The restored instance takes writes (PostgreSQL: sequences moved past the ids).
        with target.app_context(), db.transaction():
            data = {"translations": {"de": {"title": "Neu"}}}
            entity = create_item(REGISTRY["news"], data, author="tests")
            assert entity.id > count
        db.dispose(target)
    if scratch_postgres is not None and is_postgres:
        manifest = json.loads(cli(app, "backup", "--verify", "--json", default).output)
        assert manifest["database"]["kind"] == "pg_dump"


def test_backup_manifest_lists_versions_counts_and_checksums(
    app: Flask, client: Any, token: Token, tmp_path: Path, make_item: Callable[..., int]
) -> None:
    make_item("news", {"translations": {"de": {"title": "Eins"}}})
    uploaded(client, token, pdf_bytes(), "bericht.pdf")
    archive = tmp_path / "b.tar.gz"
    assert cli(app, "backup", archive).exit_code == 0
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        manifest = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
    assert names[0] == "manifest.json"
    assert set(names[1:]) == set(manifest["files"])
    assert manifest["format"] == "ifm-api-backup/1"
    assert manifest["migration_head"] and manifest["version"]
    assert manifest["counts"]["content_entities"] == 2 and manifest["counts"]["media"] == 1
    assert manifest["media"] == {"count": 1, "missing": []}
    assert all(len(entry["sha256"]) == 64 for entry in manifest["files"].values())


# --- verify --------------------------------------------------------------------------------


def rewrite(
    archive: Path, into: Path, change: Callable[[str, bytes], bytes | None], *, resign: bool = False
) -> None:
    """A copy of ``archive`` whose members pass through ``change`` (None drops a member);
    ``resign`` writes the changed members' new SHA-256 into the manifest, so that only the
    database's own checks can find the damage."""
    with tarfile.open(archive) as source:
        members = [
            (member, source.extractfile(member).read())  # type: ignore[union-attr]
            for member in source
        ]
    changed = [(member, change(member.name, data)) for member, data in members]
    if resign:
        manifest = json.loads(changed[0][1] or b"{}")
        for member, data in changed[1:]:
            if data is not None:
                digest = hashlib.sha256(data).hexdigest()
                manifest["files"][member.name] = {"sha256": digest, "size": len(data)}
        changed[0] = (changed[0][0], json.dumps(manifest).encode())
    with tarfile.open(into, "w:gz") as target:
        for member, data in changed:
            if data is None:
                continue
            member.size = len(data)
            target.addfile(member, io.BytesIO(data))


@pytest.mark.parametrize("route", ["default", "--portable"])
def test_verify_passes_a_good_archive_and_detects_every_corruption(
    app: Flask,
    client: Any,
    token: Token,
    tmp_path: Path,
    make_item: Callable[..., int],
    route: str,
) -> None:
    make_item("news", {"translations": {"de": {"title": "Eins"}}})
    uploaded(client, token, pdf_bytes(), "bericht.pdf")
    good = tmp_path / "good.tar.gz"
    assert cli(app, "backup", *([route] if route != "default" else []), good).exit_code == 0
    verified = cli(app, "backup", "--verify", "--json", good)
    assert verified.exit_code == 0, verified.output
    kind = json.loads(verified.output)["database"]["kind"]

    def media_flipped(name: str, data: bytes) -> bytes:
        return data[:-10] + b"X" + data[-9:] if name.startswith("media/") else data

    def manifest_count(name: str, data: bytes) -> bytes:
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        manifest["counts"]["content_entities"] += 1
        return json.dumps(manifest).encode()

    def database_overwritten(name: str, data: bytes) -> bytes:
        if name == "database.sqlite3":  # page 2 on: the header stays, the b-tree is garbage
            return data[:4096] + b"\xa5" * 4096 + data[8192:]
        if name == "database.pgdump":  # the dump's table of contents
            return data[:20] + b"\xa5" * 200 + data[220:]
        return data

    damaged: dict[str, Path] = {}
    cases: list[tuple[str, Callable[[str, bytes], bytes | None], bool]] = [
        ("a media file changed", media_flipped, False),
        ("a member dropped", lambda n, d: None if n.startswith("media/") else d, False),
        ("the database changed", database_overwritten, False),
        ("the database damaged, its checksum made to match", database_overwritten, True),
    ]
    if kind == "sqlite":  # a dump's rows are only counted by restoring it
        cases.append(("counts that do not match", manifest_count, False))
    for label, change, resign in cases:
        damaged[label] = tmp_path / f"{len(damaged)}.tar.gz"
        rewrite(good, damaged[label], change, resign=resign)
    raw = bytearray(good.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    damaged["a flipped byte in the compressed archive"] = tmp_path / "flipped.tar.gz"
    damaged["a flipped byte in the compressed archive"].write_bytes(bytes(raw))
    damaged["a truncated archive"] = tmp_path / "truncated.tar.gz"
    damaged["a truncated archive"].write_bytes(good.read_bytes()[: len(raw) // 3])
    damaged["not an archive"] = tmp_path / "notes.txt.gz"
    damaged["not an archive"].write_bytes(gzip.compress(b"hello"))

    for label, path in damaged.items():
        result = cli(app, "backup", "--verify", path)
        assert result.exit_code == 1, (label, result.output)
        assert "Error:" in result.output and "Traceback" not in result.output, label


# --- restore refuses ------------------------------------------------------------------------


def test_restore_refuses_a_database_that_is_not_empty_unless_forced(
    app: Flask, tmp_path: Path, make_item: Callable[..., int]
) -> None:
    make_item("news", {"translations": {"de": {"title": "Eins"}}})
    archive = tmp_path / "b.tar.gz"
    assert cli(app, "backup", "--portable", archive).exit_code == 0
    url = f"sqlite:///{tmp_path / 'other.sqlite3'}"
    other = instance(url, tmp_path / "media")
    assert cli(other, "db", "upgrade").exit_code == 0
    assert cli(other, "demo", "load").exit_code == 0
    refused = cli(other, "restore", archive)
    assert refused.exit_code == 1 and "not empty" in refused.output and "--force" in refused.output
    assert restored_count(other) == 1  # the demo's one news item is untouched
    forced = cli(other, "restore", "--force", archive)
    assert forced.exit_code == 0, forced.output
    items = other.test_client().get("/api/v1/news").get_json()["items"]
    assert [item["title"] for item in items] == ["Eins"]


def test_restore_names_a_missing_or_corrupt_archive(app: Flask, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    fresh = instance(url, tmp_path / "media")
    (tmp_path / "junk.tar.gz").write_bytes(b"\x1f\x8b\x08junk")
    result = cli(fresh, "restore", tmp_path / "junk.tar.gz")
    assert result.exit_code == 1 and "cannot be read" in result.output
    assert not (tmp_path / "fresh.sqlite3").exists() or restored_count_or_none(fresh) is None


def restored_count_or_none(app: Flask) -> int | None:
    response = app.test_client().get("/api/v1/news")
    return None if response.status_code != 200 else len(response.get_json()["items"])


def test_restore_refuses_an_archive_of_a_newer_version(
    app: Flask, tmp_path: Path, make_item: Callable[..., int]
) -> None:
    make_item("news", {"translations": {"de": {"title": "Eins"}}})
    good = tmp_path / "b.tar.gz"
    assert cli(app, "backup", "--portable", good).exit_code == 0

    def from_the_future(name: str, data: bytes) -> bytes:
        if name != "manifest.json":
            return data
        return json.dumps({**json.loads(data), "migration_head": "9999"}).encode()

    newer = tmp_path / "newer.tar.gz"
    rewrite(good, newer, from_the_future)
    fresh = instance(f"sqlite:///{tmp_path / 'fresh.sqlite3'}", tmp_path / "media")
    result = cli(fresh, "restore", newer)
    assert result.exit_code == 1, result.output
    assert "migration 9999" in result.output and "Traceback" not in result.output
    with fresh.app_context():
        assert database_tables(db.engine()) == []
