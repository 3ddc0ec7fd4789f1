"""``ifm-api backup FILE``, ``ifm-api backup --verify FILE``, ``ifm-api restore FILE``."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from ifm_api.ops.backup import BackupError, create_backup, restore_archive, verify_archive

ARCHIVE = click.Path(dir_okay=False, path_type=Path)


def _summary(manifest: dict[str, object]) -> str:
    counts = manifest.get("counts") or {}
    rows = sum(counts.values()) if isinstance(counts, dict) else 0
    database = manifest.get("database") or {}
    kind = database.get("kind") if isinstance(database, dict) else "?"
    files = manifest.get("files") or {}
    media = sum(1 for name in files if str(name).startswith("media/"))
    return (
        f"{kind} snapshot at migration {manifest.get('migration_head')}, {rows} rows, "
        f"{media} media file(s), taken {manifest.get('created_at')} from "
        f"{manifest.get('source')} by ifm-api {manifest.get('version')}"
    )


@click.command("backup")
@click.argument("file", type=ARCHIVE)
@click.option("--verify", is_flag=True, help="Check FILE completely instead of writing one.")
@click.option(
    "--portable",
    is_flag=True,
    help="PostgreSQL: copy the rows into an SQLite snapshot instead of using pg_dump "
    "(restores into SQLite and PostgreSQL alike).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the manifest as JSON.")
@with_appcontext
def backup(file: Path, verify: bool, portable: bool, as_json: bool) -> None:
    """Write a backup archive of the database and its media files to FILE (a .tar.gz).

    The database snapshot is consistent while the API serves and writes go on (SQLite's
    online backup API; pg_dump for PostgreSQL when it is on the PATH, else a copy of the
    rows in one REPEATABLE READ transaction). With --verify, check FILE instead: every
    member against the manifest's SHA-256 and the snapshot's integrity; exit 1 if not.
    """
    from ifm_api.core import db

    try:
        if verify:
            manifest = verify_archive(file)
            click.echo(
                json.dumps(manifest, indent=2) if as_json else f"{file}: ok, {_summary(manifest)}"
            )
            return
        result = create_backup(
            db.engine(), current_app.config["IFM"].media_root, file, portable=portable
        )
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    for sha256 in result.missing_media:
        click.echo(f"warning: the file of media {sha256} is missing from the media root", err=True)
    click.echo(
        json.dumps(result.manifest, indent=2)
        if as_json
        else f"wrote {file}: {_summary(result.manifest)}"
    )


@click.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--force", is_flag=True, help="Replace everything in a database that is not empty.")
@with_appcontext
def restore(file: Path, force: bool) -> None:
    """Restore a backup archive into the database of DATABASE_URL and IFM_MEDIA_ROOT.

    The database must be empty (or --force). The archive is checked completely first; the
    schema is then migrated to this version's and the read model rebuilt if needed.
    """
    from ifm_api.core import db
    from ifm_api.core.read.build import needs_build, rebuild
    from ifm_api.migrate import upgrade

    settings = current_app.config["IFM"]
    try:
        result = restore_archive(file, db.engine(), settings.media_root, force=force)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    db.dispose(current_app)
    upgrade(settings.database_url)
    with db.transaction() as session:
        if needs_build(session):
            click.echo(f"read model rebuilt: {rebuild(session)} rows")
    click.echo(f"restored {file}: {_summary(result.manifest)}")


COMMANDS = (backup, restore)
