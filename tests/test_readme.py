"""The README's editor story runs as it stands, step by step, from a fresh database (issue 9).

A fresh SQLite database gets the migrations and the demo content (what ``make run`` does),
``ifm-api serve`` listens on a free port, and bash runs the shell block under the
``editor-story`` marker of README.md with the real curl, jq and sed. Only the port and the
path of the virtualenv are substituted. Every step must answer as the README says, so the
README cannot drift from the API.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
MARKER = "<!-- editor-story"
TOOLS = ("bash", "curl", "jq", "sed")
BIN = Path(sys.executable).parent
# (step, status) in the order of the block's requests that print a status line
STEPS = [
    ("create the draft", 201),
    ("read the working copy", 200),
    ("publish German", 200),
    ("add English with the ETag of the publish", 200),
    ("publish everything", 200),
    ("read English as the public", 200),
    ("list the revisions", 200),
    ("restore revision 1", 200),
    ("delete with the ETag of the restore", 204),
    ("upload the shipped PDF", 201),
]


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: str

    def json(self) -> Any:
        return json.loads(self.body)


def story() -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    start = text.index("```sh\n", text.index(MARKER)) + len("```sh\n")
    return text[start : text.index("```", start)]


def replies(output: str) -> list[Reply]:
    """The responses ``curl -si`` printed, in order (line ends already made ``\\n``)."""
    found = []
    for chunk in re.split(r"(?m)^(?=HTTP/1\.[01] \d{3})", output.replace("\r\n", "\n"))[1:]:
        head, _sep, body = chunk.partition("\n\n")
        status_line, *lines = head.split("\n")
        headers = dict(line.split(": ", 1) for line in lines if ": " in line)
        found.append(Reply(int(status_line.split()[1]), headers, body.strip()))
    return found


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_up(base: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert server.poll() is None, "ifm-api serve exited"
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("ifm-api serve did not answer within 30 s")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """A fresh database with the demo content behind ``ifm-api serve``: (base URL, env)."""
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"the README story needs {', '.join(missing)} on PATH")
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'readme.sqlite3'}",
        "IFM_INSTANCE_DIR": str(tmp_path),
        "IFM_MEDIA_ROOT": str(tmp_path / "media"),
    }
    for command in (["db", "upgrade"], ["demo", "load"]):
        subprocess.run([BIN / "ifm-api", *command], env=env, check=True, capture_output=True)
    port = _free_port()
    log = (tmp_path / "server.log").open("wb")
    server = subprocess.Popen(
        [BIN / "ifm-api", "serve", "--port", str(port)], env=env, stdout=log, stderr=log
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, server)
        yield base, env
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


def test_the_readme_editor_story_runs_step_by_step(
    served: tuple[str, dict[str, str]],
) -> None:
    base, env = served
    script = story().replace("http://127.0.0.1:5000", base).replace(".venv/bin/", f"{BIN}/")
    done = subprocess.run(
        ["bash", "-c", script], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    answers = replies(done.stdout)

    for index, (step, status) in enumerate(STEPS):
        assert index < len(answers), f"no answer to step {index + 1} ({step}):\n{done.stdout}"
        assert answers[index].status == status, f"step {index + 1} ({step}):\n{answers[index]}"
    assert len(answers) == len(STEPS), done.stdout

    created, draft, published, patched, *_rest = answers
    item = created.json()
    assert created.headers["Location"].endswith(f"/api/v1/news/{item['id']}")
    assert item["people"] and item["translations"]["de"]["title"] == "Neue Studie zur Gründung"
    assert draft.headers["ETag"] == created.headers["ETag"]
    assert published.json()["publication"]["de"]["status"] == "published"
    assert patched.json()["translations"]["en"]["title"] == "New study"
    english = answers[5].json()
    assert (english["lang"], english["title"], english["fallback"]) == ("en", "New study", False)
    actions = [entry["action"] for entry in answers[6].json()["items"]]
    assert actions == ["create", "publish", "update", "publish"]
    assert "en" not in answers[7].json()["translations"]
    upload = answers[9].json()
    assert upload["content_type"] == "application/pdf" and upload["size"] > 1000
    assert answers[9].headers["Location"] == upload["url"]
    with pytest.raises(urllib.error.HTTPError) as gone:
        urllib.request.urlopen(f"{base}/api/v1/news/{item['id']}")
    assert gone.value.code == 404
