"""The ``ifm-api`` command group (a Flask CLI)."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from ifm_api import create_app
from ifm_api.config import ConfigError
from ifm_api.exchange.commands import COMMANDS as EXCHANGE_COMMANDS
from ifm_api.ops.commands import COMMANDS as OPS_COMMANDS


def _create_app() -> object:
    try:
        return create_app()
    except ConfigError as exc:
        raise click.ClickException(f"configuration error: {exc}") from exc


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=False)
def main() -> None:
    """ifm-api: the bilingual content API of the ifm."""


for _command in (*EXCHANGE_COMMANDS, *OPS_COMMANDS):
    main.add_command(_command)


@main.group()
def db() -> None:
    """Database schema (Alembic migrations)."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Create or migrate the database to the newest schema."""
    from ifm_api.core.db import transaction, utcnow
    from ifm_api.core.read.build import needs_build, rebuild
    from ifm_api.core.read.marks import build as build_marks
    from ifm_api.migrate import upgrade

    url = current_app.config["IFM"].database_url
    upgrade(url, revision)
    click.echo(f"database at {revision}")
    if revision == "head":
        with transaction() as session:
            if needs_build(session):
                rows = rebuild(session)
                click.echo(f"read model built: {rows} rows")
            else:
                build_marks(session, utcnow())


@main.group()
def readmodel() -> None:
    """The published read model (what public reads serve), built at write time."""


@readmodel.command("check")
@with_appcontext
def readmodel_check() -> None:
    """Render every item from the content tables and compare with the stored read model.

    Prints each difference; exits with 1 when there is any.
    """
    from ifm_api.core.db import session
    from ifm_api.core.read.build import check

    problems = check(session())
    for problem in problems:
        click.echo(problem)
    if problems:
        click.echo(f"{len(problems)} difference(s)", err=True)
        raise SystemExit(1)
    click.echo("read model matches the content")


@readmodel.command("rebuild")
@with_appcontext
def readmodel_rebuild() -> None:
    """Build the read model again from the content tables."""
    from ifm_api.core.db import transaction
    from ifm_api.core.read.build import rebuild

    with transaction() as session:
        rows = rebuild(session)
    click.echo(f"read model rebuilt: {rows} rows")


@main.group()
def demo() -> None:
    """Demo content (the seed page of the institute's old website)."""


@demo.command("load")
@with_appcontext
def demo_load() -> None:
    """Load the demo content; running it again changes nothing."""
    from ifm_api.demo.loader import load_demo

    created = load_demo()
    click.echo("demo content loaded" if created else "demo content already present")


@main.group()
def tokens() -> None:
    """API tokens for editors, previews and admins."""


def _token_name(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    from ifm_api.core.auth import token_name_problem

    if problem := token_name_problem(value):
        raise click.BadParameter(problem)
    return value


@tokens.command("create")
@click.option(
    "--name",
    required=True,
    callback=_token_name,
    help="A unique name (letters, digits, . _ @ -); writes are recorded under it.",
)
@click.option("--role", type=click.Choice(["preview", "editor", "admin"]), required=True)
@click.option("--expires-in", type=click.IntRange(min=1), help="Days until it expires.")
@with_appcontext
def tokens_create(name: str, role: str, expires_in: int | None) -> None:
    """Create a token and print it (last line of stdout). It is shown only once."""
    from ifm_api.core.auth import create_token
    from ifm_api.core.db import transaction
    from ifm_api.core.errors import ApiError

    try:
        with transaction():
            token, plain = create_token(name, role, expires_in_days=expires_in)
    except ApiError as exc:
        raise click.ClickException(f"a token named {name!r} exists already") from exc
    expiry = token.expires_at.isoformat() if token.expires_at else "never"
    click.echo(f"created token {name!r} with role {role}, expires {expiry}", err=True)
    click.echo(plain)


@tokens.command("list")
@with_appcontext
def tokens_list() -> None:
    """List tokens (never their values)."""
    from ifm_api.core.auth import list_tokens

    for token in list_tokens():
        state = "revoked" if token.revoked_at else ("active" if token.active else "expired")
        expires = token.expires_at.isoformat() if token.expires_at else "never"
        click.echo(f"{token.name}\t{token.role}\t{state}\texpires={expires}")


@tokens.command("revoke")
@click.argument("name")
@with_appcontext
def tokens_revoke(name: str) -> None:
    """Revoke a token by name; it stops working at once."""
    from ifm_api.core.auth import revoke_token
    from ifm_api.core.db import transaction
    from ifm_api.core.errors import ApiError

    try:
        with transaction():
            revoke_token(name)
    except ApiError as exc:
        raise click.ClickException(f"no token named {name!r}") from exc
    click.echo(f"revoked {name!r}")


@main.group()
def media() -> None:
    """Uploaded files and their storage."""


@media.command("gc")
@click.option(
    "--grace-minutes",
    type=click.IntRange(min=0),
    default=60,
    show_default=True,
    help="Keep unreferenced files younger than this (an upload writes before it commits).",
)
@click.option("--dry-run", is_flag=True, help="Only report what would be removed.")
@with_appcontext
def media_gc(grace_minutes: int, dry_run: bool) -> None:
    """Remove stored files no media row references; report rows whose file is missing.

    Exits with status 1 when a row's file is missing (the upload must be repeated).
    """
    from ifm_api.core.media import collect_garbage

    report = collect_garbage(grace_seconds=grace_minutes * 60, dry_run=dry_run)
    verb = "would remove" if dry_run else "removed"
    for key in report.removed:
        click.echo(f"{verb} {key}")
    for row in report.missing:
        click.echo(f"missing file of media {row.id} ({row.filename}, sha256 {row.sha256})")
    click.echo(
        f"{verb} {len(report.removed)} file(s), kept {report.kept_young} younger than "
        f"{grace_minutes} min, {len(report.missing)} row(s) with a missing file",
        err=True,
    )
    if report.missing:
        raise SystemExit(1)


@main.group()
def openapi() -> None:
    """The OpenAPI document."""


def openapi_document() -> str:
    api = current_app.extensions["flask-smorest"]["apis"][""]["ext_obj"]
    return json.dumps(api.spec.to_dict(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


@openapi.command("write")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def openapi_write(file: Path) -> None:
    """Write the generated OpenAPI document to FILE."""
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(openapi_document(), encoding="utf-8")
    click.echo(f"wrote {file}")


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, type=int, show_default=True)
@with_appcontext
def serve(host: str, port: int) -> None:
    """Run the development server (production: gunicorn wsgi:app)."""
    from werkzeug.serving import WSGIRequestHandler, run_simple

    class QuietHandler(WSGIRequestHandler):
        """The app logs every request itself (``ifm_api.access``), with its id."""

        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            pass

    from ifm_api.serving import freeze_startup_objects

    app = current_app._get_current_object()
    freeze_startup_objects()
    worker = None
    if app.config["IFM"].worker_thread:
        from ifm_api.changes.worker import start_thread

        worker, thread = start_thread(app)
    try:
        run_simple(host, port, app, threaded=True, request_handler=QuietHandler)
    finally:
        if worker is not None:
            worker.stop()
            thread.join(10)


@main.command("worker")
@click.option("--once", is_flag=True, help="One round (what is due now), then exit.")
@click.option("--poll", default=0.5, show_default=True, help="Seconds between idle rounds.")
@with_appcontext
def worker_command(once: bool, poll: float) -> None:
    """Deliver webhooks (and move scheduled changes into the feed) until SIGTERM/SIGINT.

    Several workers may run side by side on PostgreSQL (FOR UPDATE SKIP LOCKED).
    """
    import signal

    from ifm_api.changes.worker import Worker
    from ifm_api.serving import freeze_startup_objects

    worker = Worker(current_app._get_current_object(), poll=poll)  # type: ignore[attr-defined]
    freeze_startup_objects()
    if once:
        click.echo(f"sent {worker.run_once()} deliveries")
        return
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_args: worker.stop())
    click.echo("webhook worker running (SIGTERM or Ctrl-C stops it)", err=True)
    worker.run()
    click.echo("webhook worker stopped", err=True)
