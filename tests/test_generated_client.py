"""A client generated from the committed document works: the editor's story through it only.

openapi-python-client (a dev dependency, offline) generates a client from
openapi/openapi.json with openapi/client-config.yaml into a temporary folder; the test
imports it and talks to a real server on 127.0.0.1 (werkzeug in a thread, this session's
app and database). Every call goes through the generated functions and typed models:
documented fields are attributes (never `additional_properties`), errors are `Problem`.
"""

from __future__ import annotations

import importlib
import io
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from flask import Flask
from media_files import pdf_document
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parents[1]
DOCUMENT = ROOT / "openapi" / "openapi.json"
CONFIG = ROOT / "openapi" / "client-config.yaml"
PACKAGE = "ifm_api_client"


def _generator() -> str | None:
    beside_python = Path(sys.executable).parent / "openapi-python-client"
    return str(beside_python) if beside_python.exists() else shutil.which("openapi-python-client")


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """The generated package, imported (and forgotten again after the module's tests)."""
    generator = _generator()
    if generator is None:
        pytest.skip("openapi-python-client is not installed (it is a dev dependency: make install)")
    root = tmp_path_factory.mktemp("client")
    config = root / "config.yaml"
    # No post hooks: formatting the generated code (ruff) is not what is tested here.
    config.write_text(CONFIG.read_text(encoding="utf-8") + "post_hooks: []\n", encoding="utf-8")
    output = str(root / PACKAGE)
    command = [generator, "generate", "--path", str(DOCUMENT), "--output-path", output]
    result = subprocess.run(
        [*command, "--meta", "none", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Warning" not in result.stdout, result.stdout  # no endpoint or response left out
    sys.path.insert(0, str(root))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(root))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(PACKAGE + ".")]:
            del sys.modules[name]


@pytest.fixture
def server(app: Flask) -> Iterator[str]:
    """The app on a free port of 127.0.0.1, for this test only."""
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()
        thread.join(timeout=10)


def _api(name: str) -> Any:
    return importlib.import_module(f"{PACKAGE}.{name}")


def _typed(model: Any) -> Any:
    """Every documented field was parsed into an attribute: nothing fell back to the
    catch-all ``additional_properties`` of the generated model."""
    assert getattr(model, "additional_properties", {}) == {}, type(model).__name__
    return model


def test_editor_story_through_the_generated_client(
    generated: ModuleType,
    server: str,
    make_item: Callable[..., int],
    token: Callable[[str], dict[str, str]],
) -> None:
    models = _api("models")
    types = _api("types")
    news = {
        n: _api(f"api.news.{n}") for n in ("list_news", "get_news_item", "get_news_item_by_slug")
    }
    write = {
        n: _api(f"api.news.{n}")
        for n in ("create_news_item", "update_news_item", "publish_news_item")
    }
    revisions = _api("api.news.list_news_revisions")
    upload_media = _api("api.media.upload_media")
    download = _api("api.media.download_media_by_filename")
    create_report = _api("api.reports.create_report")
    publish_report = _api("api.reports.publish_report")
    feed = _api("api.feeds.get_news_feed_rss")

    existing = make_item(
        "news",
        {
            "translations": {
                "de": {"title": "Neue Studie", "teaser": "Kurz"},
                "en": {"title": "New study", "teaser": "Short"},
            }
        },
    )
    public = generated.Client(base_url=server)
    plain = token("editor")["Authorization"].removeprefix("Bearer ")
    editor = generated.AuthenticatedClient(base_url=server, token=plain)

    # 1. list news in English
    page = news["list_news"].sync(client=public, lang=models.ListNewsLang.EN)
    assert isinstance(page, models.NewsItemPage)
    assert [item.id for item in page.items] == [existing]
    item = _typed(page.items[0])
    assert isinstance(item, models.NewsItem)
    assert (item.lang, item.title, item.teaser) == ("en", "New study", "Short")
    assert _typed(page.meta).total == 1

    # 2. one item by id and one by slug
    by_id = _typed(
        news["get_news_item"].sync(existing, client=public, lang=models.GetNewsItemLang.EN)
    )
    assert isinstance(by_id, models.NewsItem) and by_id.slug == item.slug
    by_slug = news["get_news_item_by_slug"].sync(
        item.slug, client=public, lang=models.GetNewsItemBySlugLang.EN
    )
    assert isinstance(by_slug, models.NewsItem) and by_slug.id == existing

    # 3. a draft, created with an editor token
    draft = models.NewsItemEdit(
        translations=models.NewsItemEditTranslations(
            de=models.NewsItemTranslationEdit(title="Entwurf", teaser="Noch nicht fertig"),
        ),
        tags=["studie"],
    )
    created = write["create_news_item"].sync_detailed(client=editor, body=draft)
    assert created.status_code == 201, created.content
    made = _typed(created.parsed)
    assert isinstance(made, models.NewsItemEdit)
    assert made.translations.de.title == "Entwurf"
    etag = created.headers["ETag"]

    # 4. a change with the If-Match of the last write (a stale one is a typed Problem)
    change = models.NewsItemPatch(
        translations=models.NewsItemPatchTranslations(
            en=models.NewsItemTranslationEdit(title="Draft", teaser="Not ready yet")
        )
    )
    changed = write["update_news_item"].sync_detailed(
        made.id, client=editor, body=change, if_match=etag
    )
    assert changed.status_code == 200, changed.content
    assert _typed(changed.parsed).translations.en.title == "Draft"
    stale = write["update_news_item"].sync_detailed(
        made.id, client=editor, body=change, if_match=etag
    )
    assert stale.status_code == 412
    problem = _typed_problem(models, stale.parsed)
    assert problem.type_ == "urn:ifm-api:problem:precondition_failed"
    etag = changed.headers["ETag"]

    # 5. publish
    published = write["publish_news_item"].sync_detailed(made.id, client=editor, if_match=etag)
    assert published.status_code == 200, published.content
    assert isinstance(_typed(published.parsed), models.NewsItemEdit)

    # 6. its revisions
    history = revisions.sync(made.id, client=editor)
    assert isinstance(history, models.RevisionList)
    assert len(history.items) >= 3
    assert all(isinstance(_typed(r), models.RevisionSummary) for r in history.items)

    # 7. a PDF, uploaded and attached to a report
    pdf = pdf_document(1, title="Jahresbericht", lang="de")
    upload = models.Upload(
        file=types.File(
            payload=io.BytesIO(pdf), file_name="jahresbericht.pdf", mime_type="application/pdf"
        )
    )
    uploaded = upload_media.sync_detailed(client=editor, body=upload)
    assert uploaded.status_code == 201, uploaded.content
    stored = _typed(uploaded.parsed)
    assert isinstance(stored, models.Uploaded) and stored.content_type == "application/pdf"
    report = models.ReportEdit(
        translations=models.ReportEditTranslations(
            de=models.ReportTranslationEdit(title="Jahresbericht 2026")
        ),
        files=[models.ReportFileEdit(media_id=stored.id, lang=models.ReportFileEditLang.DE)],
    )
    made_report = create_report.sync_detailed(client=editor, body=report)
    assert made_report.status_code == 201, made_report.content
    report_edit = _typed(made_report.parsed)
    assert [f.media_id for f in report_edit.files] == [stored.id]
    shown = publish_report.sync_detailed(
        report_edit.id, client=editor, if_match=made_report.headers["ETag"]
    )
    assert shown.status_code == 200, shown.content

    # 8. the feed as text, the PDF as bytes
    rss = feed.sync(client=public, lang=models.GetNewsFeedRssLang.EN)
    assert isinstance(rss, str) and "<rss" in rss and "New study" in rss
    got = download.sync_detailed(stored.id, stored.filename, client=public)
    assert got.status_code == 200
    assert isinstance(got.parsed, types.File)
    assert got.parsed.payload.read() == pdf

    # Errors are the typed Problem with its declared members.
    missing = news["get_news_item"].sync_detailed(999_999, client=public)
    assert missing.status_code == 404
    assert _typed_problem(models, missing.parsed).status == 404
    bad_lang = news["list_news"].sync_detailed(client=public, accept_language="de")
    assert bad_lang.status_code == 200


def _typed_problem(models: Any, parsed: Any) -> Any:
    assert isinstance(parsed, models.Problem), parsed
    assert parsed.type_.startswith("urn:ifm-api:problem:")
    assert isinstance(parsed.title, str) and isinstance(parsed.detail, str)
    # Problem allows extension members (RFC 9457); the documented ones are attributes.
    assert not {"errors", "supported", "accepted", "request_id"} & set(parsed.additional_properties)
    return parsed
