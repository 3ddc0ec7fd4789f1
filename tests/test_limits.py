"""Request limits: the app's own, as problem documents, also under the shipped gunicorn.conf.py.

The gunicorn tests start a real gunicorn (the repository's configuration file, one worker,
a random port on 127.0.0.1) on the test database and stop it at the end of the module.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from ifm_api.core.limits import MAX_FIELD_BYTES, MAX_RANGES, MAX_URL_LENGTH

ROOT = Path(__file__).resolve().parent.parent
PROBLEM = "application/problem+json"

MANY_LANGUAGES = {"Accept-Language": ",".join(f"x{i % 100}-y;q=0.5" for i in range(10_000))}
MANY_RANGES = {"Range": "bytes=" + ",".join(f"{i}-{i}" for i in range(1_500))}
SOME_RANGES = {"Range": "bytes=" + ",".join(f"{i}-{i}" for i in range(MAX_RANGES + 1))}
CONTROL_IF_MATCH = {"If-Match": '"abc\x01def"'}

# (path, headers, status): each must be answered by the app with a problem document.
OVER_LIMITS = [
    ("/api/v1/news", MANY_LANGUAGES, 431),
    ("/api/v1/news?lang=" + "e" * 5_000, {}, 414),
    ("/api/v1/news/slug/" + "a" * 10_000, {}, 414),
    ("/api/v1/media/1/report.pdf", MANY_RANGES, 431),
    ("/api/v1/media/1/report.pdf", SOME_RANGES, 416),
    ("/api/v1/news/1", CONTROL_IF_MATCH, 400),
]


def assert_problem(status: int, content_type: str, body: bytes, expected: int) -> dict:
    assert status == expected, body[:300]
    assert content_type.split(";")[0] == PROBLEM
    problem = json.loads(body)
    assert problem["status"] == expected
    assert problem["type"].startswith("urn:ifm-api:problem:")
    return problem


# --- through the app ---------------------------------------------------------------------


@pytest.mark.parametrize(("path", "headers", "status"), OVER_LIMITS)
def test_client_over_a_limit_gets_a_problem_document(
    client: FlaskClient, path: str, headers: dict[str, str], status: int
) -> None:
    response = client.get(path, headers=headers)
    assert_problem(response.status_code, response.content_type, response.data, status)


def test_client_limit_problem_names_the_header_and_is_localized(client: FlaskClient) -> None:
    response = client.get("/api/v1/news?lang=en", headers={"X-Request-Id": "a\x7f"})
    problem = assert_problem(response.status_code, response.content_type, response.data, 400)
    assert problem["detail"] == "The header field X-Request-Id contains a control character."
    if_match = client.get("/api/v1/news", headers=CONTROL_IF_MATCH)
    problem = assert_problem(if_match.status_code, if_match.content_type, if_match.data, 400)
    assert problem["type"] == "urn:ifm-api:problem:invalid_if_match"
    long = client.get("/api/v1/news?q=" + "x" * MAX_URL_LENGTH, headers={"Accept-Language": "de"})
    german = assert_problem(long.status_code, long.content_type, long.data, 414)
    assert german["detail"] == f"Die URL ist länger als {MAX_URL_LENGTH} Zeichen."
    assert long.headers["Content-Language"] == "de"


def test_client_just_within_the_limits_is_served(client: FlaskClient) -> None:
    within = {"Accept-Language": "en;q=0.9," * ((MAX_FIELD_BYTES - 40) // 9)}
    assert client.get("/api/v1/news", headers=within).status_code == 200
    assert client.get("/api/v1/news?tag=" + "a" * 3_000).status_code == 200
    assert client.get("/api/v1/news", headers={"If-Match": '"a\tb"'}).status_code == 200


# --- through the production server ----------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_up(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited: {log.read_text()[-2000:]}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"gunicorn did not answer: {log.read_text()[-2000:]}")


@pytest.fixture(scope="module")
def gunicorn_port(
    database_url: str, media_root: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[int]:
    port = _free_port()
    log = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "IFM_MEDIA_ROOT": str(media_root),
        "IFM_SITE_URL": "https://www.ifm.example",
    }
    for name in ("IFM_PUBLIC_URL", "IFM_PROXY_COUNT"):
        env.pop(name, None)
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--config",
        str(ROOT / "gunicorn.conf.py"),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "1",
        "wsgi:app",
    ]
    with log.open("wb") as output:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=output)
    try:
        _wait_until_up(port, process, log)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _get(port: int, path: str, headers: dict[str, str]) -> tuple[int, str, bytes, dict]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        return (
            response.status,
            response.getheader("Content-Type", ""),
            response.read(),
            dict(response.getheaders()),
        )
    finally:
        connection.close()


@pytest.mark.parametrize(("path", "headers", "status"), OVER_LIMITS)
def test_gunicorn_over_a_limit_answers_with_the_apps_problem_document(
    gunicorn_port: int, path: str, headers: dict[str, str], status: int
) -> None:
    got, content_type, body, _headers = _get(gunicorn_port, path, headers)
    assert_problem(got, content_type, body, status)


@pytest.mark.parametrize(
    "head",
    [
        b'GET /api/v1/news HTTP/1.1\r\nHost: x\r\nIf-Match: "a\x00b"\r\n\r\n',
        b"GARBAGE\r\n\r\n",
        b"GET /api/v1/news HTTP/1.1\r\nBad Header: x\r\n\r\n",
    ],
)
def test_gunicorn_own_refusals_are_problem_documents_too(gunicorn_port: int, head: bytes) -> None:
    with socket.create_connection(("127.0.0.1", gunicorn_port), timeout=10) as sock:
        sock.sendall(head)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head_part, _sep, body = answer.partition(b"\r\n\r\n")
    assert head_part.startswith(b"HTTP/1.1 400 ")
    assert b"\r\nContent-Type: application/problem+json\r\n" in head_part
    assert json.loads(body)["status"] == 400


def test_gunicorn_trusts_no_forwarded_header_by_itself(gunicorn_port: int) -> None:
    status, _type, _body, headers = _get(
        gunicorn_port,
        "/api/v1/news",
        {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.example"},
    )
    assert status == 200
    assert headers["Link"].startswith(f"<http://127.0.0.1:{gunicorn_port}/api/v1/news?")
    assert "evil.example" not in headers["Link"]
