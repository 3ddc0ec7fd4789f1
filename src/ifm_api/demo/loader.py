"""``ifm-api demo load``: the seed page's content (shipped in this package), idempotently."""

from __future__ import annotations

import json
from datetime import date, datetime
from importlib import resources
from typing import Any

from sqlalchemy import select

from ifm_api.core.content import REGISTRY
from ifm_api.core.db import session, transaction
from ifm_api.core.editing import create_item, publish_item
from ifm_api.core.media import store_file
from ifm_api.core.models import ContentEntity
from ifm_api.media.service import inspect_upload

AUTHOR = "demo"
ORDER = ("research_areas", "people", "projects", "reports", "news")
DATE_FIELDS = {"start_date", "end_date", "publication_date"}
DATETIME_FIELDS = {"published_at"}


def _read(name: str) -> bytes:
    return resources.files("ifm_api.demo").joinpath(name).read_bytes()


def _resolve(value: Any, ids: dict[str, int]) -> Any:
    """Replace demo keys (strings naming other demo items) by their ids."""
    if isinstance(value, str):
        return ids[value]
    if isinstance(value, list):
        return [_resolve(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: (_resolve(v, ids) if k == "person" else v) for k, v in value.items()}
    return value


def _prepare(resource: str, raw: dict[str, Any], ids: dict[str, int]) -> dict[str, Any]:
    spec = REGISTRY[resource]
    data: dict[str, Any] = {}
    for key, value in raw.items():
        if key in ("key", "file"):
            continue
        relation = spec.relation(key)
        if relation is not None and relation.target is not None:
            data[key] = _resolve(value, ids)
        elif key in DATE_FIELDS and value:
            data[key] = date.fromisoformat(value)
        elif key in DATETIME_FIELDS and value:
            data[key] = datetime.fromisoformat(value)
        else:
            data[key] = value
    if "file" in raw:
        file = raw["file"]
        content = _read(file["path"])
        properties, _warnings = inspect_upload(content, "application/pdf")
        media = store_file(
            content, file["path"], "application/pdf", author=AUTHOR, properties=properties
        )
        session().flush()
        data["files"] = [{"media_id": media.id, "lang": file["lang"], "label": file["label"]}]
    return data


def demo_present() -> bool:
    return (
        session().scalar(
            select(ContentEntity.id).where(ContentEntity.created_by == AUTHOR).limit(1)
        )
        is not None
    )


def load_demo() -> bool:
    """Create and publish the demo items; False when they are there already."""
    content = json.loads(_read("content.json"))
    with transaction():
        if demo_present():
            return False
        ids: dict[str, int] = {}
        for resource in ORDER:
            spec = REGISTRY[resource]
            for raw in content.get(resource, []):
                entity = create_item(spec, _prepare(resource, raw, ids), author=AUTHOR)
                publish_item(
                    spec,
                    entity,
                    languages=None,
                    publish_at=None,
                    expected_version=entity.version,
                    author=AUTHOR,
                )
                ids[raw["key"]] = entity.id
    return True
