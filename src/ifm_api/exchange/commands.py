"""The exchange's commands of the ``ifm-api`` group: import-legacy, export, import."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask.cli import with_appcontext

from ifm_api.exchange.service import FileResult, ImportReport


def _date(iso: str | None) -> str:
    return f"{iso[8:10]}.{iso[5:7]}.{iso[:4]}" if iso else "-"


def _file_lines(result: FileResult, dry_run: bool) -> list[str]:
    name = Path(result.file).name
    if result.status == "failed":
        lines = [f"{name}: FAILED: {result.error}"]
        return lines + [f"  warning: {warning}" for warning in result.warnings]
    status = f"would be {result.status}" if dry_run else result.status
    item = result.item or {}
    publication = item.get("publication", {})
    state = ", ".join(f"{lang} {publication[lang]}" for lang in publication) or "draft"
    lines = [
        f"{name}: {status}: news {item.get('id', '?') if not dry_run else '(new)'}"
        f" [{state}], {'+'.join(result.languages)}, {_date(result.published_at)}"
    ]
    if result.people_linked:
        linked = ", ".join(f"{p['name']} (person {p['id']})" for p in result.people_linked)
        lines.append(f"  people linked: {linked}")
    if result.people_created:
        verb = "would be created as drafts" if dry_run else "created as drafts"
        lines.append(f"  people {verb}: {', '.join(p['name'] for p in result.people_created)}")
    for link in result.links_needing_target:
        lines.append(
            f"  link needs a target [{link['lang']}]: “{link['phrase']}” in “{link['paragraph']}”"
        )
    lines.extend(f"  redirect: {path}" for path in result.redirects)
    lines.extend(f"  warning: {warning}" for warning in result.warnings)
    return lines


def print_report(report: ImportReport) -> None:
    if report.dry_run:
        click.echo("dry run: nothing is written")
    for result in report.files:
        for line in _file_lines(result, report.dry_run):
            click.echo(line)
    counts = ", ".join(f"{n} {status}" for status, n in sorted(report.counts().items()))
    click.echo(f"{len(report.files)} file(s): {counts or 'none'}")
    if report.dry_run and report.people_to_create():
        click.echo(f"people that would be created: {', '.join(report.people_to_create())}")


@click.command("import-legacy")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--publish", is_flag=True, help="Publish the items (default: drafts).")
@click.option("--dry-run", is_flag=True, help="Show what would happen; write nothing.")
@click.option(
    "--url-map",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="CSV of old_url,file: the old URLs redirect to the imported items.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@with_appcontext
def import_legacy(
    files: tuple[Path, ...], publish: bool, dry_run: bool, url_map: Path | None, as_json: bool
) -> None:
    """Import pages of the old website (plain text) as news items.

    One item per file; a file that is not such a page fails alone (the exit status is then
    1). Importing a file again changes nothing.
    """
    from ifm_api.exchange.service import UrlMapError, import_legacy_files, read_url_map

    try:
        mapping = read_url_map(url_map) if url_map else None
    except UrlMapError as exc:
        raise click.ClickException(str(exc)) from exc
    report = import_legacy_files(list(files), publish=publish, dry_run=dry_run, url_map=mapping)
    if as_json:
        click.echo(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
    else:
        print_report(report)
    if report.failed:
        raise SystemExit(1)


@click.command("export")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--with-revisions", is_flag=True, help="Also every item's revisions.")
@click.option("--json", "as_json", is_flag=True, help="Print the manifest as JSON.")
@with_appcontext
def export(directory: Path, with_revisions: bool, as_json: bool) -> None:
    """Write everything into DIRECTORY (new or empty): JSON Lines, media files, manifest.

    Consistent while the API serves (one read-only snapshot). Tokens are listed by name
    only, never with their hashes.
    """
    from ifm_api.exchange.snapshot import ExchangeError, export_instance

    try:
        manifest = export_instance(directory, with_revisions=with_revisions)
    except ExchangeError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(manifest, indent=2, sort_keys=True))
        return
    for name, meta in manifest["files"].items():
        click.echo(f"{name}\t{meta['count']}\tsha256={meta['sha256']}")
    media = manifest["media"]
    click.echo(f"media/\t{media['count']} file(s), {media['bytes']} bytes")
    click.echo(f"exported to {directory}")


@click.command("import")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--merge", is_flag=True, help="Add to a database with content: new ids, reported.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@with_appcontext
def import_(directory: Path, merge: bool, as_json: bool) -> None:
    """Load an export (of `ifm-api export`) into this database, all or nothing.

    Into an empty database every id is kept; a database with content is refused unless
    --merge, which gives the imported items new ids and free slugs and reports both.
    """
    from ifm_api.exchange.snapshot import ExchangeError, import_instance

    try:
        summary = import_instance(directory, merge=merge)
    except ExchangeError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(summary.to_json(), ensure_ascii=False, indent=2))
        return
    click.echo(", ".join(f"{n} {kind}" for kind, n in summary.counts.items()))
    for kind, ids in summary.remapped.items():
        for old, new in ids.items():
            click.echo(f"remapped {kind} {old} -> {new}")
    for slug in summary.renamed_slugs:
        click.echo(
            f"slug of {slug['resource']} {slug['id']} ({slug['lang']}): "
            f"{slug['from']} -> {slug['to']}"
        )
    for note in summary.skipped:
        click.echo(f"skipped: {note}")
    if summary.tokens_to_create:
        names = ", ".join(f"{t['name']} ({t['role']})" for t in summary.tokens_to_create)
        click.echo(f"tokens are not imported; create them anew: {names}")
    click.echo(f"imported from {directory}")


COMMANDS = (import_legacy, export, import_)
