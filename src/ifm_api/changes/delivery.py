"""Sending one delivery: Standard Webhooks signing, the SSRF guard, retries with backoff.

The body is signed with the ``standardwebhooks`` library (``v1,<base64 HMAC-SHA256>`` of
``{webhook-id}.{webhook-timestamp}.{body}``); during a secret's grace period the previous
secret signs too (two signatures, either verifies). httpx sends it to the address the guard
checked, with a 5 s connect and read timeout and no redirects followed.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
from standardwebhooks import Webhook as Signer

from ifm_api.changes import guard
from ifm_api.config import Settings

# The wait after each failed attempt: about 24 hours of retries, then it is given up.
RETRY_DELAYS = (60, 300, 1800, 7200, 21600, 43200)
JITTER = 0.1
USER_AGENT = "ifm-api-webhooks/1"


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str | None
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def signature(secrets: list[str], event_id: str, timestamp: datetime, body: str) -> str:
    return " ".join(Signer(secret).sign(event_id, timestamp, body) for secret in secrets)


def headers_for(secrets: list[str], event_id: str, body: str, now: datetime) -> dict[str, str]:
    return {
        "webhook-id": event_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature(secrets, event_id, now, body),
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }


def _pinned(target: guard.Target, url: str) -> tuple[str, dict[str, str], dict[str, str]]:
    """The URL with the checked address as host, the Host header and the TLS name."""
    parts = httpx.URL(url)
    address = target.address or target.host
    host = f"[{address}]" if ":" in address else address
    pinned = str(parts.copy_with(host=host.strip("[]")))
    default = 443 if target.scheme == "https" else 80
    host_header = target.host if target.port == default else f"{target.host}:{target.port}"
    if ":" in target.host:
        host_header = f"[{target.host}]" + ("" if target.port == default else f":{target.port}")
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    return pinned, {"host": host_header}, extensions


def send(
    url: str,
    body: str,
    headers: dict[str, str],
    settings: Settings,
    *,
    timeout: float,
) -> Outcome:
    """POST once; the guard decides first where it may go (after resolving the name)."""
    started = time.monotonic()
    try:
        target = guard.check(url, settings, strict=True)
    except guard.Refused as exc:
        return Outcome(None, f"refused: {exc}", 0)
    pinned, host, extensions = _pinned(target, url)
    try:
        with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client:
            response = client.post(
                pinned, content=body.encode(), headers={**headers, **host}, extensions=extensions
            )
        elapsed = int((time.monotonic() - started) * 1000)
        error = None
        if response.is_redirect:
            error = f"redirect to {response.headers.get('location', '?')[:200]} not followed"
        return Outcome(response.status_code, error, elapsed)
    except httpx.TimeoutException:
        return Outcome(
            None, f"timeout after {timeout:g} s", int((time.monotonic() - started) * 1000)
        )
    except httpx.HTTPError as exc:
        elapsed = int((time.monotonic() - started) * 1000)
        return Outcome(None, f"{type(exc).__name__}: {exc}"[:500], elapsed)


def next_attempt(attempts: int, now: datetime) -> datetime | None:
    """When to try again after ``attempts`` failed attempts; None: give up."""
    if attempts > len(RETRY_DELAYS):
        return None
    delay = RETRY_DELAYS[attempts - 1]
    return now + timedelta(seconds=delay * random.uniform(1 - JITTER, 1 + JITTER))


def now_utc() -> datetime:
    return datetime.now(UTC)
