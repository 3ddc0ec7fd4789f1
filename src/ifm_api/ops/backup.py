"""Backups: one archive with a consistent database snapshot, its media files and a manifest.

The archive (``.tar.gz``) holds, in this order:

- ``manifest.json``: format, time, versions, the snapshot's migration head, row counts per
  table, and the size and SHA-256 of every other member;
- the database snapshot, one of
  - ``database.sqlite3``: an SQLite file. From SQLite it is taken with SQLite's online
    backup API (in one step, so it is one read snapshot, while the API serves and writes);
    from PostgreSQL without ``pg_dump`` (or with ``--portable``) the rows are copied inside
    one REPEATABLE READ transaction. It restores into SQLite or PostgreSQL.
  - ``database.pgdump``: ``pg_dump --format=custom`` of PostgreSQL, taken in a snapshot
    exported from a REPEATABLE READ transaction (``pg_export_snapshot``) in which the
    counts and media references are read too. It restores into PostgreSQL (``pg_restore``).
- ``media/<key>``: every original file a media row of the snapshot references (renditions
  are derived and made again on request).

``verify_archive`` reads it all without restoring: every member against the manifest, no
member missing or extra, and the SQLite snapshot's integrity and counts (``pg_restore
--list`` for a dump). ``restore_archive`` does the same checks first, into an empty
database unless ``force``.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Connection, Engine, create_engine, func, inspect, select, text
from sqlalchemy.engine import make_url

from ifm_api.core.media import original_key

FORMAT = "ifm-api-backup/1"
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database.sqlite3"
PGDUMP_MEMBER = "database.pgdump"
MEDIA_DIR = "media/"
CHUNK = 1 << 20
ROW_BATCH = 1000


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why."""


class ArchiveCorrupt(BackupError):
    """The archive does not match its manifest or cannot be read."""


@dataclass
class Snapshot:
    """What a backup took: where the database snapshot is, and what it references."""

    kind: str  # "sqlite" or "pg_dump"
    member: str
    path: Path
    counts: dict[str, int]
    migration_head: str | None
    media: list[str] = field(default_factory=list)  # sha256 of every referenced original


# --- taking a backup -------------------------------------------------------------------------


def _sqlite_path(engine: Engine) -> Path:
    database = engine.url.database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(database)


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq URL without the password, and the environment that carries it."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _read_snapshot_facts(connection: Connection) -> tuple[dict[str, int], str | None, list[str]]:
    """Row counts per table, the migration head and the media files, as this connection sees."""
    from ifm_api.models import metadata

    counts = {
        table.name: int(connection.scalar(select(func.count()).select_from(table)) or 0)
        for table in metadata.sorted_tables
    }
    head = connection.scalar(text("SELECT version_num FROM alembic_version"))
    media = sorted(set(connection.scalars(text("SELECT sha256 FROM media"))))
    return counts, head, media


def _sqlite_snapshot(engine: Engine, into: Path) -> Snapshot:
    """SQLite's online backup API, in one step: a single read snapshot of the database."""
    source = sqlite3.connect(_sqlite_path(engine), timeout=30)
    target = sqlite3.connect(into)
    try:
        source.backup(target, pages=-1)
    finally:
        target.close()
        source.close()
    snapshot_engine = create_engine(f"sqlite:///{into}")
    try:
        with snapshot_engine.connect() as connection:
            counts, head, media = _read_snapshot_facts(connection)
    finally:
        snapshot_engine.dispose()
    return Snapshot("sqlite", SQLITE_MEMBER, into, counts, head, media)


def _repeatable_read(engine: Engine) -> Connection:
    connection = engine.connect().execution_options(isolation_level="REPEATABLE READ")
    connection.begin()
    return connection


def _pg_dump_snapshot(engine: Engine, into: Path, pg_dump: str) -> Snapshot:
    """``pg_dump`` in a snapshot exported by the transaction that reads the facts."""
    connection = _repeatable_read(engine)
    try:
        exported = connection.scalar(text("SELECT pg_export_snapshot()"))
        counts, head, media = _read_snapshot_facts(connection)
        url, env = _libpq(engine.url.render_as_string(hide_password=False))
        command = [pg_dump, "--format=custom", "--no-owner", "--no-privileges"]
        command += [f"--snapshot={exported}", f"--file={into}", f"--dbname={url}"]
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise BackupError(f"pg_dump failed: {done.stderr.strip()}")
    finally:
        connection.rollback()
        connection.close()
    return Snapshot("pg_dump", PGDUMP_MEMBER, into, counts, head, media)


def copy_rows(source: Connection, target: Connection) -> None:
    """Every row of every table of the models, in dependency order, in batches (what the
    migrations seeded in the target, such as the content version's row, is replaced)."""
    from ifm_api.models import metadata

    for table in reversed(metadata.sorted_tables):
        target.execute(table.delete())
    for table in metadata.sorted_tables:
        rows = source.execute(select(table)).mappings()
        while batch := rows.fetchmany(ROW_BATCH):
            target.execute(table.insert(), [dict(row) for row in batch])


def _portable_snapshot(engine: Engine, into: Path) -> Snapshot:
    """PostgreSQL without pg_dump: the rows of one REPEATABLE READ transaction, into SQLite."""
    from ifm_api.migrate import migration_head, upgrade

    connection = _repeatable_read(engine)
    try:
        counts, head, media = _read_snapshot_facts(connection)
        if head != migration_head():
            raise BackupError(
                f"the database is at migration {head}, this version at {migration_head()}: "
                "run `ifm-api db upgrade` first (or back up with pg_dump)"
            )
        target_url = f"sqlite:///{into}"
        upgrade(target_url)
        target_engine = create_engine(target_url)
        try:
            with target_engine.begin() as target:
                copy_rows(connection, target)
        finally:
            target_engine.dispose()
    finally:
        connection.rollback()
        connection.close()
    return Snapshot("sqlite", SQLITE_MEMBER, into, counts, head, media)


def take_snapshot(engine: Engine, into_dir: Path, *, portable: bool = False) -> Snapshot:
    if engine.dialect.name == "sqlite":
        return _sqlite_snapshot(engine, into_dir / SQLITE_MEMBER)
    pg_dump = shutil.which("pg_dump")
    if pg_dump and not portable:
        return _pg_dump_snapshot(engine, into_dir / PGDUMP_MEMBER, pg_dump)
    return _portable_snapshot(engine, into_dir / SQLITE_MEMBER)


def file_digest(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def package_version() -> str:
    from ifm_api.ops.metrics import package_version as version

    return version()


@dataclass
class BackupResult:
    path: Path
    manifest: dict[str, Any]
    missing_media: list[str]


def create_backup(
    engine: Engine, media_root: Path, target: Path, *, portable: bool = False
) -> BackupResult:
    """Write the archive to ``target`` (atomically: a partial archive never has its name)."""
    with tempfile.TemporaryDirectory(prefix="ifm-backup-") as tmp:
        snapshot = take_snapshot(engine, Path(tmp), portable=portable)
        members: dict[str, Path] = {snapshot.member: snapshot.path}
        missing = []
        for sha256 in snapshot.media:
            key = original_key(sha256)
            path = media_root / key
            if path.is_file():
                members[MEDIA_DIR + key] = path
            else:
                missing.append(sha256)
        files = {}
        for name, path in members.items():
            digest, size = file_digest(path)
            files[name] = {"sha256": digest, "size": size}
        manifest = {
            "format": FORMAT,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "version": package_version(),
            "python": platform.python_version(),
            "source": engine.dialect.name,
            "database": {"kind": snapshot.kind, "member": snapshot.member},
            "migration_head": snapshot.migration_head,
            "counts": snapshot.counts,
            "media": {"count": len(snapshot.media) - len(missing), "missing": missing},
            "files": files,
        }
        _write_archive(target, manifest, members)
    return BackupResult(target, manifest, missing)


def _write_archive(target: Path, manifest: dict[str, Any], members: dict[str, Path]) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    try:
        # gzip's own default level: 9 costs about twice the time for a few per cent.
        with tarfile.open(partial, "w:gz", compresslevel=6) as archive:
            body = json.dumps(manifest, indent=2, sort_keys=True).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime, info.mode = len(body), int(datetime.now(UTC).timestamp()), 0o644
            archive.addfile(info, _bytes_io(body))
            for name, path in members.items():
                archive.add(path, arcname=name, recursive=False)
        with partial.open("rb+") as handle:
            os.fsync(handle.fileno())
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)


def _bytes_io(data: bytes) -> IO[bytes]:
    import io

    return io.BytesIO(data)


# --- reading an archive ----------------------------------------------------------------------


def _check_manifest(manifest: Any) -> dict[str, Any]:
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ArchiveCorrupt(f"not an ifm-api backup (no {FORMAT} manifest)")
    files = manifest.get("files")
    database = manifest.get("database") or {}
    if not isinstance(files, dict) or database.get("member") not in files:
        raise ArchiveCorrupt("the manifest lists no database snapshot")
    for name in files:
        if name.startswith("/") or ".." in Path(name).parts:
            raise ArchiveCorrupt(f"the manifest names an unsafe path: {name!r}")
    return manifest


@contextmanager
def unpacked(archive: Path) -> Iterator[tuple[dict[str, Any], Path]]:
    """Unpack into a temporary directory, checking every member against the manifest."""
    if not archive.is_file():
        raise BackupError(f"no such archive: {archive}")
    with tempfile.TemporaryDirectory(prefix="ifm-restore-") as tmp:
        root = Path(tmp)
        try:
            manifest = _unpack(archive, root)
        except (tarfile.TarError, zlib.error, EOFError, OSError, json.JSONDecodeError) as exc:
            raise ArchiveCorrupt(f"the archive cannot be read: {exc}") from exc
        yield manifest, root


def _unpack(archive: Path, root: Path) -> dict[str, Any]:
    manifest: dict[str, Any] | None = None
    seen: set[str] = set()
    with tarfile.open(archive, "r:gz") as tar:
        for member in tar:
            if manifest is None:
                if member.name != MANIFEST or not member.isfile():
                    raise ArchiveCorrupt("the archive does not start with its manifest")
                handle = tar.extractfile(member)
                assert handle is not None
                manifest = _check_manifest(json.loads(handle.read()))
                continue
            expected = manifest["files"].get(member.name)
            if expected is None or not member.isfile() or member.name in seen:
                raise ArchiveCorrupt(f"unexpected member in the archive: {member.name!r}")
            seen.add(member.name)
            _extract_checked(tar, member, root / member.name, expected)
    if manifest is None:
        raise ArchiveCorrupt("the archive is empty")
    missing = sorted(set(manifest["files"]) - seen)
    if missing:
        raise ArchiveCorrupt(f"members missing from the archive: {', '.join(missing[:5])}")
    return manifest


def _extract_checked(
    tar: tarfile.TarFile, member: tarfile.TarInfo, path: Path, expected: dict[str, Any]
) -> None:
    handle = tar.extractfile(member)
    assert handle is not None
    path.parent.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    with path.open("wb") as out:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    if size != expected.get("size") or digest.hexdigest() != expected.get("sha256"):
        raise ArchiveCorrupt(f"{member.name} does not match its SHA-256 in the manifest")


def _check_sqlite_snapshot(path: Path, counts: dict[str, int]) -> None:
    try:
        connection = sqlite3.connect(path)
        try:
            result = connection.execute("PRAGMA integrity_check").fetchone()
            if result is None or result[0] != "ok":
                raise ArchiveCorrupt(f"the database snapshot fails its integrity check: {result}")
            for table, count in counts.items():
                found = connection.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
                if found != count:
                    raise ArchiveCorrupt(
                        f"table {table} has {found} rows, the manifest says {count}"
                    )
        finally:
            connection.close()
    except sqlite3.DatabaseError as exc:
        raise ArchiveCorrupt(f"the database snapshot cannot be read: {exc}") from exc


def _check_pg_dump(path: Path) -> None:
    pg_restore = shutil.which("pg_restore")
    if pg_restore is None:
        return  # the checksum above is all that can be checked without pg_restore
    done = subprocess.run(
        [pg_restore, "--list", str(path)], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise ArchiveCorrupt(f"pg_restore cannot read the dump: {done.stderr.strip()}")


def _check_database(manifest: dict[str, Any], root: Path) -> None:
    database = manifest["database"]
    path = root / database["member"]
    if database["kind"] == "sqlite":
        _check_sqlite_snapshot(path, manifest.get("counts") or {})
    elif database["kind"] == "pg_dump":
        _check_pg_dump(path)
    else:
        raise ArchiveCorrupt(f"unknown database snapshot kind {database['kind']!r}")


def verify_archive(archive: Path) -> dict[str, Any]:
    """Check an archive completely without restoring it; raise ArchiveCorrupt if it is not."""
    with unpacked(archive) as (manifest, root):
        _check_database(manifest, root)
        return manifest


# --- restoring -------------------------------------------------------------------------------


def database_tables(engine: Engine) -> list[str]:
    return sorted(inspect(engine).get_table_names())


def _check_known_revision(head: Any) -> None:
    """An archive of a newer version (a migration this one does not have) is refused."""
    from alembic.script import ScriptDirectory
    from alembic.script.revision import RevisionError
    from alembic.util.exc import CommandError

    from ifm_api.migrate import alembic_config

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    try:
        known = head is not None and script.get_revision(str(head)) is not None
    except (CommandError, RevisionError):
        known = False
    if not known:
        raise BackupError(
            f"the archive is at migration {head}, which this version does not know: restore "
            "it with the version that took it (or a newer one)"
        )


def _empty_postgres(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))


def _empty_sqlite(engine: Engine) -> None:
    path = _sqlite_path(engine)
    engine.dispose()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _restore_sqlite_into_sqlite(snapshot: Path, engine: Engine) -> None:
    path = _sqlite_path(engine)
    engine.dispose()
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    shutil.copyfile(snapshot, partial)
    partial.replace(path)


def _restore_sqlite_into_postgres(snapshot: Path, engine: Engine) -> None:
    """Bring a copy of the snapshot to this version's schema, then copy its rows over."""
    from ifm_api.migrate import upgrade

    upgrade(f"sqlite:///{snapshot}")
    upgrade(engine.url.render_as_string(hide_password=False))
    source_engine = create_engine(f"sqlite:///{snapshot}")
    try:
        with source_engine.connect() as source, engine.begin() as target:
            copy_rows(source, target)
            _advance_sequences(target)
    finally:
        source_engine.dispose()


def _advance_sequences(connection: Connection) -> None:
    """Ids were copied as they were: every serial sequence moves past its table's largest."""
    rows = connection.execute(
        text(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'public' AND column_default LIKE 'nextval(%'"
        )
    )
    for table, column in rows.all():
        connection.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', '{column}'), "
                f'COALESCE((SELECT MAX("{column}") FROM "{table}"), 0) + 1, false)'
            )
        )


def _restore_pg_dump(dump: Path, engine: Engine) -> None:
    pg_restore = shutil.which("pg_restore")
    if pg_restore is None:
        raise BackupError("restoring a pg_dump archive needs pg_restore on the PATH")
    engine.dispose()
    url, env = _libpq(engine.url.render_as_string(hide_password=False))
    command = [
        pg_restore,
        "--no-owner",
        "--no-privileges",
        "--exit-on-error",
        "--single-transaction",
    ]
    done = subprocess.run(
        [*command, f"--dbname={url}", str(dump)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise BackupError(f"pg_restore failed: {done.stderr.strip()}")


def _restore_media(root: Path, manifest: dict[str, Any], media_root: Path) -> int:
    restored = 0
    for name in manifest["files"]:
        if not name.startswith(MEDIA_DIR):
            continue
        target = media_root / name.removeprefix(MEDIA_DIR)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".restore")
        shutil.copyfile(root / name, partial)
        partial.replace(target)
        restored += 1
    return restored


@dataclass
class RestoreResult:
    manifest: dict[str, Any]
    media: int


def restore_archive(
    archive: Path, engine: Engine, media_root: Path, *, force: bool = False
) -> RestoreResult:
    """Restore into the database of ``engine`` (empty, unless ``force``) and ``media_root``."""
    with unpacked(archive) as (manifest, root):
        _check_database(manifest, root)
        _check_known_revision(manifest.get("migration_head"))
        tables = database_tables(engine)
        if tables and not force:
            raise BackupError(
                f"the database is not empty ({len(tables)} tables, e.g. {tables[0]}); restore "
                "into an empty one, or give --force to replace everything in it"
            )
        kind, dialect = manifest["database"]["kind"], engine.dialect.name
        snapshot = root / manifest["database"]["member"]
        if kind == "pg_dump" and dialect != "postgresql":
            raise BackupError(
                "this archive holds a pg_dump: it restores into PostgreSQL only (for SQLite, "
                "take the backup with --portable)"
            )
        if tables:
            (_empty_postgres if dialect == "postgresql" else _empty_sqlite)(engine)
        if kind == "pg_dump":
            _restore_pg_dump(snapshot, engine)
        elif dialect == "sqlite":
            _restore_sqlite_into_sqlite(snapshot, engine)
        else:
            _restore_sqlite_into_postgres(snapshot, engine)
        media = _restore_media(root, manifest, media_root)
    return RestoreResult(manifest, media)
