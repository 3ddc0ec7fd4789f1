"""The delivery worker: ``ifm-api worker``, or a background thread of ``ifm-api serve``.

Each round moves due scheduled changes into the log (which enqueues their events), claims
due deliveries and sends them. A claim is a lease written in its own short transaction
(``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several workers never take the same rows):
no transaction stays open during HTTP, and a worker that dies mid-delivery only leaves a
lease that runs out, after which another round sends the delivery again (same
``webhook-id``).
"""

from __future__ import annotations

import logging
import secrets
import threading
from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select, update

from ifm_api.changes import delivery, feed, webhooks
from ifm_api.changes.models import ChangeFeedState, ChangeRecord
from ifm_api.changes.webhook_models import Webhook, WebhookDelivery
from ifm_api.core import db
from ifm_api.core.db import utcnow

log = logging.getLogger(__name__)

BATCH = 20
LEASE_MARGIN = 5.0  # seconds beyond the timeout a claimed delivery stays leased
PRUNE_EVERY = timedelta(minutes=10)
KEEP_DELIVERIES = timedelta(days=30)


class Worker:
    def __init__(self, app: Flask, *, poll: float = 0.5, timeout: float | None = None) -> None:
        self.app = app
        self.poll = poll
        self.timeout = timeout if timeout is not None else app.config["IFM"].webhooks_timeout
        self.woken = threading.Event()
        self.stopping = threading.Event()
        self.last_prune = utcnow() - PRUNE_EVERY

    # --- one round ---------------------------------------------------------------------

    def run_once(self) -> int:
        """Promote due scheduled changes, send the due deliveries; how many were sent."""
        with self.app.app_context():
            self._promote()
            claimed = self._claim()
            for item in claimed:
                if self.stopping.is_set():
                    break
                self._deliver(*item)
            self._prune()
            db.session().close()
        return len(claimed)

    def _promote(self) -> None:
        session = db.session()
        next_due = feed.next_due(session)
        now = utcnow()
        session.rollback()
        if next_due is not None and next_due <= now:
            with db.transaction() as writing:
                feed.lock(writing)
                feed.promote_due(writing, now)

    def _claim(self) -> list[tuple[int, str, str, str, list[str]]]:
        """Lease due deliveries of active webhooks: (id, event id, payload, url, secrets)."""
        now = utcnow()
        token = secrets.token_hex(8)
        lease_until = now + timedelta(seconds=self.timeout + LEASE_MARGIN)
        D, W = WebhookDelivery, Webhook
        with db.transaction() as session:
            ids = list(
                session.scalars(
                    select(D.id)
                    .join(W, W.id == D.webhook_id)
                    .where(
                        D.status == "pending",
                        D.next_attempt_at <= now,
                        (D.leased_until.is_(None)) | (D.leased_until < now),
                        W.active.is_(True),
                    )
                    .order_by(D.next_attempt_at, D.id)
                    .limit(BATCH)
                    .with_for_update(of=D, skip_locked=True)
                )
            )
            if not ids:
                return []
            session.execute(
                update(D)
                .where(D.id.in_(ids), (D.leased_until.is_(None)) | (D.leased_until < now))
                .values(leased_until=lease_until, lease=token)
            )
            rows = session.execute(
                select(D.id, D.event_id, D.payload, W.url, W.secret, W.previous_secret,
                       W.previous_secret_until)
                .join(W, W.id == D.webhook_id)
                .where(D.lease == token)
                .order_by(D.id)
            ).all()  # fmt: skip
        claimed = []
        for delivery_id, event_id, payload, url, secret, previous, until in rows:
            keys = [secret] + ([previous] if previous and until and until > now else [])
            claimed.append((delivery_id, event_id, payload, url, keys))
        return claimed

    def _deliver(
        self, delivery_id: int, event_id: str, payload: str, url: str, keys: list[str]
    ) -> None:
        settings = self.app.config["IFM"]
        headers = delivery.headers_for(keys, event_id, payload, delivery.now_utc())
        outcome = delivery.send(url, payload, headers, settings, timeout=self.timeout)
        self._record(delivery_id, outcome)

    def _record(self, delivery_id: int, outcome: delivery.Outcome) -> None:
        now = utcnow()
        with db.transaction() as session:
            row = session.get(WebhookDelivery, delivery_id)
            if row is None:  # the webhook was deleted meanwhile
                return
            row.attempts += 1
            row.last_attempt_at = now
            row.last_status_code = outcome.status_code
            row.last_error = outcome.error
            row.last_duration_ms = outcome.duration_ms
            row.leased_until = None
            row.lease = None
            if outcome.ok:
                row.status, row.delivered_at, row.next_attempt_at = "delivered", now, None
            elif outcome.status_code == 410:
                row.status, row.next_attempt_at = "failed", None
                webhooks.disable(session, row.webhook_id, "the receiver answered 410 Gone")
            else:
                row.next_attempt_at = delivery.next_attempt(row.attempts, now)
                if row.next_attempt_at is None:
                    row.status = "failed"

    def _prune(self) -> None:
        now = utcnow()
        if now - self.last_prune < PRUNE_EVERY:
            return
        self.last_prune = now
        settings = self.app.config["IFM"]
        with db.transaction() as session:
            webhooks.prune_deliveries(session, now - KEEP_DELIVERIES)
            prune_log(session, now - timedelta(days=settings.changes_retention_days))

    # --- running -----------------------------------------------------------------------

    def wake(self) -> None:
        self.woken.set()

    def run(self) -> None:
        """Rounds until ``stop()``: at once after a commit that enqueued, else every poll."""
        webhooks.WAKERS.append(self.wake)
        try:
            while not self.stopping.is_set():
                try:
                    sent = self.run_once()
                except Exception:  # a database hiccup must not end delivery
                    log.exception("webhook worker round failed")
                    sent = 0
                if not sent:
                    self.woken.wait(self.poll)
                    self.woken.clear()
        finally:
            webhooks.WAKERS.remove(self.wake)

    def stop(self) -> None:
        self.stopping.set()
        self.woken.set()


def prune_log(session: Any, older_than: Any) -> int:
    """Drop log entries older than the retention (never the newest: positions go on)."""
    newest = session.scalar(select(ChangeRecord.id).order_by(ChangeRecord.id.desc()).limit(1))
    if newest is None:
        return 0
    through = session.scalar(
        select(ChangeRecord.id)
        .where(ChangeRecord.occurred_at < older_than, ChangeRecord.id < newest)
        .order_by(ChangeRecord.id.desc())
        .limit(1)
    )
    if through is None:
        return 0
    feed.lock(session)
    result = session.execute(ChangeRecord.__table__.delete().where(ChangeRecord.id <= through))
    session.execute(
        update(ChangeFeedState).where(ChangeFeedState.id == 1).values(pruned_through=through)
    )
    return result.rowcount or 0


def start_thread(app: Flask) -> tuple[Worker, threading.Thread]:
    """The embedded worker of ``ifm-api serve`` (a daemon thread; ``stop`` and join it)."""
    worker = Worker(app)
    thread = threading.Thread(target=worker.run, name="ifm-webhooks", daemon=True)
    thread.start()
    return worker, thread
