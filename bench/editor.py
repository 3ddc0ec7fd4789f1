"""An editor writing while the benchmark reads: one PATCH + publish per second, over HTTP.

    .venv/bin/python bench/editor.py --database-url URL --base http://127.0.0.1:18100 \
        --seconds 30 --label "product N=1000"

Creates an editor token in the seeded database (once; the server sees it at once), then every
second (until SIGTERM or --seconds) takes the next news item, reads its editing ETag, PATCHes
its German teaser with a unique marker and publishes it (`If-Match` each time), and right after
the publish's 2xx reads the public detail (no token, the same server) and checks that it shows
the marker: a read issued after a write's 2xx must show that write. Prints one line:

    EDITOR name=… writes=… failed=… consistent=… stale=… write_p50_ms=… write_p99_ms=…
"""

from __future__ import annotations

import argparse
import signal
import statistics
import time
import uuid

import httpx
from sqlalchemy import select

from ifm_api import create_app
from ifm_api.config import load_settings
from ifm_api.core import db
from ifm_api.core.auth import create_token
from ifm_api.core.content import REGISTRY


def editor_token(database_url: str) -> tuple[str, list[int]]:
    """A new editor token and the ids of the published news items."""
    app = create_app(load_settings({"DATABASE_URL": database_url}))
    with app.app_context():
        with db.transaction():
            _token, plain = create_token(f"bench-editor-{uuid.uuid4().hex[:8]}", "editor")
        model = REGISTRY["news"].model
        ids = list(db.session().scalars(select(model.entity_id).where(model.state == "live")))
    return plain, ids


def one_write(client: httpx.Client, token: str, entity_id: int) -> tuple[float, bool | None]:
    """PATCH + publish one item; (seconds, whether the public read shows it; None: failed)."""
    auth = {"Authorization": f"Bearer {token}"}
    path = f"/api/v1/news/{entity_id}"
    marker = f"Stand {uuid.uuid4().hex}"
    started = time.perf_counter()
    current = client.get(path, params={"lang": "all", "version": "draft"}, headers=auth)
    changed = client.patch(
        path,
        json={"translations": {"de": {"teaser": marker}}},
        headers={**auth, "If-Match": current.headers.get("ETag", "")},
    )
    published = client.post(
        f"{path}/publish", headers={**auth, "If-Match": changed.headers.get("ETag", "")}
    )
    took = time.perf_counter() - started
    if not (current.is_success and changed.is_success and published.is_success):
        return took, None
    public = client.get(path, params={"lang": "de"})
    return took, public.is_success and public.json().get("teaser") == marker


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--base", required=True)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--label", default="product")
    args = parser.parse_args()
    token, ids = editor_token(args.database_url)
    stopped: list[int] = []  # SIGTERM ends the loop; the line is still printed
    signal.signal(signal.SIGTERM, lambda signum, _frame: stopped.append(signum))
    times: list[float] = []
    consistent = stale = failed = 0
    deadline = time.monotonic() + args.seconds
    with httpx.Client(base_url=args.base, timeout=30) as client:
        for index in range(len(ids)):
            if stopped or time.monotonic() >= deadline:
                break
            tick = time.monotonic()
            took, shown = one_write(client, token, ids[(index * 7919) % len(ids)])
            times.append(took)
            if shown is None:
                failed += 1
            elif shown:
                consistent += 1
            else:
                stale += 1
            if not stopped:
                time.sleep(max(0.0, 1.0 - (time.monotonic() - tick)))
    ordered = sorted(times) or [0.0]
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    print(
        f"EDITOR name={args.label} writes={len(times)} failed={failed} consistent={consistent} "
        f"stale={stale} write_p50_ms={statistics.median(ordered) * 1000:.1f} "
        f"write_p99_ms={p99 * 1000:.1f}"
    )


if __name__ == "__main__":
    main()
