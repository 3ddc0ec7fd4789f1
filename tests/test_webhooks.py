"""Webhooks (issue 13): admin CRUD, Standard Webhooks deliveries to a real receiver on
127.0.0.1, retries, 410, the outbox, the worker (in-process and killed mid-delivery), SSRF."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from factories import edit_and_publish, news, publish_then_fail, unpublish
from flask import Flask
from flask.testing import FlaskClient
from receiver import Receiver, receiving
from sqlalchemy import insert, update
from standardwebhooks import Webhook as Verifier

from ifm_api.changes.webhook_models import Webhook, WebhookDelivery
from ifm_api.changes.worker import Worker
from ifm_api.core import db
from ifm_api.core.db import utcnow

PROBLEM = "application/problem+json"


@pytest.fixture(autouse=True)
def _local_receivers_allowed(app: Flask) -> Iterator[None]:
    settings = app.config["IFM"]
    app.config["IFM"] = dataclasses.replace(
        settings, webhooks_allow_hosts=("127.0.0.1",), webhooks_allow_http=True
    )
    yield
    app.config["IFM"] = settings


@pytest.fixture
def admin(token: Callable[..., dict[str, str]]) -> dict[str, str]:
    return token("admin")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as running:
        yield running


def create(client: FlaskClient, admin: dict[str, str], url: str, **fields: Any) -> dict[str, Any]:
    response = client.post("/api/v1/webhooks", json={"url": url, **fields}, headers=admin)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def run_worker(app: Flask, rounds: int = 3, timeout: float = 5.0) -> None:
    worker = Worker(app, timeout=timeout)
    for _ in range(rounds):
        if not worker.run_once():
            break


def make_due(app: Flask) -> None:
    """Let every waiting retry be due now (instead of in minutes)."""
    with app.app_context(), db.transaction() as session:
        session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.status == "pending")
            .values(next_attempt_at=utcnow())
        )


def verified(secret: str, received: Any) -> dict[str, Any]:
    return Verifier(secret).verify(received.body, received.headers)


def deliveries(client: FlaskClient, admin: dict[str, str], hook: int) -> list[dict[str, Any]]:
    response = client.get(f"/api/v1/webhooks/{hook}/deliveries", headers=admin)
    assert response.status_code == 200
    return response.get_json()["items"]


# --- management ----------------------------------------------------------------------------


def test_admin_creates_lists_changes_and_deletes_a_webhook(client: FlaskClient, admin):
    created = create(client, admin, "https://hooks.example.com/ifm", events=["item.published"])
    assert created["secret"].startswith("whsec_")
    assert created["events"] == ["item.published"] and created["types"] == ["*"]
    hook = created["id"]
    listed = client.get("/api/v1/webhooks", headers=admin).get_json()["items"]
    assert [h["id"] for h in listed] == [hook] and "secret" not in listed[0]
    shown = client.get(f"/api/v1/webhooks/{hook}", headers=admin).get_json()
    assert "secret" not in shown
    changed = client.patch(
        f"/api/v1/webhooks/{hook}", json={"active": False, "languages": ["en"]}, headers=admin
    )
    assert changed.status_code == 200
    assert changed.get_json()["active"] is False and changed.get_json()["languages"] == ["en"]
    assert client.delete(f"/api/v1/webhooks/{hook}", headers=admin).status_code == 204
    assert client.get(f"/api/v1/webhooks/{hook}", headers=admin).status_code == 404


def test_webhooks_are_for_admins_only(client: FlaskClient, token):
    assert client.get("/api/v1/webhooks").status_code == 401
    assert client.get("/api/v1/webhooks", headers=token("editor")).status_code == 403


@pytest.mark.parametrize(
    "body",
    [{"url": "ftp://x.example.com/"}, {"url": "https://user:pw@x.example.com/"},
     {"url": "https://x.example.com/", "events": ["item.eaten"]},
     {"url": "https://x.example.com/", "languages": ["xx"]}, {}],
)  # fmt: skip
def test_invalid_webhook_is_a_422_problem(client: FlaskClient, admin, body: dict[str, Any]):
    response = client.post("/api/v1/webhooks", json=body, headers=admin)
    assert response.status_code == 422 and response.mimetype == PROBLEM


@pytest.mark.parametrize(
    "url",
    ["https://127.0.0.2/x", "https://10.0.0.8/x", "https://169.254.169.254/latest/meta-data",
     "https://[::1]/x", "https://192.168.1.1/x", "https://localhost/x"],
)  # fmt: skip
def test_private_addresses_are_refused_when_saved(client: FlaskClient, admin, url: str):
    response = client.post("/api/v1/webhooks", json={"url": url}, headers=admin)
    assert response.status_code == 422
    assert "url" in response.get_json()["errors"]


def test_http_needs_allow_http(app: Flask, client: FlaskClient, admin):
    app.config["IFM"] = dataclasses.replace(app.config["IFM"], webhooks_allow_http=False)
    response = client.post("/api/v1/webhooks", json={"url": "http://127.0.0.1:9/"}, headers=admin)
    assert response.status_code == 422


# --- delivery ------------------------------------------------------------------------------


def test_publish_update_unpublish_delete_and_scheduled_publish_arrive_signed(
    app: Flask, client: FlaskClient, admin, receiver: Receiver, make_item
):
    hook = create(client, admin, receiver.url)
    item = news(make_item, de="Hallo", en="Hello")
    edit_and_publish(app, "news", item, {"translations": {"de": {"title": "Hallo neu"}}})
    unpublish(app, "news", item)
    other = news(make_item, de="Kurz da")
    assert (
        client.delete(f"/api/v1/news/{other}", headers={**admin, "If-Match": "*"}).status_code
        == 204
    )
    soon = utcnow() + timedelta(seconds=3)
    later = news(make_item, de="Geplant", publish_at=soon)
    run_worker(app)
    time.sleep(max(0.0, (soon - utcnow()).total_seconds()) + 0.2)
    run_worker(app)
    received = receiver.wait_for(6)
    assert received[5].at >= soon.timestamp()  # the scheduled one when its time came
    bodies = [verified(hook["secret"], r) for r in received]
    assert [(b["type"], b["data"]["id"], b["data"]["languages"]) for b in bodies] == [
        ("item.published", item, ["de", "en"]),
        ("item.updated", item, ["de", "en"]),  # updated_at shows in English too
        ("item.unpublished", item, ["de", "en"]),
        ("item.published", other, ["de", "en"]),
        ("item.deleted", other, ["de", "en"]),
        ("item.published", later, ["de", "en"]),
    ]
    first = bodies[0]["data"]
    assert first["type"] == "news"
    assert first["api_urls"]["de"] == f"http://localhost/api/v1/news/{item}?lang=de"
    assert first["urls"]["de"].startswith("https://www.ifm.example/de/news/")
    assert f"news:{item}" in first["tags"] and "news:list" in first["tags"]
    assert bodies[2]["data"]["former_slugs"]["de"] == first["slugs"]["de"]
    assert all(r.headers["webhook-signature"].startswith("v1,") for r in received)
    assert len({r.headers["webhook-id"] for r in received}) == len(received)
    log = deliveries(client, admin, hook["id"])
    assert len(log) == 6 and {d["status"] for d in log} == {"delivered"}
    assert all(d["attempts"] == 1 and d["last_status_code"] == 200 for d in log)
    assert all(d["last_duration_ms"] is not None for d in log)


def test_a_language_filter_narrows_the_events(
    app: Flask, client: FlaskClient, admin, receiver: Receiver, make_item
):
    create(client, admin, receiver.url, languages=["en"], events=["item.published"])
    news(make_item, de="Nur Deutsch")
    run_worker(app)
    body = json.loads(receiver.wait_for(1)[0].body)
    assert body["data"]["languages"] == ["en"]
    assert list(body["data"]["api_urls"]) == ["en"]


def test_retries_after_500_and_timeout_with_the_same_webhook_id(
    app: Flask, client: FlaskClient, admin, make_item
):
    with receiving([500, (200, 3.0), 200]) as receiver:
        hook = create(client, admin, receiver.url)
        news(make_item, de="Wiederholt")
        run_worker(app, rounds=1, timeout=1.0)  # 500
        waiting = deliveries(client, admin, hook["id"])[0]
        assert waiting["status"] == "pending" and waiting["last_status_code"] == 500
        assert waiting["next_attempt_at"] is not None
        make_due(app)
        run_worker(app, rounds=1, timeout=1.0)  # times out
        timed_out = deliveries(client, admin, hook["id"])[0]
        assert timed_out["status"] == "pending" and "timeout" in timed_out["last_error"]
        make_due(app)
        run_worker(app, rounds=1, timeout=1.0)
        received = receiver.wait_for(3)
        assert len({r.headers["webhook-id"] for r in received}) == 1
        for r in received:
            verified(hook["secret"], r)
        done = deliveries(client, admin, hook["id"])[0]
        assert done["status"] == "delivered" and done["attempts"] == 3


def test_410_disables_the_webhook(app: Flask, client: FlaskClient, admin, make_item):
    with receiving([410]) as receiver:
        hook = create(client, admin, receiver.url)
        news(make_item, de="Weg")
        run_worker(app)
        receiver.wait_for(1)
    shown = client.get(f"/api/v1/webhooks/{hook['id']}", headers=admin).get_json()
    assert shown["active"] is False and "410" in shown["disabled_reason"]
    assert deliveries(client, admin, hook["id"])[0]["status"] == "failed"


def test_redirects_are_not_followed(app: Flask, client: FlaskClient, admin, make_item):
    with receiving([302]) as receiver, receiving() as elsewhere:
        receiver.redirect_to = elsewhere.url
        hook = create(client, admin, receiver.url)
        news(make_item, de="Umgeleitet")
        run_worker(app, rounds=1)
        receiver.wait_for(1)
        log = deliveries(client, admin, hook["id"])[0]
        assert log["status"] == "pending" and log["last_status_code"] == 302
        assert "not followed" in log["last_error"]
        assert elsewhere.requests == []


def test_private_address_after_dns_resolution_is_refused_at_delivery(
    app: Flask, client: FlaskClient, admin, make_item
):
    """A name that resolved to a public address when saved (or did not resolve) and now
    resolves to loopback: the delivery is refused, nothing is sent."""
    with receiving() as receiver:
        with app.app_context(), db.transaction() as session:
            session.execute(
                insert(Webhook).values(
                    url=f"http://localhost:{receiver.port}/hook", events=["*"], types=["*"],
                    active=True, secret="whsec_" + "A" * 43 + "=",
                )
            )  # fmt: skip
        news(make_item, de="Geheim")
        run_worker(app, rounds=1)
        assert receiver.requests == []
    with app.app_context():
        row = db.session().query(WebhookDelivery).one()
        assert row.status == "pending" and "non-public" in (row.last_error or "")


def test_redeliver_sends_again_with_the_same_id(
    app: Flask, client: FlaskClient, admin, receiver: Receiver, make_item
):
    hook = create(client, admin, receiver.url)
    news(make_item, de="Nochmal")
    run_worker(app)
    first = deliveries(client, admin, hook["id"])[0]
    response = client.post(
        f"/api/v1/webhooks/{hook['id']}/deliveries/{first['id']}/redeliver", headers=admin
    )
    assert response.status_code == 202 and response.get_json()["status"] == "pending"
    run_worker(app)
    received = receiver.wait_for(2)
    assert received[0].headers["webhook-id"] == received[1].headers["webhook-id"]
    missing = client.post(
        f"/api/v1/webhooks/{hook['id']}/deliveries/999999/redeliver", headers=admin
    )
    assert missing.status_code == 404 and missing.mimetype == PROBLEM


def test_rotation_signs_with_both_secrets_during_the_grace_period(
    app: Flask, client: FlaskClient, admin, receiver: Receiver, make_item
):
    hook = create(client, admin, receiver.url)
    rotated = client.post(
        f"/api/v1/webhooks/{hook['id']}/rotate-secret", json={"grace_seconds": 3600}, headers=admin
    )
    assert rotated.status_code == 200
    new_secret = rotated.get_json()["secret"]
    assert new_secret != hook["secret"]
    news(make_item, de="Zwei Schlüssel")
    run_worker(app)
    received = receiver.wait_for(1)[0]
    verified(hook["secret"], received)
    verified(new_secret, received)
    client.post(
        f"/api/v1/webhooks/{hook['id']}/rotate-secret", json={"grace_seconds": 0}, headers=admin
    )


def test_failed_write_enqueues_nothing(app: Flask, client: FlaskClient, admin, receiver):
    create(client, admin, receiver.url)
    publish_then_fail(app)
    run_worker(app)
    assert receiver.requests == []
    with app.app_context():
        assert db.session().query(WebhookDelivery).count() == 0


def test_killed_worker_loses_no_event(
    app: Flask, client: FlaskClient, admin, database_url: str, media_root: Path, make_item
):
    """The worker process dies while the receiver holds the delivery; a new worker sends it
    again after the lease runs out (same webhook-id)."""
    with receiving([(200, float("inf"))]) as receiver:
        hook = create(client, admin, receiver.url)
        news(make_item, de="Überlebt")
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "IFM_MEDIA_ROOT": str(media_root),
            "IFM_WEBHOOKS_ALLOW_HOSTS": "127.0.0.1",
            "IFM_WEBHOOKS_ALLOW_HTTP": "1",
            "IFM_WEBHOOKS_TIMEOUT": "1",
        }
        command = [str(Path(sys.executable).parent / "ifm-api"), "worker"]
        first = subprocess.Popen(command, env=env)
        try:
            receiver.wait_for(1, timeout=30)
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait(10)
        receiver.release.set()
        second = subprocess.Popen(command, env=env)
        try:
            received = receiver.wait_for(2, timeout=30)
        finally:
            second.send_signal(signal.SIGTERM)
            assert second.wait(15) == 0  # stops cleanly
        assert received[0].headers["webhook-id"] == received[1].headers["webhook-id"]
        verified(hook["secret"], received[1])
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            log = deliveries(client, admin, hook["id"])[0]
            if log["status"] == "delivered":
                break
            time.sleep(0.2)
        assert log["status"] == "delivered"


def test_in_process_worker_thread_delivers_and_stops_cleanly(
    app: Flask, client: FlaskClient, admin, receiver: Receiver, make_item
):
    from ifm_api.changes.worker import start_thread

    create(client, admin, receiver.url)
    worker, thread = start_thread(app)
    try:
        news(make_item, de="Sofort")
        receiver.wait_for(1, timeout=10)
    finally:
        worker.stop()
        thread.join(10)
    assert not thread.is_alive()


def test_metrics_show_the_outbox_backlog(
    database_url: str, media_root: Path, client: FlaskClient, admin, make_item
):
    from prometheus_client.parser import text_string_to_metric_families

    from ifm_api import create_app
    from ifm_api.config import load_settings

    create(client, admin, "https://hooks.example.com/ifm")  # never sent in this test
    news(make_item, de="Wartet")
    env = {"DATABASE_URL": database_url, "IFM_MEDIA_ROOT": str(media_root),
           "IFM_METRICS_TOKEN": "m" * 32}  # fmt: skip
    scraper = create_app(load_settings(env)).test_client()
    response = scraper.get("/metrics", headers={"Authorization": "Bearer " + "m" * 32})
    assert response.status_code == 200
    values = {
        sample.name: sample.value
        for family in text_string_to_metric_families(response.get_data(as_text=True))
        for sample in family.samples
    }
    assert values["ifm_webhook_deliveries_pending"] == 1
    assert values["ifm_webhook_deliveries_failed"] == 0


# --- language versions ---------------------------------------------------------------------


def test_language_versions_have_their_own_events(
    app: Flask, client: FlaskClient, admin, token, receiver: Receiver, make_item
):
    """English taken down while German stays: an item.unpublished naming English (its former
    slug, no URL) and an item.updated for German; English published again, now or at a
    scheduled time, is an item.published for English; a slug change an item.updated with
    the former slug. Every delivery verifies."""
    editor = token("editor")
    hook = create(client, admin, receiver.url)
    item = news(
        make_item, de={"title": "Hallo", "slug": "hallo"}, en={"title": "Hello", "slug": "hello"}
    )
    seen = 0

    def events(*, wait_for: int = 1) -> dict[str, dict[str, Any]]:
        nonlocal seen
        run_worker(app)
        received = receiver.wait_for(seen + wait_for)[seen:]
        seen += len(received)
        bodies = [verified(hook["secret"], r) for r in received]
        assert all(b["data"]["id"] == item for b in bodies)
        by_type = {b["type"]: b["data"] for b in bodies}
        assert len(by_type) == len(bodies)  # one event per action
        return by_type

    assert events()["item.published"]["languages"] == ["de", "en"]

    def post(action: str, **body: Any) -> None:
        response = client.post(f"/api/v1/news/{item}/{action}", json=body, headers=editor)
        assert response.status_code == 200, response.get_json()

    post("unpublish", languages=["en"])
    got = events(wait_for=2)
    assert set(got) == {"item.unpublished", "item.updated"}
    gone = got["item.unpublished"]
    assert gone["languages"] == ["en"]
    assert gone["slugs"] == {"en": None} and gone["former_slugs"] == {"en": "hello"}
    assert gone["urls"] == {"en": None} and f"news:{item}:en" in gone["tags"]
    assert gone["served_langs"] == {"en": "de"}  # English reads show the German version now
    assert got["item.updated"]["languages"] == ["de"]
    assert client.get("/api/v1/news/slug/hello?lang=en").status_code == 404
    assert client.get(f"/api/v1/news/{item}?lang=en").get_json()["lang"] == "de"  # fallback

    post("publish", languages=["en"])
    got = events(wait_for=2)
    back = got["item.published"]
    assert back["languages"] == ["en"] and back["slugs"] == {"en": "hello"}
    assert back["urls"]["en"].endswith("/en/news/hello") and back["served_langs"] == {"en": "en"}
    assert got["item.updated"]["languages"] == ["de"]

    etag = client.get(f"/api/v1/news/{item}?lang=all&version=draft", headers=editor).headers["ETag"]
    response = client.patch(
        f"/api/v1/news/{item}",
        json={"translations": {"de": {"slug": "hallo-neu"}}},
        headers={**editor, "If-Match": etag},
    )
    assert response.status_code == 200
    post("publish", languages=["de"])
    updated = events()["item.updated"]
    assert "de" in updated["languages"]
    assert updated["slugs"]["de"] == "hallo-neu" and updated["former_slugs"]["de"] == "hallo"
    assert updated["urls"]["de"].endswith("/de/news/hallo-neu")

    post("unpublish", languages=["en"])
    assert events(wait_for=2)["item.unpublished"]["languages"] == ["en"]
    soon = utcnow() + timedelta(seconds=3)
    post("publish", languages=["en"], publish_at=soon.isoformat())
    assert "item.published" not in events()  # scheduling changes the fallback's dates only
    time.sleep(max(0.0, (soon - utcnow()).total_seconds()) + 0.2)
    run_worker(app)
    got = events(wait_for=2)
    assert got["item.published"]["languages"] == ["en"]
    assert got["item.published"]["slugs"] == {"en": "hello"}
    assert receiver.requests[-1].at >= soon.timestamp()
