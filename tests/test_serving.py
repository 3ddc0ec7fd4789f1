"""Graceful operation: /readyz fails on pending migrations or an unreachable database while
/healthz stays cheap; gunicorn (the shipped gunicorn.conf.py) finishes a request in flight on
SIGTERM, writes JSON request logs and sums the metrics of its workers; workers forked from
the preloaded app each use their own database connections."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from prometheus_client.parser import text_string_to_metric_families

from ifm_api import create_app
from ifm_api.config import load_settings
from ifm_api.migrate import upgrade

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
METRICS_TOKEN = "graceful-metrics-token-0123456789"


def app_on(url: str) -> Flask:
    return create_app(load_settings({"DATABASE_URL": url}))


def assert_not_ready(app: Flask) -> None:
    client = app.test_client()
    started = time.monotonic()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["type"] == "urn:ifm-api:problem:not_ready"
    assert time.monotonic() - started < 10
    assert client.get("/healthz").status_code == 200  # liveness does not ask the database


def test_readyz_fails_while_migrations_are_pending(tmp_path: Path) -> None:
    never = app_on(f"sqlite:///{tmp_path / 'never.sqlite3'}")
    assert_not_ready(never)
    behind_url = f"sqlite:///{tmp_path / 'behind.sqlite3'}"
    upgrade(behind_url, "0005")
    behind = app_on(behind_url)
    assert_not_ready(behind)
    upgrade(behind_url)
    assert behind.test_client().get("/readyz").get_json() == {"status": "ok"}


def test_a_read_on_a_database_behind_the_code_is_a_503_naming_the_cause(tmp_path: Path) -> None:
    """New code on a database not yet upgraded: the missing tables are the operator's to
    fix (``ifm-api db upgrade``), answered as ``/readyz`` answers, never as a 500."""
    url = f"sqlite:///{tmp_path / 'behind.sqlite3'}"
    upgrade(url, "0005")
    client = app_on(url).test_client()
    response = client.get("/api/v1/news?lang=en")
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["type"] == "urn:ifm-api:problem:not_ready"
    assert "not migrated" in problem["detail"]
    assert response.headers["Retry-After"] == "30"
    upgrade(url)
    assert client.get("/api/v1/news?lang=en").status_code == 200


def test_readyz_fails_while_the_database_is_unreachable() -> None:
    # Nothing listens on port 1: the connection is refused at once.
    assert_not_ready(app_on("postgresql+psycopg://postgres@127.0.0.1:1/ifm"))


# --- gunicorn --------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    token: str
    log: Path

    def lines(self) -> list[dict[str, object]]:
        found = []
        for line in self.log.read_text().splitlines():
            if line.startswith("{"):
                found.append(json.loads(line))
        return found


def _wait_until_up(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError("gunicorn exited at start-up")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as probe:
                probe.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                if probe.recv(100).startswith(b"HTTP/1.1 200"):
                    return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("gunicorn did not come up")


@pytest.fixture
def gunicorn(tmp_path: Path) -> Iterator[Server]:
    with running_gunicorn(tmp_path) as server:
        yield server


@contextmanager
def running_gunicorn(tmp_path: Path, *flags: str) -> Iterator[Server]:
    """gunicorn with the shipped gunicorn.conf.py (``flags`` win) on a migrated database."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "IFM_MEDIA_ROOT": str(tmp_path / "media"),
        "IFM_LOG_FORMAT": "json",
        "IFM_METRICS_TOKEN": METRICS_TOKEN,
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
    }
    (tmp_path / "metrics").mkdir()
    subprocess.run([BIN / "ifm-api", "db", "upgrade"], env=env, check=True, capture_output=True)
    created = subprocess.run(
        [BIN / "ifm-api", "tokens", "create", "--name", "shutdown", "--role", "editor"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    port = _free_port()
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                BIN / "gunicorn",
                "-c",
                "gunicorn.conf.py",
                "--bind",
                f"127.0.0.1:{port}",
                *flags,
                "wsgi:app",
            ],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_up(port, process)
        yield Server(process, port, created.stdout.strip().splitlines()[-1], log)
    finally:
        if process.poll() is None:
            process.terminate()  # the master stops its workers (a kill would orphan them)
            try:
                process.wait(45)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)


def _request(port: int, head: str, body: bytes = b"") -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
        connection.sendall(head.encode() + body)
        return _read_all(connection)


def _read_all(connection: socket.socket) -> bytes:
    chunks = []
    while chunk := connection.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def test_sigterm_lets_the_request_in_flight_finish(gunicorn: Server) -> None:
    body = json.dumps({"translations": {"de": {"title": "Kurz vor Feierabend"}}}).encode()
    head = (
        "POST /api/v1/news HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        f"Authorization: Bearer {gunicorn.token}\r\nContent-Type: application/json\r\n"
        f"X-Request-ID: in-flight-1\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", gunicorn.port), timeout=30) as connection:
        connection.sendall(head.encode() + body[:10])  # the worker now waits for the rest
        time.sleep(2)
        gunicorn.process.send_signal(signal.SIGTERM)
        time.sleep(1)
        assert gunicorn.process.poll() is None  # still finishing the request
        connection.sendall(body[10:])
        answer = _read_all(connection)
    assert answer.startswith(b"HTTP/1.1 201"), answer[:300]
    assert b"X-Request-ID: in-flight-1" in answer
    assert gunicorn.process.wait(40) == 0
    logged = [line for line in gunicorn.lines() if line.get("request_id") == "in-flight-1"]
    assert logged and logged[0]["status"] == 201 and logged[0]["token"] == "shutdown"


def test_metrics_under_gunicorn_count_the_requests_of_every_worker(gunicorn: Server) -> None:
    for _ in range(12):
        answer = _request(
            gunicorn.port, "GET /api/v1/news HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        assert answer.startswith(b"HTTP/1.1 200")
    counts = set()
    for _ in range(4):  # whichever worker answers the scrape, the sum is the same
        answer = _request(
            gunicorn.port,
            "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
            f"Authorization: Bearer {METRICS_TOKEN}\r\n\r\n",
        )
        text = answer.split(b"\r\n\r\n", 1)[1].decode()
        total = 0.0
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if (
                    sample.name == "ifm_http_requests_total"
                    and sample.labels["route"] == "/api/v1/news"
                ):
                    total += sample.value
        counts.add(total)
    assert counts == {12.0}


def test_workers_forked_from_the_preloaded_app_write_and_read_one_database(
    tmp_path: Path,
) -> None:
    """Workers are replaced every few requests (forked again from the master that loaded
    the app): every write is seen by the next read, whichever worker answers, and no
    connection inherited from the master is shared."""
    with running_gunicorn(tmp_path, "--max-requests", "4", "--max-requests-jitter", "0") as server:
        for n in range(8):
            title = f"Nachricht {n}"
            body = json.dumps({"translations": {"de": {"title": title}}}).encode()
            created = _request(
                server.port,
                "POST /api/v1/news HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                f"Authorization: Bearer {server.token}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n",
                body,
            )
            assert created.startswith(b"HTTP/1.1 201"), created[:300]
            item = json.loads(created.split(b"\r\n\r\n", 1)[1])["id"]
            read = _request(
                server.port,
                f"GET /api/v1/news/{item}?lang=de&version=draft HTTP/1.1\r\nHost: x\r\n"
                f"Connection: close\r\nAuthorization: Bearer {server.token}\r\n\r\n",
            )
            assert read.startswith(b"HTTP/1.1 200"), read[:300]
            assert json.loads(read.split(b"\r\n\r\n", 1)[1])["title"] == title
        log = server.log.read_text()
    assert log.count("Autorestarting worker") >= 2, log[-2000:]
    assert "Traceback" not in log, log[-4000:]


def _head_of_answer(connection: socket.socket) -> bytes:
    """Read until the end of the response head (the body is a few bytes more at most)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        assert chunk, data
        data += chunk
    return data


def test_a_client_that_keeps_its_end_open_does_not_hold_the_worker(tmp_path: Path) -> None:
    """gunicorn's lingering close would wait up to 2 s per connection for the client's
    close: three clients that read their answer and keep the socket open would hold the one
    sync worker for 6 s. A request read to its end is closed at once."""
    with running_gunicorn(tmp_path, "--workers", "1") as server:
        held = []
        try:
            started = time.monotonic()
            for _ in range(3):
                connection = socket.create_connection(("127.0.0.1", server.port), timeout=30)
                connection.sendall(b"GET /api/v1/news?lang=de HTTP/1.1\r\nHost: x\r\n\r\n")
                assert _head_of_answer(connection).startswith(b"HTTP/1.1 200")
                held.append(connection)
            answer = _request(server.port, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            elapsed = time.monotonic() - started
        finally:
            for connection in held:
                connection.close()
    assert answer.startswith(b"HTTP/1.1 200")
    assert elapsed < 1.5, elapsed


def test_a_body_the_app_did_not_read_still_gets_a_clean_close(tmp_path: Path) -> None:
    """A request refused before its body is read (401) leaves bytes in the socket: closing
    at once would make the kernel answer with a reset. That connection keeps gunicorn's
    lingering close: the client reads the whole answer and then a clean end of stream."""
    body = json.dumps({"translations": {"de": {"title": "x" * 60_000}}}).encode()
    head = (
        "POST /api/v1/news HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    with (
        running_gunicorn(tmp_path, "--workers", "1") as server,
        socket.create_connection(("127.0.0.1", server.port), timeout=30) as connection,
    ):
        connection.sendall(head.encode() + body)
        time.sleep(0.5)  # the worker has answered and closed its side by now
        answer = _read_all(connection)  # a reset would raise ConnectionResetError
    assert answer.startswith(b"HTTP/1.1 401"), answer[:300]
    problem = json.loads(answer.split(b"\r\n\r\n", 1)[1])
    assert problem["status"] == 401


def test_a_forked_process_starts_with_no_inherited_database_connections(app: Flask) -> None:
    from sqlalchemy import text

    from ifm_api.core import db

    with app.app_context():
        engine = db.engine()
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    assert engine.pool.checkedin() >= 1  # type: ignore[attr-defined]
    child = os.fork()
    if child == 0:  # pragma: no cover (the child reports through its exit status)
        os._exit(0 if engine.pool.checkedin() == 0 else 1)  # type: ignore[attr-defined]
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    with engine.connect() as connection:  # the parent's connections still serve it
        assert connection.execute(text("SELECT 1")).scalar() == 1
