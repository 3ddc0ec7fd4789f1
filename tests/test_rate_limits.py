"""Rate limits: failed authentications per client address, writes per token, in memory or in
the real Redis at 127.0.0.1:6379 (shared by two app instances)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from ifm_api import create_app
from ifm_api.config import ConfigError, load_settings

Token = Callable[..., dict[str, str]]
BAD = {"Authorization": "Bearer ifm_not-a-token"}
REDIS_URL = "redis://127.0.0.1:6379/0"


def limited_app(database_url: str, media_root: Path, **env: str) -> Flask:
    settings = load_settings(
        {
            "DATABASE_URL": database_url,
            "IFM_MEDIA_ROOT": str(media_root),
            "IFM_RATELIMIT_AUTH": "3/minute",
            **env,
        },
        # Every app its own counters, also in the shared Redis.
        extra={"RATELIMIT_KEY_PREFIX": f"ifm-test-{uuid.uuid4().hex}"},
    )
    app = create_app(settings)
    app.config["TESTING"] = True
    return app


@pytest.fixture
def limited(database_url: str, media_root: Path) -> Callable[..., FlaskClient]:
    def make(**env: str) -> FlaskClient:
        return limited_app(database_url, media_root, **env).test_client()

    return make


def fail_auth(client: FlaskClient, times: int, **kwargs: Any) -> list[int]:
    return [
        client.post("/api/v1/news", json={}, headers=BAD, **kwargs).status_code
        for _ in range(times)
    ]


def test_failed_authentications_per_address_end_in_429_with_retry_after(
    limited: Callable[..., FlaskClient], token: Token
) -> None:
    client = limited()
    assert fail_auth(client, 3) == [401, 401, 401]
    response = client.post("/api/v1/news", json={}, headers=BAD)
    assert response.status_code == 429
    assert response.mimetype == "application/problem+json"
    retry = int(response.headers["Retry-After"])
    assert 1 <= retry <= 60
    problem = response.get_json()
    assert problem["type"] == "urn:ifm-api:problem:rate_limited"
    assert problem["retry_after"] == retry and problem["limit"] == "3 per 1 minute"
    assert f"{retry} Sekunden" in problem["detail"]  # German, the default language
    assert response.headers["X-Request-ID"] == problem["request_id"]
    # Now even a good token from this address waits: guessing must stop, not just fail.
    assert client.get("/api/v1/news?status=draft", headers=token("editor")).status_code == 429
    # Readers without a token are not affected.
    assert client.get("/api/v1/news").status_code == 200


def test_429_speaks_the_request_language(limited: Callable[..., FlaskClient]) -> None:
    client = limited()
    fail_auth(client, 3)
    response = client.post("/api/v1/news?lang=en", json={}, headers=BAD)
    assert response.status_code == 429
    assert response.headers["Content-Language"] == "en"
    assert response.get_json()["title"] == "Too many requests"
    assert "Try again in" in response.get_json()["detail"]


def test_successful_authentications_do_not_count(
    limited: Callable[..., FlaskClient], token: Token
) -> None:
    client = limited()
    editor = token("editor")
    for _ in range(5):
        assert client.get("/api/v1/news?status=draft", headers=editor).status_code == 200
    assert fail_auth(client, 3) == [401, 401, 401]


def test_a_spoofed_x_forwarded_for_does_not_reset_the_limit(
    limited: Callable[..., FlaskClient],
) -> None:
    client = limited()  # IFM_PROXY_COUNT=0: X-Forwarded-For is not trusted at all
    statuses = [
        client.post(
            "/api/v1/news", json={}, headers={**BAD, "X-Forwarded-For": f"203.0.113.{n}"}
        ).status_code
        for n in range(5)
    ]
    assert statuses == [401, 401, 401, 429, 429]


def test_behind_one_proxy_the_proxy_given_address_counts_and_a_prepended_one_does_not(
    limited: Callable[..., FlaskClient],
) -> None:
    client = limited(IFM_PROXY_COUNT="1")
    proxy = {"REMOTE_ADDR": "10.0.0.1"}

    def attempt(forwarded: str) -> int:
        headers = {**BAD, "X-Forwarded-For": forwarded}
        return client.post("/api/v1/news", json={}, headers=headers, environ_base=proxy).status_code

    # The client 198.51.100.7 puts a fake address first; the proxy appends the real one.
    assert [attempt(f"192.0.2.{n}, 198.51.100.7") for n in range(4)] == [401, 401, 401, 429]
    # Another client behind the same proxy is another address.
    assert attempt("198.51.100.8") == 401


def test_writes_are_limited_per_token(limited: Callable[..., FlaskClient], token: Token) -> None:
    client = limited(IFM_RATELIMIT_WRITES="2/minute")
    first, second = token("editor"), token("editor")
    body = {"translations": {"de": {"title": "Ein Entwurf"}}}
    assert [
        client.post("/api/v1/news", json=body, headers=first).status_code for _ in range(3)
    ] == [
        201,
        201,
        429,
    ]
    assert client.post("/api/v1/news", json=body, headers=second).status_code == 201
    # Reads with the same token go on.
    assert client.get("/api/v1/news?status=draft", headers=first).status_code == 200


def test_limits_can_be_turned_off(limited: Callable[..., FlaskClient]) -> None:
    client = limited(IFM_RATELIMIT_ENABLED="0")
    assert set(fail_auth(client, 6)) == {401}


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("IFM_RATELIMIT_AUTH", "twenty a minute"),
        ("IFM_RATELIMIT_WRITES", "5/fortnight"),
        ("IFM_RATELIMIT_STORAGE_URL", "memcached://127.0.0.1"),
        ("IFM_RATELIMIT_ENABLED", "maybe"),
    ],
)
def test_bad_limit_settings_stop_start_up_naming_the_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        load_settings({name: value})


# --- Redis ---------------------------------------------------------------------------------


def redis_or_skip() -> None:
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"Redis is not running at {REDIS_URL}: the shared-limit test needs it")


def test_one_limit_holds_across_two_app_instances_sharing_redis(
    database_url: str, media_root: Path
) -> None:
    redis_or_skip()
    prefix = {"RATELIMIT_KEY_PREFIX": f"ifm-test-{uuid.uuid4().hex}"}
    env = {
        "DATABASE_URL": database_url,
        "IFM_MEDIA_ROOT": str(media_root),
        "IFM_RATELIMIT_AUTH": "3/minute",
        "IFM_RATELIMIT_STORAGE_URL": REDIS_URL,
    }
    first = create_app(load_settings(env, extra=prefix)).test_client()
    second = create_app(load_settings(env, extra=prefix)).test_client()
    assert fail_auth(first, 2) == [401, 401]
    assert fail_auth(second, 1) == [401]
    assert fail_auth(first, 1) == [429]
    assert fail_auth(second, 1) == [429]
    # A fresh memory-only instance knows nothing of it: the counters were in Redis.
    assert fail_auth(
        create_app(
            load_settings({**env, "IFM_RATELIMIT_STORAGE_URL": ""}, extra=prefix)
        ).test_client(),
        1,
    ) == [401]


def test_unreachable_redis_falls_back_to_memory_instead_of_failing(
    limited: Callable[..., FlaskClient],
) -> None:
    client = limited(IFM_RATELIMIT_STORAGE_URL="redis://127.0.0.1:1/0")
    assert fail_auth(client, 4) == [401, 401, 401, 429]
    assert client.get("/api/v1/news").status_code == 200
