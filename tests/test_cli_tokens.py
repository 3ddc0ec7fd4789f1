"""``ifm-api tokens create|list|revoke``: the token is printed once (last line of stdout),
stored only as a hash, and a revoked or expired token is refused by the API."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import Result
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from ifm_api.cli import main
from ifm_api.core import db
from ifm_api.core.auth import ApiToken, hash_token
from ifm_api.core.db import utcnow

DRAFTS = "/api/v1/news?version=draft"


@pytest.fixture(autouse=True)
def _no_dotenv(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's .env must not leak into the CLI under test."""
    monkeypatch.setenv("FLASK_SKIP_DOTENV", "1")


def run(app: Flask, *args: str) -> Result:
    return app.test_cli_runner().invoke(main, ["tokens", *args])


def create(app: Flask, name: str, role: str, *extra: str) -> str:
    result = run(app, "create", "--name", name, "--role", role, *extra)
    assert result.exit_code == 0, result.output
    return result.stdout.strip().splitlines()[-1]


def bearer(plain: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {plain}"}


def stored(app: Flask, name: str) -> ApiToken | None:
    with app.app_context():
        return db.session().scalar(select(ApiToken).where(ApiToken.name == name))


def test_operator_creates_token_gets_it_as_last_stdout_line_and_it_works(
    app: Flask, client: FlaskClient
) -> None:
    result = run(app, "create", "--name", "website-preview", "--role", "preview")
    assert result.exit_code == 0
    plain = result.stdout.strip().splitlines()[-1]
    assert plain.startswith("ifm_")
    assert len(plain) > 40
    assert "website-preview" in result.stderr
    assert plain not in result.stderr
    response = client.get(DRAFTS, headers=bearer(plain))
    assert response.status_code == 200


def test_operator_creates_token_it_is_stored_only_as_hash(app: Flask) -> None:
    plain = create(app, "editor-anna", "editor")
    token = stored(app, "editor-anna")
    assert token is not None
    assert token.role == "editor"
    assert token.token_hash == hash_token(plain)
    columns = {column.name: getattr(token, column.key) for column in ApiToken.__table__.columns}
    assert all(plain not in str(value) for value in columns.values())


def test_operator_creates_token_with_expiry_it_expires_then(
    app: Flask, client: FlaskClient
) -> None:
    plain = create(app, "temp", "editor", "--expires-in", "7")
    token = stored(app, "temp")
    assert token is not None and token.expires_at is not None
    assert timedelta(days=6, hours=23) < token.expires_at - utcnow() <= timedelta(days=7)
    assert client.get(DRAFTS, headers=bearer(plain)).status_code == 200
    listing = run(app, "list")
    assert "expires=never" not in listing.stdout


def test_operator_creates_duplicate_name_fails_clearly(app: Flask) -> None:
    first = create(app, "twin", "editor")
    result = run(app, "create", "--name", "twin", "--role", "admin")
    assert result.exit_code != 0
    assert "twin" in result.output
    assert "exists already" in result.output
    assert "Traceback" not in result.output
    token = stored(app, "twin")
    assert token is not None
    assert (token.role, token.token_hash) == ("editor", hash_token(first))


@pytest.mark.parametrize(
    "args",
    [
        ["--name", "x", "--role", "root"],
        ["--name", "x"],
        ["--role", "editor"],
        ["--name", "x", "--role", "editor", "--expires-in", "0"],
        ["--name", "x", "--role", "editor", "--expires-in", "soon"],
        ["--name", "x/y", "--role", "editor"],
        ["--name", "two words", "--role", "editor"],
        ["--name", "x" * 101, "--role", "editor"],
        ["--name", "", "--role", "editor"],
    ],
)
def test_operator_creates_token_with_bad_options_gets_usage_error(
    app: Flask, args: list[str]
) -> None:
    result = run(app, "create", *args)
    assert result.exit_code == 2
    assert "Error" in result.output
    assert "Traceback" not in result.output
    with app.app_context():
        assert db.session().scalars(select(ApiToken)).all() == []


def test_operator_lists_tokens_with_role_and_state_never_values(app: Flask) -> None:
    editor = create(app, "editor-anna", "editor")
    preview = create(app, "site-preview", "preview", "--expires-in", "30")
    create(app, "old-admin", "admin")
    assert run(app, "revoke", "old-admin").exit_code == 0

    result = run(app, "list")
    assert result.exit_code == 0
    rows = [line.split("\t") for line in result.stdout.strip().splitlines()]
    assert [row[:3] for row in rows] == [
        ["editor-anna", "editor", "active"],
        ["site-preview", "preview", "active"],
        ["old-admin", "admin", "revoked"],
    ]
    assert rows[0][3] == "expires=never"
    assert rows[1][3].startswith("expires=20")
    for secret in (editor, preview, hash_token(editor), hash_token(preview)):
        assert secret not in result.output


def test_operator_lists_no_tokens_prints_nothing(app: Flask) -> None:
    result = run(app, "list")
    assert result.exit_code == 0
    assert result.stdout == ""


def test_operator_revokes_token_api_answers_401(app: Flask, client: FlaskClient) -> None:
    plain = create(app, "leaving", "editor")
    assert client.get(DRAFTS, headers=bearer(plain)).status_code == 200

    result = run(app, "revoke", "leaving")
    assert result.exit_code == 0
    assert "leaving" in result.output

    response = client.get(DRAFTS, headers=bearer(plain))
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.mimetype == "application/problem+json"
    token = stored(app, "leaving")
    assert token is not None and token.revoked_at is not None
    assert run(app, "revoke", "leaving").exit_code == 0


def test_operator_revokes_unknown_token_fails_clearly(app: Flask) -> None:
    result = run(app, "revoke", "nobody")
    assert result.exit_code != 0
    assert "no token named 'nobody'" in result.output


def test_expired_cli_token_gets_401_and_is_listed_expired(app: Flask, client: FlaskClient) -> None:
    plain = create(app, "short", "admin", "--expires-in", "1")
    assert client.get("/api/v1/tokens", headers=bearer(plain)).status_code == 200
    with app.app_context(), db.transaction() as session:
        session.execute(
            update(ApiToken)
            .where(ApiToken.name == "short")
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    response = client.get("/api/v1/tokens", headers=bearer(plain))
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    assert run(app, "list").stdout.split("\t")[2] == "expired"


def test_console_script_creates_token_on_last_stdout_line(tmp_path: Path) -> None:
    """The installed ``ifm-api`` script, as an operator's shell script would call it."""
    script = Path(sys.executable).with_name("ifm-api")
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}",
        "IFM_MEDIA_ROOT": str(tmp_path / "media"),
        "FLASK_SKIP_DOTENV": "1",
    }
    env.pop("TEST_DATABASE_URL", None)

    def call(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(script), *args], cwd=tmp_path, env=env, capture_output=True, text=True, check=False
        )

    assert call("db", "upgrade").returncode == 0
    created = call("tokens", "create", "--name", "ci", "--role", "editor")
    assert created.returncode == 0, created.stderr
    plain = created.stdout.strip().splitlines()[-1]
    assert plain.startswith("ifm_")
    duplicate = call("tokens", "create", "--name", "ci", "--role", "editor")
    assert duplicate.returncode != 0
    assert "exists already" in duplicate.stderr
    listed = call("tokens", "list")
    assert listed.stdout.startswith("ci\teditor\tactive")
    assert plain not in listed.stdout
