"""Webhooks: admin CRUD with secrets shown once, and the outbox written at write time.

``enqueue`` runs whenever changes enter the change-feed log (``feed.APPENDED``), in the
same transaction: a rolled-back write leaves no delivery, a committed one always has its
deliveries. Changes of one item with the same action in one transaction are one event
(``item.published`` with every language that became visible).
"""

from __future__ import annotations

import base64
import secrets
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

import orjson
from flask import current_app, has_request_context, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from ifm_api.changes import guard
from ifm_api.changes.feed import APPENDED, Change, Version
from ifm_api.changes.webhook_models import Webhook, WebhookDelivery
from ifm_api.core import db
from ifm_api.core.content import REGISTRY
from ifm_api.core.db import utcnow
from ifm_api.core.errors import DETAILS, NotFound, ValidationFailed
from ifm_api.core.read.model import API_ROOT
from ifm_api.core.read.tags import stale_tags
from ifm_api.ops.metrics import register_gauge

EVENTS = ("item.published", "item.updated", "item.unpublished", "item.deleted")
DEFAULT_GRACE = timedelta(hours=24)

DETAILS.update(
    {
        "webhook_not_found": _l("No webhook with id %(id)s."),
        "delivery_not_found": _l("Webhook %(webhook)s has no delivery %(id)s."),
    }
)


def new_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def check_url(url: str) -> None:
    """422 for a URL the SSRF guard refuses (scheme, credentials, a non-public address)."""
    try:
        guard.check(url, current_app.config["IFM"], strict=False)
    except guard.Refused as exc:
        raise ValidationFailed(errors={"url": [str(exc)]}) from exc


def list_webhooks() -> list[Webhook]:
    return list(db.session().scalars(select(Webhook).order_by(Webhook.id)))


def get_webhook(webhook_id: int) -> Webhook:
    hook = db.session().get(Webhook, webhook_id)
    if hook is None:
        raise NotFound("webhook_not_found", detail_args={"id": webhook_id})
    return hook


def create_webhook(data: dict[str, Any], *, author: str) -> tuple[Webhook, str]:
    check_url(data["url"])
    secret = new_secret()
    hook = Webhook(
        url=data["url"],
        description=data.get("description"),
        events=data.get("events") or ["*"],
        types=data.get("types") or ["*"],
        languages=data.get("languages"),
        active=data.get("active", True),
        secret=secret,
        created_by=author,
    )
    db.session().add(hook)
    db.session().flush()
    return hook, secret


def update_webhook(hook: Webhook, data: dict[str, Any]) -> Webhook:
    if "url" in data:
        check_url(data["url"])
    for name in ("url", "description", "events", "types", "languages", "active"):
        if name in data:
            setattr(hook, name, data[name])
    if data.get("active"):
        hook.disabled_reason = None
    hook.updated_at = utcnow()
    db.session().flush()
    return hook


def delete_webhook(hook: Webhook) -> None:
    db.session().delete(hook)
    db.session().flush()


def rotate_secret(hook: Webhook, grace: timedelta) -> str:
    """A new secret; the old one signs too (a second signature) until the grace ends."""
    secret = new_secret()
    hook.previous_secret = hook.secret if grace.total_seconds() > 0 else None
    hook.previous_secret_until = utcnow() + grace if grace.total_seconds() > 0 else None
    hook.secret = secret
    hook.updated_at = utcnow()
    db.session().flush()
    return secret


def list_deliveries(hook: Webhook, *, status: str | None, limit: int) -> list[WebhookDelivery]:
    stmt = select(WebhookDelivery).where(WebhookDelivery.webhook_id == hook.id)
    if status:
        stmt = stmt.where(WebhookDelivery.status == status)
    return list(db.session().scalars(stmt.order_by(WebhookDelivery.id.desc()).limit(limit)))


def get_delivery(hook: Webhook, delivery_id: int) -> WebhookDelivery:
    found = db.session().get(WebhookDelivery, delivery_id)
    if found is None or found.webhook_id != hook.id:
        raise NotFound("delivery_not_found", detail_args={"webhook": hook.id, "id": delivery_id})
    return found


def redeliver(delivery: WebhookDelivery) -> WebhookDelivery:
    """Send again (same ``webhook-id``) as soon as a worker is free."""
    delivery.status = "pending"
    delivery.next_attempt_at = utcnow()
    delivery.leased_until = None
    delivery.lease = None
    db.session().flush()
    db.after_commit(wake)
    return delivery


# --- the outbox ----------------------------------------------------------------------------

WAKERS: list[Any] = []  # callables that wake an in-process worker after a commit


def wake() -> None:
    for waker in WAKERS:
        waker()


def api_root() -> str:
    """The API root in event URLs: ``IFM_PUBLIC_URL``, else the request's, else localhost."""
    from ifm_api.core.views import API_PREFIX

    settings = current_app.config["IFM"]
    if settings.public_url:
        return settings.public_url + API_PREFIX
    if has_request_context():
        return request.url_root.rstrip("/") + API_PREFIX
    return "http://localhost" + API_PREFIX


def _event_type(action: str) -> str:
    return f"item.{action}"


def _wants(hook: Any, event_type: str, item_type: str) -> bool:
    return ("*" in hook.events or event_type in hook.events) and (
        "*" in hook.types or item_type in hook.types
    )


def _web_url(version: Version, root: str) -> str | None:
    if version.web_url is not None:
        return version.web_url.replace(API_ROOT, root)
    doc = orjson.loads(version.doc.replace(API_ROOT, root))  # a fallback: its own URL
    return doc.get("web_url")


def _events(changes: list[Change], root: str) -> list[dict[str, Any]]:
    """One event per item and action: its languages, public and API URLs, stale tags.

    A language version that went (``unpublished``, ``deleted``: also when reads in that
    language now show a fallback) has no URL and no slug in its event, only its former
    slug; ``served_langs`` tells per language which language's version its reads show now
    (a fallback's: another language; none: null)."""
    segments = {spec.type: spec.segment for spec in REGISTRY.values()}
    grouped: dict[tuple[str, int, str], list[Change]] = defaultdict(list)
    for change in changes:
        grouped[(change.type, change.entity_id, change.action)].append(change)
    events = []
    for (type_, entity_id, action), group in grouped.items():
        by_lang = {change.lang: change for change in group}
        shown = action in ("published", "updated")
        urls: dict[str, str | None] = {}
        slugs: dict[str, str | None] = {}
        for lang, change in by_lang.items():
            version = change.new if shown else None
            urls[lang] = _web_url(version, root) if version else None
            slugs[lang] = version.slug if version else None
        tags: list[str] = []
        for change in group:
            tags.extend(stale_tags(type_, entity_id, change.lang))
        data = {
            "type": type_,
            "id": entity_id,
            "languages": sorted(by_lang),
            "urls": urls,
            "api_urls": {
                lang: f"{root}/{segments[type_]}/{entity_id}?lang={lang}" for lang in by_lang
            },
            "slugs": slugs,
            "former_slugs": {lang: c.former_slug for lang, c in by_lang.items()},
            "served_langs": {lang: c.new.served if c.new else None for lang, c in by_lang.items()},
            "tags": list(dict.fromkeys(tags)),
        }
        at = max(change.at for change in group)
        events.append({"type": _event_type(action), "at": at, "data": data})
    return events


def _narrowed(data: dict[str, Any], languages: list[str]) -> dict[str, Any]:
    keep = [lang for lang in data["languages"] if lang in languages]
    out = {**data, "languages": keep}
    for key in ("urls", "api_urls", "slugs", "former_slugs", "served_langs"):
        out[key] = {lang: value for lang, value in data[key].items() if lang in keep}
    out["tags"] = [t for t in data["tags"] if t.count(":") < 2 or t.rsplit(":", 1)[1] in keep]
    return out


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


# Built once: what a write needs of the active webhooks, and the outbox insert.
_ACTIVE = select(Webhook.id, Webhook.events, Webhook.types, Webhook.languages).where(
    Webhook.active.is_(True)
)
_OUTBOX = insert(WebhookDelivery)


def enqueue(session: Session, appended: list[Change]) -> None:
    """The outbox: a delivery per event and interested active webhook, in this transaction."""
    hooks = session.execute(_ACTIVE).all()
    if not hooks:
        return
    now = utcnow()
    rows = []
    for event in _events(appended, api_root()):
        event_id = "msg_" + secrets.token_urlsafe(18)
        for hook in hooks:
            if not _wants(hook, event["type"], event["data"]["type"]):
                continue
            data = event["data"]
            if hook.languages:
                data = _narrowed(data, hook.languages)
                if not data["languages"]:
                    continue
            body = {"type": event["type"], "timestamp": _iso(event["at"]), "data": data}
            rows.append(
                {
                    "webhook_id": hook.id,
                    "event_id": event_id,
                    "event_type": event["type"],
                    "payload": orjson.dumps(body).decode(),
                    "status": "pending",
                    "attempts": 0,
                    "next_attempt_at": now,
                    "created_at": now,
                }
            )
    if rows:
        session.execute(_OUTBOX, rows)
        db.after_commit(wake)


APPENDED.append(enqueue)


def backlog(session: Session | None = None) -> dict[str, int]:
    """Deliveries waiting (due now or later) and given up, for metrics (issue 12)."""
    s = session or db.session()
    rows = s.execute(
        select(WebhookDelivery.status, func.count()).group_by(WebhookDelivery.status)
    ).all()
    return {status: count for status, count in rows}


def _count(status: str) -> float:
    return float(backlog().get(status, 0))


register_gauge(
    "ifm_webhook_deliveries_pending",
    "Webhook deliveries not yet delivered (the outbox backlog, due now or retrying later).",
    lambda: _count("pending"),
)
register_gauge(
    "ifm_webhook_deliveries_failed",
    "Webhook deliveries given up (after about 24 hours of retries, or a 410).",
    lambda: _count("failed"),
)


def prune_deliveries(session: Session, older_than: datetime) -> int:
    result = session.execute(
        delete(WebhookDelivery).where(
            WebhookDelivery.status.in_(["delivered", "failed"]),
            WebhookDelivery.created_at < older_than,
        )
    )
    return result.rowcount or 0


def disable(session: Session, webhook_id: int, reason: str) -> None:
    session.execute(
        update(Webhook)
        .where(Webhook.id == webhook_id)
        .values(active=False, disabled_reason=reason[:300], updated_at=utcnow())
    )
