"""Legacy page import and redirects of old URLs: all queries and writes of the exchange.

Imports write through ``core.editing`` (``create_item``, ``update_item``, ``publish_item``)
exactly as the API's endpoints do, so revisions, slugs and everything the write path keeps
up to date come out the same, and the bodies are validated by the same edit schemas.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale
from marshmallow import ValidationError
from sqlalchemy import func, select

from ifm_api.core import db
from ifm_api.core.cache import bump_version
from ifm_api.core.content import REGISTRY, ReadContext, ResourceSpec, get_item
from ifm_api.core.editing import (
    create_item,
    editing_representation,
    load_row,
    publish_item,
    update_item,
)
from ifm_api.core.errors import (
    DETAILS,
    ApiError,
    Conflict,
    NotFound,
    ValidationFailed,
    flatten_messages,
)
from ifm_api.core.messages import N_
from ifm_api.core.models import DRAFT, LIVE, ContentEntity
from ifm_api.exchange.legacy import LegacyPage, PageError, PersonName, name_key, parse_page
from ifm_api.exchange.models import PATH_MAX, LegacySource, Redirect
from ifm_api.news.schemas import NewsItemEditSchema
from ifm_api.people.models import Person
from ifm_api.people.schemas import PersonEditSchema

AUTHOR = "import-legacy"


# --- old URLs -------------------------------------------------------------------------------


def normalize_path(raw: str) -> str:
    """The form an old URL is stored and looked up in: path and query, no scheme or host.

    Percent-encoding in the path is decoded, a trailing slash dropped and the query's
    parameters sorted, so equivalent spellings of an old URL find the same redirect.
    """
    text = raw.strip()
    if not text:
        raise ValueError("empty path")
    if "://" not in text and not text.startswith("/"):
        first, slash, _rest = text.partition("/")
        host = slash and "." in first and "?" not in first  # www.example.org/page
        text = f"//{text}" if host else f"/{text}"
    parts = urlsplit(text)
    path = unquote(parts.path) or "/"
    if not path.startswith("/"):
        path = f"/{path}"
    if len(path) > 1:
        path = path.rstrip("/") or "/"
    query = sorted(parse_qsl(parts.query, keep_blank_values=True))
    normalized = path + (f"?{urlencode(query, quote_via=quote)}" if query else "")
    if len(normalized) > PATH_MAX:
        raise ValueError(f"longer than {PATH_MAX} characters")
    return normalized


def spec_of_type(entity_type: str) -> ResourceSpec:
    return next(spec for spec in REGISTRY.values() if spec.type == entity_type)


def find_redirect(path: str) -> Redirect | None:
    return db.session().scalar(select(Redirect).where(Redirect.path == path))


def resolve_redirect(raw_path: str, ctx: ReadContext) -> dict[str, Any]:
    """Where an old URL lives now: the item's public URL in the read's language (404 when
    the path is unknown or the item is not public)."""
    try:
        path = normalize_path(raw_path)
    except ValueError:
        raise NotFound("redirect_not_found", detail_args={"path": raw_path}) from None
    redirect = find_redirect(path)
    entity = db.session().get(ContentEntity, redirect.entity_id) if redirect else None
    item = None
    if entity is not None and entity.deleted_at is None:
        spec = spec_of_type(entity.type)
        item = get_item(spec, ctx, entity.id)
    if item is None:
        raise NotFound("redirect_not_found", detail_args={"path": raw_path})
    return {
        "path": path,
        "location": item["web_url"],
        "status": 301,
        "type": item["type"],
        "id": item["id"],
        "lang": item["lang"],
        "fallback": item["fallback"],
        "slug": item["slug"],
    }


def list_redirects(*, page: int, page_size: int) -> tuple[list[dict[str, Any]], int]:
    session = db.session()
    total = session.scalar(select(func.count()).select_from(Redirect)) or 0
    rows = session.execute(
        select(Redirect, ContentEntity.type)
        .join(ContentEntity, ContentEntity.id == Redirect.entity_id)
        .order_by(Redirect.id)
        .limit(page_size)
        .offset((page - 1) * page_size)
    ).all()
    return [redirect_rule(redirect, entity_type) for redirect, entity_type in rows], total


def redirect_rule(redirect: Redirect, entity_type: str) -> dict[str, Any]:
    return {
        "id": redirect.id,
        "path": redirect.path,
        "resource": spec_of_type(entity_type).key,
        "item_id": redirect.entity_id,
        "created_at": redirect.created_at,
        "created_by": redirect.created_by,
    }


def get_redirect(redirect_id: int) -> dict[str, Any]:
    row = (
        db.session()
        .execute(
            select(Redirect, ContentEntity.type)
            .join(ContentEntity, ContentEntity.id == Redirect.entity_id)
            .where(Redirect.id == redirect_id)
        )
        .first()
        if 0 < redirect_id < 2**31
        else None
    )
    if row is None:
        raise NotFound("redirect_rule_not_found", detail_args={"id": redirect_id})
    return redirect_rule(row[0], row[1])


def create_redirect(
    raw_path: str, resource: str, item_id: int, *, author: str | None
) -> dict[str, Any]:
    """A new old-URL redirect to an item (any state: it answers once the item is public)."""
    try:
        path = normalize_path(raw_path)
    except ValueError:
        raise ValidationFailed(errors={"path": [N_("Not a path.")]}) from None
    spec = REGISTRY[resource]
    entity = db.session().get(ContentEntity, item_id)
    if entity is None or entity.type != spec.type or entity.deleted_at is not None:
        raise ValidationFailed(
            errors={
                "item_id": [
                    N_("No {resource} item with this id.").format(
                        resource=resource.replace("_", " ")
                    )
                ]
            }
        )
    if find_redirect(path) is not None:
        raise Conflict("redirect_exists", detail_args={"path": path})
    redirect = Redirect(path=path, entity_id=entity.id, created_by=author)
    db.session().add(redirect)
    db.session().flush()
    return redirect_rule(redirect, entity.type)


def delete_redirect(redirect_id: int) -> None:
    get_redirect(redirect_id)
    redirect = db.session().get(Redirect, redirect_id)
    db.session().delete(redirect)


# --- the URL map ----------------------------------------------------------------------------


class UrlMapError(ValueError):
    """The URL map cannot be used; the message says why."""


@dataclass
class UrlMap:
    """Old URLs per file, from a CSV of ``old_url,file`` rows (a header row is allowed)."""

    by_path: dict[Path, list[str]] = field(default_factory=dict)
    by_name: dict[str, list[str]] = field(default_factory=dict)

    def urls_for(self, file: Path) -> list[str]:
        return self.by_path.get(file.resolve()) or self.by_name.get(file.name, [])


def read_url_map(csv_path: Path) -> UrlMap:
    try:
        text = csv_path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise UrlMapError(f"{csv_path}: cannot be read as UTF-8 text ({exc})") from exc
    url_map = UrlMap()
    for number, row in enumerate(csv.reader(text.splitlines()), start=1):
        if not row or not any(cell.strip() for cell in row):
            continue
        if len(row) != 2:
            raise UrlMapError(f"{csv_path}:{number}: expected two columns (old_url,file)")
        old_url, file = (cell.strip() for cell in row)
        if number == 1 and old_url.lower() in ("old_url", "url", "old url"):
            continue
        try:
            normalize_path(old_url)
        except ValueError as exc:
            raise UrlMapError(f"{csv_path}:{number}: bad old URL {old_url!r} ({exc})") from exc
        target = Path(file)
        resolved = (target if target.is_absolute() else csv_path.parent / target).resolve()
        url_map.by_path.setdefault(resolved, []).append(old_url)
        url_map.by_name.setdefault(target.name, []).append(old_url)
    return url_map


# --- the legacy import ----------------------------------------------------------------------


@dataclass
class FileResult:
    """What importing one file did (or, in a dry run, would do)."""

    file: str
    status: str = "failed"
    error: str | None = None
    item: dict[str, Any] | None = None
    source_key: str | None = None
    published_at: str | None = None
    languages: list[str] = field(default_factory=list)
    people_linked: list[dict[str, Any]] = field(default_factory=list)
    people_created: list[dict[str, Any]] = field(default_factory=list)
    links_needing_target: list[dict[str, str]] = field(default_factory=list)
    redirects: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass
class ImportReport:
    dry_run: bool
    files: list[FileResult] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(result.status == "failed" for result in self.files)

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for result in self.files:
            counts[result.status] += 1
        return dict(counts)

    def people_to_create(self) -> list[str]:
        """Every name that is (or in a dry run would be) created as a new person."""
        names = [p["name"] for r in self.files for p in r.people_created]
        return list(dict.fromkeys(names))

    def to_json(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "files": [asdict(result) for result in self.files],
            "counts": self.counts(),
            "people_to_create": self.people_to_create(),
            "failed": self.failed,
        }


@contextmanager
def _unit(dry_run: bool) -> Iterator[None]:
    """One file, one transaction, taken like the API's writes (content version row locked
    first); a dry run rolls everything back."""
    if not dry_run:
        with db.transaction():
            bump_version()
            yield
        return
    try:
        yield
    finally:
        db.session().rollback()


def import_legacy_files(
    files: Sequence[Path],
    *,
    publish: bool = False,
    dry_run: bool = False,
    url_map: UrlMap | None = None,
    author: str = AUTHOR,
) -> ImportReport:
    """Import each file on its own: a failing file leaves no trace, the others go on."""
    report = ImportReport(dry_run=dry_run)
    for file in files:
        result = FileResult(file=str(file))
        report.files.append(result)
        try:
            page = parse_page(file.read_bytes(), file.name)
        except OSError as exc:
            result.error = f"cannot be read: {exc.strerror or exc}"
            continue
        except PageError as exc:
            result.error = str(exc)
            continue
        old_urls = url_map.urls_for(file) if url_map else []
        try:
            with _unit(dry_run):
                _import_page(page, result, publish=publish, old_urls=old_urls, author=author)
        except ApiError as exc:
            _fail(result, _api_error_text(exc))
        except ValidationError as exc:
            _fail(result, _validation_text(exc.messages))
    return report


def _fail(result: FileResult, reason: str) -> None:
    """Reset a result whose writes were rolled back: only the reason remains."""
    fresh = FileResult(file=result.file, error=reason, warnings=result.warnings)
    result.__dict__.update(fresh.__dict__)


def _validation_text(messages: Any) -> str:
    flat = flatten_messages(messages)
    return "invalid: " + "; ".join(f"{path}: {' '.join(msgs)}" for path, msgs in flat.items())


def _api_error_text(error: ApiError) -> str:
    """The problem's detail in English (the command line speaks English)."""
    if error.errors:
        return _validation_text(error.errors)
    with force_locale("en"):
        return str(DETAILS.get(error.key, DETAILS["bad_request"])) % error.detail_args


def _published_at(page: LegacyPage) -> datetime:
    """Midnight of the page's date in the institute's time zone."""
    zone = ZoneInfo(current_app.config["IFM"].timezone)
    return datetime(page.day.year, page.day.month, page.day.day, tzinfo=zone)


def _page_body(page: LegacyPage) -> dict[str, Any]:
    """The news item's body in the API's write shape (JSON, before validation)."""
    return {
        "published_at": _published_at(page).isoformat(),
        "translations": {
            lang: {"title": v.title, "teaser": v.teaser, "body": v.body_html()}
            for lang, v in page.versions.items()
        },
    }


def _fingerprint(body: dict[str, Any], people: list[PersonName]) -> str:
    data = {**body, "people": [person.text for person in people]}
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def _find_source(source_key: str, content_key: str) -> LegacySource | None:
    session = db.session()
    found = session.scalar(select(LegacySource).where(LegacySource.source_key == source_key))
    if found is None:
        found = session.scalar(
            select(LegacySource)
            .where(LegacySource.content_key == content_key)
            .order_by(LegacySource.id)
            .limit(1)
        )
    return found


def _import_page(
    page: LegacyPage, result: FileResult, *, publish: bool, old_urls: list[str], author: str
) -> None:
    spec = REGISTRY["news"]
    result.warnings.extend(page.warnings)
    result.languages = list(page.versions)
    result.links_needing_target = [
        {"lang": link.lang, "phrase": link.phrase, "paragraph": link.paragraph}
        for link in page.links
    ]
    paths = list(dict.fromkeys(normalize_path(url) for url in old_urls))
    result.source_key = f"url:{paths[0]}" if paths else f"sha256:{page.content_key}"
    body = _page_body(page)
    result.published_at = body["published_at"]
    fingerprint = _fingerprint(body, page.people)
    source = _find_source(result.source_key, page.content_key)
    if source is None:
        entity = _create(spec, page, body, result, publish=publish, author=author)
        source = LegacySource(
            source_key=result.source_key,
            content_key=page.content_key,
            entity_id=entity.id,
            file_name=page.name[:255],
            fingerprint=fingerprint,
            item_version=entity.version,
        )
        db.session().add(source)
    else:
        result.source_key = source.source_key
        entity = db.session().get(ContentEntity, source.entity_id)
        assert entity is not None  # the source row goes with its item (ON DELETE CASCADE)
        if entity.deleted_at is not None:
            result.status = "skipped"
            result.warnings.append(
                f"the item imported from this page before (news {entity.id}) was deleted; "
                "it is not imported again"
            )
            return
        _reimport(spec, entity, source, page, body, fingerprint, result, publish, author)
    _add_redirects(entity, paths, result, author)
    source.item_version = entity.version
    result.item = _item_summary(spec, entity)


def _create(
    spec: ResourceSpec,
    page: LegacyPage,
    body: dict[str, Any],
    result: FileResult,
    *,
    publish: bool,
    author: str,
) -> ContentEntity:
    body = {**body, "people": _resolve_people(page.people, result, author)}
    data = NewsItemEditSchema().load(body)
    entity = create_item(spec, data, author=author)
    result.status = "created"
    if publish:
        _publish(spec, entity, author)
    return entity


def _reimport(
    spec: ResourceSpec,
    entity: ContentEntity,
    source: LegacySource,
    page: LegacyPage,
    body: dict[str, Any],
    fingerprint: str,
    result: FileResult,
    publish: bool,
    author: str,
) -> None:
    """The page was imported before: nothing to do, an update, or hands off an edited item."""
    public = load_row(spec, entity.id, LIVE) is not None
    if source.fingerprint == fingerprint:
        result.status = "unchanged"
        if publish and not public:
            _publish(spec, entity, author)
            result.status = "published"
        return
    if entity.version != source.item_version:
        result.status = "skipped"
        result.warnings.append(
            f"the page changed, but news {entity.id} was edited since it was imported; "
            "not overwritten"
        )
        return
    draft = load_row(spec, entity.id, DRAFT)
    gone = {t.lang: None for t in draft.translations if t.lang not in page.versions}
    body = {
        **body,
        "translations": {**gone, **body["translations"]},
        "people": _resolve_people(page.people, result, author),
    }
    data = NewsItemEditSchema().load(body)
    update_item(spec, entity, data, expected_version=entity.version, author=author)
    result.status = "updated"
    if publish:
        _publish(spec, entity, author)
    elif public:
        result.warnings.append("the working copy changed; the public keeps the version before")
    source.fingerprint = fingerprint


def _publish(spec: ResourceSpec, entity: ContentEntity, author: str) -> None:
    publish_item(
        spec,
        entity,
        languages=None,
        publish_at=None,
        expected_version=entity.version,
        author=author,
    )


def _item_summary(spec: ResourceSpec, entity: ContentEntity) -> dict[str, Any]:
    item = editing_representation(spec, entity)
    return {
        "type": spec.type,
        "id": entity.id,
        "version": entity.version,
        "slugs": {lang: t["slug"] for lang, t in item["translations"].items()},
        "publication": {
            lang: state["status"] for lang, state in item.get("publication", {}).items()
        },
    }


def _add_redirects(
    entity: ContentEntity, paths: list[str], result: FileResult, author: str
) -> None:
    for path in paths:
        existing = find_redirect(path)
        if existing is None:
            db.session().add(Redirect(path=path, entity_id=entity.id, created_by=author))
            result.redirects.append(path)
        elif existing.entity_id != entity.id:
            result.warnings.append(
                f"the old URL {path} redirects to item {existing.entity_id} already; left so"
            )
        else:
            result.redirects.append(path)
    db.session().flush()


# --- people ---------------------------------------------------------------------------------


def _people_index() -> tuple[dict[str, list[int]], dict[str, list[int]], dict[int, str]]:
    """Existing people (working copies of items not deleted) by strict and loose name key."""
    rows = db.session().execute(
        select(Person.entity_id, Person.honorific_prefix, Person.given_name, Person.family_name)
        .join(ContentEntity, ContentEntity.id == Person.entity_id)
        .where(Person.state == DRAFT, ContentEntity.deleted_at.is_(None))
        .order_by(Person.entity_id)
    )
    strict: dict[str, list[int]] = defaultdict(list)
    loose: dict[str, list[int]] = defaultdict(list)
    names: dict[int, str] = {}
    for entity_id, prefix, given, family in rows:
        strict[name_key(given, family)].append(entity_id)
        loose[name_key(given, family, loose=True)].append(entity_id)
        names[entity_id] = " ".join(part for part in (prefix, given, family) if part)
    return strict, loose, names


def _resolve_people(people: list[PersonName], result: FileResult, author: str) -> list[int]:
    """Ids of the page's people: matched by name, or created as drafts."""
    strict, loose, names = _people_index()
    ids: list[int] = []
    for person in people:
        found = strict.get(name_key(person.given_name, person.family_name)) or loose.get(
            name_key(person.given_name, person.family_name, loose=True)
        )
        if found:
            if len(found) > 1:
                result.warnings.append(
                    f"{person.text}: several people match ({', '.join(map(str, found))}); "
                    f"linked {found[0]}"
                )
            ids.append(found[0])
            result.people_linked.append(
                {"name": person.text, "id": found[0], "matched": names[found[0]]}
            )
            continue
        entity = _create_person(person, author)
        ids.append(entity.id)
        result.people_created.append(
            {
                "name": person.text,
                "id": entity.id,
                "honorific_prefix": person.prefix,
                "given_name": person.given_name,
                "family_name": person.family_name,
            }
        )
    return list(dict.fromkeys(ids))


def _create_person(person: PersonName, author: str) -> ContentEntity:
    body = {
        "honorific_prefix": person.prefix,
        "given_name": person.given_name,
        "family_name": person.family_name,
        "translations": {current_app.config["IFM"].default_language: {}},
    }
    data = PersonEditSchema().load(body)
    return create_item(REGISTRY["people"], data, author=author)
