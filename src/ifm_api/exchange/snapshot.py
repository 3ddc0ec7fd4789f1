"""Full export and import of an instance: JSON Lines per type, the media files, a manifest.

``export_instance`` reads everything in one read-only snapshot (PostgreSQL: a REPEATABLE
READ transaction; SQLite: one read transaction on the WAL), so an export taken while the API
serves is consistent. Each item is one line in the editing (``lang=all``) shape, for its
working copy (``draft``) and, when it has one, its public version (``live``, with
``visible_from`` per language), plus its ids, bookkeeping and slug history.

``import_instance`` writes that back in one transaction: into an empty database keeping every
id (so every read answers byte for byte as before), or with ``merge`` into a database with
content, giving new ids (and free slugs) and reporting the mapping. Tokens are exported by
name (never their hashes) and are not imported: they have to be created anew.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import selectinload

from ifm_api.core import db
from ifm_api.core.auth import ApiToken
from ifm_api.core.cache import bump_version
from ifm_api.core.content import REGISTRY, ReadContext, ResourceSpec, render_all_languages
from ifm_api.core.db import UTCDateTime, utcnow
from ifm_api.core.editing import (
    ROW_BOOKKEEPING,
    _link_rows,
    _unique_slug,
    announce_items,
    load_row,
    write_revision,
)
from ifm_api.core.i18n import ALL
from ifm_api.core.media import original_key, store_file
from ifm_api.core.models import (
    DRAFT,
    LIVE,
    ContentEntity,
    ContentLink,
    Media,
    MediaTranslation,
    Revision,
    SlugRedirect,
)
from ifm_api.core.storage import storage
from ifm_api.exchange.models import LegacySource, Redirect
from ifm_api.translation.models import FieldChange

FORMAT = "ifm-api-export"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
# Referenced types first: an item's relations point at items written before it.
ORDER = ("research_areas", "people", "projects", "reports", "news")
ENTITY_FIELDS = ("version", "created_at", "created_by", "updated_at", "updated_by", "deleted_at")
TOKEN_FIELDS = ("name", "role", "created_at", "created_by", "expires_at", "revoked_at")
IMPORT_AUTHOR = "import"


class ExchangeError(Exception):
    """An export or import cannot be done; the message says why. Nothing was written."""


def _json(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _line(record: Mapping[str, Any]) -> str:
    # Key order is kept: revision snapshots are served exactly as they are stored.
    return json.dumps(_json(record), ensure_ascii=False) + "\n"


def _parse_stored(model: Any, key: str, value: Any) -> Any:
    """Dates and timestamps travel as ISO strings; turn them back into the column's type."""
    column = model.__table__.columns.get(key)
    if column is None or not isinstance(value, str):
        return value
    if isinstance(column.type, UTCDateTime):
        return datetime.fromisoformat(value)
    try:
        python_type = column.type.python_type
    except NotImplementedError:
        return value
    return date.fromisoformat(value) if python_type is date else value


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# --- export ---------------------------------------------------------------------------------


@contextmanager
def _snapshot() -> Iterator[None]:
    """Every read inside sees the database as of one moment, and nothing is written."""
    session = db.session()
    session.rollback()
    if db.engine().dialect.name == "postgresql":
        session.connection(
            execution_options={"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
        )
    else:
        # pysqlite opens no transaction for SELECTs; an explicit one pins the WAL snapshot.
        session.execute(text("BEGIN"))
    try:
        yield
    finally:
        session.rollback()


def _links(entity_id: int, state: str) -> dict[str, list[ContentLink]]:
    result: dict[str, list[ContentLink]] = defaultdict(list)
    stmt = (
        select(ContentLink)
        .where(ContentLink.source_id == entity_id, ContentLink.source_state == state)
        .order_by(ContentLink.relation, ContentLink.position, ContentLink.id)
    )
    for link in db.session().scalars(stmt):
        result[link.relation].append(link)
    return result


def _state_shape(spec: ResourceSpec, entity: ContentEntity, state: str) -> dict[str, Any] | None:
    row = load_row(spec, entity.id, state)
    if row is None:
        return None
    ctx = ReadContext(lang=ALL, fallback=False, now=utcnow(), state=state)
    shape = render_all_languages(spec, ctx, row, entity, _links(entity.id, state))
    if shape is None:
        return None
    for key in ("id", "type", "created_at"):
        shape.pop(key, None)
    if state == LIVE:
        for translation in row.translations:
            shape["translations"][translation.lang]["visible_from"] = translation.visible_from
    return shape


def _entity_record(spec: ResourceSpec, entity: ContentEntity) -> dict[str, Any]:
    history = db.session().execute(
        select(SlugRedirect.lang, SlugRedirect.slug)
        .where(SlugRedirect.entity_id == entity.id)
        .order_by(SlugRedirect.id)
    )
    return {
        "id": entity.id,
        "type": entity.type,
        **{name: getattr(entity, name) for name in ENTITY_FIELDS},
        "draft": _state_shape(spec, entity, DRAFT),
        "live": _state_shape(spec, entity, LIVE),
        "slug_history": [{"lang": lang, "slug": slug} for lang, slug in history],
        "translation_changes": _translation_changes(entity.id),
    }


def _translation_changes(entity_id: int) -> list[dict[str, Any]]:
    """When each translated field was last written (the translation status needs them)."""
    stamps = db.session().scalars(
        select(FieldChange)
        .where(FieldChange.entity_id == entity_id)
        .order_by(FieldChange.lang, FieldChange.field)
    )
    return [{"lang": c.lang, "field": c.field, "changed_at": c.changed_at} for c in stamps]


class _Writer:
    """Writes the export's files and remembers their counts and hashes for the manifest."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.files: dict[str, dict[str, Any]] = {}

    def jsonl(self, name: str, records: Iterator[Mapping[str, Any]]) -> None:
        path = self.directory / name
        count = 0
        with path.open("w", encoding="utf-8", newline="\n") as handle:
            for record in records:
                handle.write(_line(record))
                count += 1
        self.files[name] = {"count": count, "sha256": _sha256(path)}


def _entities(spec: ResourceSpec) -> Iterator[dict[str, Any]]:
    ids = db.session().scalars(
        select(ContentEntity.id).where(ContentEntity.type == spec.type).order_by(ContentEntity.id)
    )
    for entity_id in list(ids):
        entity = db.session().get(ContentEntity, entity_id)
        assert entity is not None
        yield _entity_record(spec, entity)


def _rows(model: Any, fields: tuple[str, ...], order: Any) -> Iterator[dict[str, Any]]:
    for row in db.session().scalars(select(model).order_by(order)):
        yield {name: getattr(row, name) for name in fields}


def _columns(model: Any, skip: frozenset[str] = frozenset()) -> list[str]:
    return [attr.key for attr in model.__mapper__.column_attrs if attr.key not in skip]


def _media_records() -> Iterator[dict[str, Any]]:
    """Every file's row (all its columns) and its texts per language."""
    texts = _columns(MediaTranslation, frozenset({"pk", "media_id", "lang"}))
    stmt = select(Media).options(selectinload(Media.translations)).order_by(Media.id)
    for media in db.session().scalars(stmt):
        yield {
            **{name: getattr(media, name) for name in _columns(Media)},
            "translations": {
                t.lang: {name: getattr(t, name) for name in texts} for t in media.translations
            },
        }


def _revisions() -> Iterator[dict[str, Any]]:
    stmt = select(Revision).order_by(Revision.entity_id, Revision.number)
    for revision in db.session().scalars(stmt):
        yield {
            "entity_id": revision.entity_id,
            "number": revision.number,
            "action": revision.action,
            "created_at": revision.created_at,
            "created_by": revision.created_by,
            "snapshot": revision.snapshot,
        }


def _copy_media(directory: Path) -> dict[str, Any]:
    files: dict[str, int] = {}
    for media in db.session().scalars(select(Media).order_by(Media.id)):
        if media.sha256 in files:
            continue
        try:
            data = storage().read(original_key(media.sha256))
        except OSError as exc:
            raise ExchangeError(f"media {media.id}: its file cannot be read ({exc})") from exc
        if hashlib.sha256(data).hexdigest() != media.sha256:
            raise ExchangeError(f"media {media.id}: the stored file does not match its sha256")
        target = directory / "media" / media.sha256[:2] / media.sha256
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        files[media.sha256] = len(data)
    return {"count": len(files), "bytes": sum(files.values()), "files": files}


def _schema_revision() -> str | None:
    return db.session().scalar(text("SELECT version_num FROM alembic_version"))


def export_instance(directory: Path, *, with_revisions: bool = False) -> dict[str, Any]:
    """Write the whole instance into ``directory`` (new or empty); returns the manifest."""
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise ExchangeError(f"{directory} exists and is not an empty directory")
    directory.mkdir(parents=True, exist_ok=True)
    writer = _Writer(directory)
    with _snapshot():
        revision = _schema_revision()
        taken_at = utcnow()
        for key in ORDER:
            writer.jsonl(f"{key}.jsonl", _entities(REGISTRY[key]))
        writer.jsonl("media.jsonl", _media_records())
        writer.jsonl(
            "redirects.jsonl",
            _rows(Redirect, ("id", "path", "entity_id", "created_at", "created_by"), Redirect.id),
        )
        source_fields = ("source_key", "content_key", "entity_id", "file_name", "fingerprint")
        writer.jsonl(
            "legacy_sources.jsonl",
            _rows(LegacySource, (*source_fields, "item_version", "imported_at"), LegacySource.id),
        )
        writer.jsonl("tokens.jsonl", _rows(ApiToken, TOKEN_FIELDS, ApiToken.id))
        if with_revisions:
            writer.jsonl("revisions.jsonl", _revisions())
        media = _copy_media(directory)
    manifest = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "created_at": taken_at.isoformat(),
        "schema_revision": revision,
        "with_revisions": with_revisions,
        "files": writer.files,
        "media": media,
    }
    (directory / MANIFEST).write_text(
        json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    return manifest


# --- import ---------------------------------------------------------------------------------


@dataclass
class ImportSummary:
    merged: bool
    counts: dict[str, int] = field(default_factory=dict)
    remapped: dict[str, dict[int, int]] = field(default_factory=dict)
    renamed_slugs: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    tokens_to_create: list[dict[str, str]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "merged": self.merged,
            "counts": self.counts,
            "remapped": {
                kind: {str(k): v for k, v in ids.items()} for kind, ids in self.remapped.items()
            },
            "renamed_slugs": self.renamed_slugs,
            "skipped": self.skipped,
            "tokens_to_create": self.tokens_to_create,
        }


def read_manifest(directory: Path) -> dict[str, Any]:
    """The manifest, after checking every file it lists against its sha256."""
    try:
        manifest = json.loads((directory / MANIFEST).read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise ExchangeError(f"{directory}: no readable {MANIFEST} ({exc})") from exc
    if manifest.get("format") != FORMAT or manifest.get("version") != FORMAT_VERSION:
        raise ExchangeError(f"{directory}: not an export of format {FORMAT} {FORMAT_VERSION}")
    for name, meta in manifest["files"].items():
        path = directory / name
        if not path.is_file() or _sha256(path) != meta["sha256"]:
            raise ExchangeError(f"{name}: missing or changed since the export (sha256 differs)")
    for digest in manifest["media"]["files"]:
        path = directory / "media" / digest[:2] / digest
        if not path.is_file() or _sha256(path) != digest:
            raise ExchangeError(f"media/{digest[:2]}/{digest}: missing or changed since the export")
    return manifest


def _records(directory: Path, name: str, manifest: dict[str, Any]) -> list[dict[str, Any]]:
    if name not in manifest["files"]:
        return []
    with (directory / name).open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def database_is_empty() -> tuple[bool, str]:
    session = db.session()
    items = session.scalar(select(func.count()).select_from(ContentEntity)) or 0
    files = session.scalar(select(func.count()).select_from(Media)) or 0
    redirects = session.scalar(select(func.count()).select_from(Redirect)) or 0
    found = f"{items} items, {files} files, {redirects} redirects"
    return items + files + redirects == 0, found


class _Importer:
    """Writes the records back; with ``merge`` every id is new and slugs are made free."""

    def __init__(self, directory: Path, manifest: dict[str, Any], *, merge: bool) -> None:
        self.directory = directory
        self.manifest = manifest
        self.merge = merge
        self.summary = ImportSummary(merged=merge)
        self.entity_ids: dict[int, int] = {}
        self.media_ids: dict[int, int] = {}
        self.slugs: dict[tuple[int, str, str], str] = {}

    # ids

    def entity(self, old: int | None) -> int | None:
        return None if old is None else self.entity_ids.get(old)

    def relation_value(self, spec: ResourceSpec, name: str, value: Any) -> Any:
        relation = spec.relation(name)
        if relation is None or relation.target is None or value is None:
            return value
        if relation.kind == "item":
            return self.entity(value)
        if relation.kind == "items":
            return [self.entity(v) for v in value if self.entity(v) is not None]
        return [
            {**v, "person": self.entity(v["person"])} if v.get("person") is not None else v
            for v in value
            if v.get("person") is None or self.entity(v["person"]) is not None
        ]

    def shape(self, spec: ResourceSpec, shape: dict[str, Any]) -> dict[str, Any]:
        """A draft/live shape (or revision snapshot) with new item and media ids."""
        out = {key: self.relation_value(spec, key, value) for key, value in shape.items()}
        if out.get("portrait_id") is not None:
            out["portrait_id"] = self.media_ids[out["portrait_id"]]
        if out.get("files"):
            out["files"] = [{**f, "media_id": self.media_ids[f["media_id"]]} for f in out["files"]]
        if "id" in out and isinstance(out["id"], int):
            out["id"] = self.entity(out["id"])
        return out

    # media

    def media(self, records: list[dict[str, Any]]) -> None:
        session = db.session()
        for record in records:
            digest = record["sha256"]
            data = (self.directory / "media" / digest[:2] / digest).read_bytes()
            media = store_file(data, record["filename"], record["content_type"], author=None)
            for name in _columns(Media, frozenset({"id"})):
                if name in record:
                    setattr(media, name, _parse_stored(Media, name, record[name]))
            if not self.merge:
                media.id = record["id"]
            media.translations = [
                MediaTranslation(lang=lang, **values)
                for lang, values in record.get("translations", {}).items()
            ]
            session.flush()
            self.media_ids[record["id"]] = media.id
        self.summary.counts["media"] = len(records)

    # items

    def entities(self, records: list[dict[str, Any]]) -> None:
        session = db.session()
        for record in records:
            entity = ContentEntity(
                type=record["type"],
                **{
                    name: _parse_stored(ContentEntity, name, record[name]) for name in ENTITY_FIELDS
                },
            )
            if not self.merge:
                entity.id = record["id"]
            session.add(entity)
            session.flush()
            self.entity_ids[record["id"]] = entity.id

    def slug(self, spec: ResourceSpec, entity_id: int, lang: str, slug: str) -> str:
        if not self.merge:
            return slug
        if slug.startswith("~deleted-"):  # a deleted item's placeholder (see _free_slugs)
            return f"~deleted-{entity_id}-{lang}"
        key = (entity_id, lang, slug)
        if key not in self.slugs:
            free = _unique_slug(spec, lang, slug, entity_id)
            if free != slug:
                self.summary.renamed_slugs.append(
                    {"resource": spec.key, "id": entity_id, "lang": lang, "from": slug, "to": free}
                )
            self.slugs[key] = free
        return self.slugs[key]

    def row(self, spec: ResourceSpec, entity_id: int, state: str, shape: dict[str, Any]) -> None:
        session = db.session()
        row = spec.model(entity_id=entity_id, state=state)
        for relationship in spec.model.__mapper__.relationships:
            if relationship.uselist:
                setattr(row, relationship.key, [])
        columns = [
            c.key for c in spec.model.__mapper__.column_attrs if c.key not in ROW_BOOKKEEPING
        ]
        for name in columns:
            if name in shape:
                setattr(row, name, _parse_stored(spec.model, name, shape[name]))
        if spec.write_extra:
            spec.write_extra(row, shape)
        if spec.before_save:
            spec.before_save(row)
        row.updated_at = datetime.fromisoformat(shape["updated_at"])
        for lang, values in shape["translations"].items():
            translation = spec.translation_model(
                lang=lang,
                state=state,
                slug=self.slug(spec, entity_id, lang, values["slug"]),
                visible_from=_parse_stored(
                    spec.translation_model, "visible_from", values.get("visible_from")
                ),
                **{name: values.get(name) for name in spec.translated_fields},
            )
            row.translations.append(translation)
        session.add(row)
        for relation in spec.relations:
            for position, values in enumerate(_link_rows(relation, shape.get(relation.name))):
                session.add(
                    ContentLink(
                        source_id=entity_id,
                        source_state=state,
                        relation=relation.name,
                        position=position,
                        **values,
                    )
                )

    def items(self, key: str, records: list[dict[str, Any]]) -> None:
        spec = REGISTRY[key]
        session = db.session()
        for record in records:
            entity_id = self.entity_ids[record["id"]]
            for state in (DRAFT, LIVE):
                if record[state] is not None:
                    self.row(spec, entity_id, state, self.shape(spec, record[state]))
            for old in record["slug_history"]:
                taken = session.scalar(
                    select(SlugRedirect.id).where(
                        SlugRedirect.type == spec.type,
                        SlugRedirect.lang == old["lang"],
                        SlugRedirect.slug == old["slug"],
                    )
                )
                if taken is None:
                    session.add(SlugRedirect(type=spec.type, entity_id=entity_id, **old))
                else:
                    self.summary.skipped.append(
                        f"former slug {old['slug']} ({old['lang']}) of {key} {entity_id}: taken"
                    )
            for stamp in record.get("translation_changes", ()):
                session.add(
                    FieldChange(
                        entity_id=entity_id,
                        lang=stamp["lang"],
                        field=stamp["field"],
                        changed_at=datetime.fromisoformat(stamp["changed_at"]),
                    )
                )
            session.flush()
        self.summary.counts[key] = len(records)
        if self.merge:
            self.summary.remapped[key] = {r["id"]: self.entity_ids[r["id"]] for r in records}

    # history and the rest

    def revisions(self, records: list[dict[str, Any]], types: dict[int, str]) -> None:
        session = db.session()
        with_history: set[int] = set()
        for record in records:
            entity_id = self.entity_ids[record["entity_id"]]
            spec = REGISTRY[types[record["entity_id"]]]
            session.add(
                Revision(
                    entity_id=entity_id,
                    number=record["number"],
                    action=record["action"],
                    created_at=datetime.fromisoformat(record["created_at"]),
                    created_by=record["created_by"],
                    snapshot=self.shape(spec, record["snapshot"])
                    if self.merge
                    else record["snapshot"],
                )
            )
            with_history.add(entity_id)
        session.flush()
        # Without exported history, each item starts its own with one revision of the import.
        for old, new in self.entity_ids.items():
            if new not in with_history:
                entity = session.get(ContentEntity, new)
                assert entity is not None
                write_revision(REGISTRY[types[old]], entity, "import", IMPORT_AUTHOR)
        self.summary.counts["revisions"] = (
            session.scalar(
                select(func.count())
                .select_from(Revision)
                .where(Revision.entity_id.in_(list(self.entity_ids.values())))
            )
            or 0
        )

    def redirects(self, records: list[dict[str, Any]]) -> None:
        session = db.session()
        for record in records:
            if session.scalar(select(Redirect.id).where(Redirect.path == record["path"])):
                self.summary.skipped.append(f"redirect {record['path']}: the path has one")
                continue
            redirect = Redirect(
                path=record["path"],
                entity_id=self.entity_ids[record["entity_id"]],
                created_at=datetime.fromisoformat(record["created_at"]),
                created_by=record["created_by"],
            )
            if not self.merge:
                redirect.id = record["id"]
            session.add(redirect)
        self.summary.counts["redirects"] = len(records)

    def legacy_sources(self, records: list[dict[str, Any]]) -> None:
        session = db.session()
        for record in records:
            key = record["source_key"]
            if session.scalar(select(LegacySource.id).where(LegacySource.source_key == key)):
                self.summary.skipped.append(f"legacy source {key}: imported here before")
                continue
            values = {
                **record,
                "entity_id": self.entity_ids[record["entity_id"]],
                "imported_at": datetime.fromisoformat(record["imported_at"]),
            }
            session.add(LegacySource(**values))
        self.summary.counts["legacy_sources"] = len(records)

    def run(self) -> ImportSummary:
        load = lambda name: _records(self.directory, name, self.manifest)  # noqa: E731
        self.media(load("media.jsonl"))
        per_type = {key: load(f"{key}.jsonl") for key in ORDER}
        types = {r["id"]: key for key, records in per_type.items() for r in records}
        for key in ORDER:
            self.entities(per_type[key])
        for key in ORDER:
            self.items(key, per_type[key])
        self.revisions(load("revisions.jsonl"), types)
        self.redirects(load("redirects.jsonl"))
        self.legacy_sources(load("legacy_sources.jsonl"))
        self.summary.tokens_to_create = [
            {"name": t["name"], "role": t["role"]}
            for t in load("tokens.jsonl")
            if t["revoked_at"] is None
        ]
        db.session().flush()
        if not self.merge:
            _advance_sequences()
        return self.summary


def _advance_sequences() -> None:
    """PostgreSQL: ids were given explicitly, so the sequences must move past them."""
    if db.engine().dialect.name != "postgresql":
        return
    for table in ("content_entities", "media", "redirects"):
        db.session().execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
            )
        )


def import_instance(directory: Path, *, merge: bool = False) -> ImportSummary:
    """Load an export into this database in one transaction (all or nothing)."""
    manifest = read_manifest(directory)
    with db.transaction():
        bump_version()
        empty, found = database_is_empty()
        if not empty and not merge:
            raise ExchangeError(
                f"the database is not empty ({found}); import into an empty one, or use --merge"
            )
        importer = _Importer(directory, manifest, merge=merge)
        summary = importer.run()
        announce_items(importer.entity_ids.values())  # their published versions are new
        return summary
