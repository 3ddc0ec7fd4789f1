"""XLIFF exchange with translators (issue 17), over HTTP.

Exports are read with translate-toolkit's XLIFF 2.0 and 1.2 parsers (a CAT tool's view);
round trips fill targets programmatically with lxml, keeping the inline codes, and import
them with PUT (If-Match like PATCH) or as a batch.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from typing import Any

import factories
import pytest
from flask.testing import FlaskClient
from lxml import etree
from translate.storage.xliff import xlifffile
from translate.storage.xliff2 import Xliff2File

Headers = dict[str, str]
X2 = "urn:oasis:names:tc:xliff:document:2.0"
X12 = "urn:oasis:names:tc:xliff:document:1.2"
IFM = "urn:ifm-api:xliff"
XLIFF = "application/xliff+xml"
BODY = (
    '<p>Ein <strong>starker</strong> Text mit <a href="https://www.ifm.example/x">Link</a>.'
    "<br>Zweite Zeile</p><p>Absatz zwei</p>"
)
LINK = '<a href="https://www.ifm.example/x" rel="noopener noreferrer">'  # as cleaned by nh3
TRANSLATED_BODY = (
    f"<p>A text with a {LINK}link</a> that is "
    "<strong>strong</strong>.<br>Second line</p><p>Paragraph two</p>"
)


@pytest.fixture
def editor(token: Callable[..., Headers]) -> Headers:
    return token("editor")


def german_news(make_item: Callable[..., int], **kwargs: Any) -> int:
    return factories.news(
        make_item,
        de={"title": "Gründung", "teaser": "Kurz & bündig", "body": BODY},
        **kwargs,
    )


def q(local: str, ns: str = X2) -> str:
    return f"{{{ns}}}{local}"


def edit_etag(client: FlaskClient, resource: str, item: int, headers: Headers) -> str:
    return client.get(f"/api/v1/{resource}/{item}?lang=all&version=draft", headers=headers).headers[
        "ETag"
    ]


def editing(client: FlaskClient, resource: str, item: int, headers: Headers) -> Any:
    return client.get(
        f"/api/v1/{resource}/{item}?lang=all&version=draft", headers=headers
    ).get_json()


def export(client: FlaskClient, url: str, headers: Headers) -> bytes:
    response = client.get(url, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == XLIFF
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    return response.data


def set_target(unit: etree._Element, build: Callable[[etree._Element], None]) -> None:
    segment = unit.find(q("segment"))
    assert segment is not None
    old = segment.find(q("target"))
    if old is not None:
        segment.remove(old)
    target = etree.SubElement(segment, q("target"))
    build(target)


def units_of(root: etree._Element) -> dict[str, etree._Element]:
    return {unit.get("id"): unit for unit in root.iter(q("unit"))}


def translate_news(root: etree._Element, item: int, *, body: bool = True) -> None:
    """Fill the targets of a news item's units as a translator would, keeping codes."""
    units = units_of(root)

    def text(value: str) -> Callable[[etree._Element], None]:
        def build(target: etree._Element) -> None:
            target.text = value

        return build

    set_target(units[f"news.{item}.title"], text("Founding"))
    set_target(units[f"news.{item}.teaser"], text("Short & sweet"))
    if body:
        set_target(units[f"news.{item}.body"], _translated_body)


def _translated_body(target: etree._Element) -> None:
    """<pc1>A text with a <pc3>link</pc3> that is <pc2>strong</pc2>.<ph4/>Second line</pc1>
    <pc5>Paragraph two</pc5> — the codes of the source, reordered."""
    p1 = etree.SubElement(target, q("pc"), id="1", dataRefStart="d1s", dataRefEnd="d1e")
    p1.text = "A text with a "
    link = etree.SubElement(p1, q("pc"), id="3", dataRefStart="d3s", dataRefEnd="d3e")
    link.text = "link"
    link.tail = " that is "
    strong = etree.SubElement(p1, q("pc"), id="2", dataRefStart="d2s", dataRefEnd="d2e")
    strong.text = "strong"
    strong.tail = "."
    br = etree.SubElement(p1, q("ph"), id="4", dataRef="d4")
    br.tail = "Second line"
    p2 = etree.SubElement(target, q("pc"), id="5", dataRefStart="d5s", dataRefEnd="d5e")
    p2.text = "Paragraph two"


def put(client: FlaskClient, url: str, data: bytes, headers: Headers, etag: str | None) -> Any:
    extra = {"If-Match": etag} if etag else {}
    return client.put(url, data=data, headers={**headers, **extra, "Content-Type": XLIFF})


def revisions(client: FlaskClient, resource: str, item: int, headers: Headers) -> list[Any]:
    return client.get(f"/api/v1/{resource}/{item}/revisions", headers=headers).get_json()["items"]


# --- export ---------------------------------------------------------------------------------


def test_xliff2_export_reads_in_translate_toolkit_with_sources_targets_and_codes(
    client: FlaskClient, make_item: Callable[..., int], token: Callable[..., Headers]
) -> None:
    item = factories.news(
        make_item,
        de={"title": "Gründung", "body": BODY},
        en={"title": "Founding"},
    )
    data = export(client, f"/api/v1/news/{item}/xliff?target=en", token("preview"))
    store = Xliff2File.parsestring(data)
    units = {unit.getid(): unit for unit in store.units}
    assert set(units) == {f"news.{item}.title", f"news.{item}.body"}
    assert units[f"news.{item}.title"].source == "Gründung"
    assert units[f"news.{item}.title"].target == "Founding"
    assert not units[f"news.{item}.body"].target
    assert store.getsourcelanguage() == "de"
    assert store.gettargetlanguage() == "en"

    root = etree.fromstring(data)
    assert root.get("version") == "2.0"
    file_el = root.find(q("file"))
    assert file_el is not None
    assert file_el.get("id") == f"news.{item}"
    assert file_el.get(f"{{{IFM}}}version") == "2"  # created, published
    assert file_el.get(f"{{{IFM}}}exported")
    body = units_of(root)[f"news.{item}.body"]
    source = body.find(f"{q('segment')}/{q('source')}")
    assert source is not None
    codes = [(etree.QName(el).localname, el.get("id")) for el in source.iter(q("pc"), q("ph"))]
    assert codes == [("pc", "1"), ("pc", "2"), ("pc", "3"), ("ph", "4"), ("pc", "5")]
    data_refs = {d.get("id"): d.text for d in body.iter(q("data"))}
    assert data_refs["d3s"] == LINK
    assert data_refs["d4"] == "<br>"
    assert "".join(source.itertext()) == "Ein starker Text mit Link.Zweite ZeileAbsatz zwei"


def test_xliff12_export_on_request_reads_in_translate_toolkit(
    client: FlaskClient, make_item: Callable[..., int], editor: Headers
) -> None:
    item = german_news(make_item)
    data = export(client, f"/api/v1/news/{item}/xliff?target=en&format=xliff-1.2", editor)
    root = etree.fromstring(data)
    assert root.tag == q("xliff", X12) and root.get("version") == "1.2"
    store = xlifffile.parsestring(data)
    # translate-toolkit names a 1.2 unit by the file's `original` and the unit id.
    units = {unit.getid(): unit for unit in store.units}
    assert f"news/{item}\x04news.{item}.title" in units
    units = {unit_id.split("\x04")[1]: unit for unit_id, unit in units.items()}
    assert units[f"news.{item}.teaser"].source == "Kurz & bündig"
    body = root.find(f".//{q('trans-unit', X12)}[@id='news.{item}.body']/{q('source', X12)}")
    assert body is not None
    assert [el.get("id") for el in body.iter(q("g", X12), q("x", X12))] == [
        "1",
        "2",
        "3",
        "4",
        "5",
    ]


def test_export_needs_a_token_a_target_and_source_text(
    client: FlaskClient, make_item: Callable[..., int], editor: Headers
) -> None:
    item = german_news(make_item)
    assert client.get(f"/api/v1/news/{item}/xliff?target=en").status_code == 401
    for query in ("", "target=de", "target=fr", "target=en&format=po"):
        response = client.get(f"/api/v1/news/{item}/xliff?{query}", headers=editor)
        assert response.status_code == 400, query
        assert response.mimetype == "application/problem+json"
    assert client.get("/api/v1/news/999999/xliff?target=en", headers=editor).status_code == 404
    english_only = factories.news(make_item, de=None, en="Only English")
    response = client.get(f"/api/v1/news/{english_only}/xliff?target=en", headers=editor)
    assert response.status_code == 409
    assert response.get_json()["type"] == "urn:ifm-api:problem:nothing_to_translate"


# --- import of one item ---------------------------------------------------------------------


def test_round_trip_writes_the_english_working_copy_with_html_intact_and_a_revision(
    client: FlaskClient, make_item: Callable[..., int], editor: Headers
) -> None:
    item = german_news(make_item)
    root = etree.fromstring(export(client, f"/api/v1/news/{item}/xliff?target=en", editor))
    translate_news(root, item)
    before = len(revisions(client, "news", item, editor))
    etag = edit_etag(client, "news", item, editor)
    response = put(
        client, f"/api/v1/news/{item}/xliff?target=en", etree.tostring(root), editor, etag
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    report = response.get_json()["items"][0]
    assert report["id"] == item and report["type"] == "news"
    assert sorted(report["imported"]) == sorted(
        [f"news.{item}.title", f"news.{item}.teaser", f"news.{item}.body"]
    )
    assert report["conflicts"] == [] and report["changed_since_export"] is False
    assert response.headers["ETag"] != etag
    assert response.headers["ETag"] == edit_etag(client, "news", item, editor)

    working = editing(client, "news", item, editor)
    english = working["translations"]["en"]
    assert english["title"] == "Founding"
    assert english["teaser"] == "Short & sweet"
    assert english["body"] == TRANSLATED_BODY
    assert english["slug"] == "founding"
    assert working["translation_status"]["en"]["status"] == "draft"
    assert working["publication"].get("en", {}).get("status") in (None, "draft")
    history = revisions(client, "news", item, editor)
    assert len(history) == before + 1 and history[-1]["action"] == "import"
    # Drafts until published: the public English read still falls back to German.
    public = client.get(f"/api/v1/news/{item}?lang=en").get_json()
    assert public["lang"] == "de" and public["fallback"] is True

    # The same file again changes nothing and writes no revision.
    again = put(
        client,
        f"/api/v1/news/{item}/xliff",
        etree.tostring(root),
        editor,
        response.headers["ETag"],
    )
    assert again.status_code == 200
    assert again.get_json()["items"][0]["imported"] == []
    assert len(again.get_json()["items"][0]["unchanged"]) == 3
    assert len(revisions(client, "news", item, editor)) == before + 1


def test_import_makes_an_outdated_translation_current(
    client: FlaskClient, make_item: Callable[..., int], editor: Headers
) -> None:
    item = factories.news(make_item, de={"title": "Alt", "body": BODY}, en={"title": "Old"})
    etag = edit_etag(client, "news", item, editor)
    client.patch(
        f"/api/v1/news/{item}",
        json={"translations": {"de": {"title": "Gründung"}}},
        headers={**editor, "If-Match": etag},
    )
    assert editing(client, "news", item, editor)["translation_status"]["en"]["outdated_fields"] == [
        "title"
    ]
    root = etree.fromstring(export(client, f"/api/v1/news/{item}/xliff?target=en", editor))
    units = units_of(root)
    segment = units[f"news.{item}.title"].find(q("segment"))
    assert segment is not None
    assert (segment.get("state"), segment.get("subState")) == ("initial", "ifm:outdated")
    target = segment.find(q("target"))
    assert target is not None and target.text == "Old"
    assert Xliff2File.parsestring(etree.tostring(root)).units  # still reads
    target.text = "Founding"
    response = put(
        client,
        f"/api/v1/news/{item}/xliff",
        etree.tostring(root),
        editor,
        edit_etag(client, "news", item, editor),
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    status = editing(client, "news", item, editor)["translation_status"]["en"]
    assert status["outdated_fields"] == []
    assert status["status"] == "published"


def test_unit_whose_german_source_changed_since_export_is_a_conflict_the_rest_imported(
    client: FlaskClient, make_item: Callable[..., int], editor: Headers
) -> None:
    item = factories.news(
        make_item,
        de={"title": "Gründung", "teaser": "Kurz & bündig", "body": BODY},
        en={"title": "Founding (draft)"},
        languages=["de"],
    )
    root = etree.fromstring(export(client, f"/api/v1/news/{item}/xliff?target=en", editor))
    client.patch(
        f"/api/v1/news/{item}",
        json={"translations": {"de": {"title": "Die Gründung"}}},
        headers={**editor, "If-Match": edit_etag(client, "news", item, editor)},
    )
    translate_news(root, item)
    response = put(
        client,
        f"/api/v1/news/{item}/xliff",
        etree.tostring(root),
        editor,
        edit_etag(client, "news", item, editor),
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    report = response.get_json()["items"][0]
    assert report["changed_since_export"] is True
    assert report["conflicts"] == [{"unit": f"news.{item}.title", "reason": "source_changed"}]
    assert sorted(report["imported"]) == [f"news.{item}.body", f"news.{item}.teaser"]
    english = editing(client, "news", item, editor)["translations"]["en"]
    assert english["title"] == "Founding (draft)"
    assert english["body"] == TRANSLATED_BODY


def test_new_translation_without_its_title_is_422_naming_the_unit(
    client: FlaskClient, make_item: Callable[..., int], editor: Headers
) -> None:
    item = german_news(make_item)
    root = etree.fromstring(export(client, f"/api/v1/news/{item}/xliff?target=en", editor))
    set_target(units_of(root)[f"news.{item}.teaser"], lambda t: setattr(t, "text", "Short"))
    etag = edit_etag(client, "news", item, editor)
    response = put(client, f"/api/v1/news/{item}/xliff", etree.tostring(root), editor, etag)
    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == [f"news.{item}.title"]
    assert edit_etag(client, "news", item, editor) == etag


def _tamper_codes(root: etree._Element, item: int) -> None:
    def build(target: etree._Element) -> None:
        _translated_body(target)
        # The link's code becomes a new one, and the <br> is gone.
        link = target.find(f".//{q('pc')}[@id='3']")
        assert link is not None
        link.set("id", "9")
        br = target.find(f".//{q('ph')}")
        assert br is not None and br.getparent() is not None
        br.getparent().remove(br)

    set_target(units_of(root)[f"news.{item}.body"], build)


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("codes", ["news.{id}.body"]),
        ("unknown_unit", ["news.{id}.summary"]),
        ("language", ["trgLang"]),
        ("broken", ["_document"]),
        ("not_xliff", ["_document"]),
        ("plain_with_code", ["news.{id}.title"]),
    ],
)
def test_bad_file_is_422_naming_the_units_and_nothing_is_written(
    client: FlaskClient,
    make_item: Callable[..., int],
    editor: Headers,
    case: str,
    expected: list[str],
) -> None:
    item = german_news(make_item)
    data = export(client, f"/api/v1/news/{item}/xliff?target=en", editor)
    root = etree.fromstring(data)
    translate_news(root, item)
    if case == "codes":
        _tamper_codes(root, item)
    elif case == "unknown_unit":
        units_of(root)[f"news.{item}.teaser"].set("id", f"news.{item}.summary")
    elif case == "language":
        root.set("trgLang", "fr")
    elif case == "plain_with_code":
        set_target(
            units_of(root)[f"news.{item}.title"],
            lambda t: etree.SubElement(t, q("ph"), id="1", dataRef="d1"),
        )
    body = etree.tostring(root)
    if case == "broken":
        body = body[: len(body) // 2]
    elif case == "not_xliff":
        body = b"<?xml version='1.0'?><html><body>hello</body></html>"
    etag = edit_etag(client, "news", item, editor)
    before = len(revisions(client, "news", item, editor))
    response = put(client, f"/api/v1/news/{item}/xliff", body, editor, etag)
    assert response.status_code == 422, response.get_data(as_text=True)
    problem = response.get_json()
    assert problem["type"] == "urn:ifm-api:problem:xliff_invalid"
    assert sorted(problem["errors"]) == [name.format(id=item) for name in expected]
    assert edit_etag(client, "news", item, editor) == etag
    assert "en" not in editing(client, "news", item, editor)["translations"]
    assert len(revisions(client, "news", item, editor)) == before


def test_external_entities_are_not_resolved(
    client: FlaskClient, make_item: Callable[..., int], editor: Headers
) -> None:
    item = german_news(make_item)
    evil = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        b'<xliff xmlns="urn:oasis:names:tc:xliff:document:2.0" version="2.0" srcLang="de" '
        b'trgLang="en"><file id="news.'
        + str(item).encode()
        + b'"><unit id="news.'
        + str(item).encode()
        + b'.title"><segment><source>Gr\xc3\xbcndung</source><target>&e;</target></segment>'
        b"</unit></file></xliff>"
    )
    etag = edit_etag(client, "news", item, editor)
    response = put(client, f"/api/v1/news/{item}/xliff", evil, editor, etag)
    assert response.status_code in (200, 422)
    english = editing(client, "news", item, editor)["translations"].get("en") or {}
    assert "root:" not in (english.get("title") or "")


def test_put_needs_editor_xml_and_if_match(
    client: FlaskClient,
    make_item: Callable[..., int],
    editor: Headers,
    token: Callable[..., Headers],
) -> None:
    item = german_news(make_item)
    data = export(client, f"/api/v1/news/{item}/xliff?target=en", editor)
    url = f"/api/v1/news/{item}/xliff"
    etag = edit_etag(client, "news", item, editor)
    assert put(client, url, data, {}, etag).status_code == 401
    assert put(client, url, data, token("preview"), etag).status_code == 403
    assert put(client, url, data, editor, None).status_code == 428
    assert put(client, url, data, editor, '"stale"').status_code == 412
    wrong_type = client.put(
        url, data=data, headers={**editor, "If-Match": etag, "Content-Type": "text/plain"}
    )
    assert wrong_type.status_code == 415
    other = german_news(make_item)
    response = put(
        client,
        f"/api/v1/news/{other}/xliff",
        data,
        editor,
        edit_etag(client, "news", other, editor),
    )
    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == [f"news.{item}"]


# --- batches --------------------------------------------------------------------------------


def test_translation_job_exports_everything_outdated_in_english_and_imports_per_item(
    client: FlaskClient, make_item: Callable[..., int], editor: Headers
) -> None:
    first = factories.news(make_item, de={"title": "Eins", "body": BODY}, en={"title": "One"})
    second = factories.report(make_item, de={"title": "Zwei", "abstract": "<p>Kurz</p>"}, en="Two")
    current = factories.news(make_item, de="Aktuell", en="Current")
    for resource, item in (("news", first), ("reports", second)):
        client.patch(
            f"/api/v1/{resource}/{item}",
            json={"translations": {"de": {"title": "Neu"}}},
            headers={**editor, "If-Match": edit_etag(client, resource, item, editor)},
        )
    response = client.post(
        "/api/v1/translation-jobs", json={"target": "en", "status": "outdated"}, headers=editor
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == XLIFF
    assert response.headers["X-Item-Count"] == "2"
    root = etree.fromstring(response.data)
    assert [f.get("id") for f in root.findall(q("file"))] == [f"news.{first}", f"report.{second}"]
    assert f"news.{current}" not in response.get_data(as_text=True)

    units = units_of(root)
    set_target(units[f"news.{first}.title"], lambda t: setattr(t, "text", "New"))
    set_target(units[f"report.{second}.title"], lambda t: setattr(t, "text", "Two again"))

    def abstract(target: etree._Element) -> None:
        pc = etree.SubElement(target, q("pc"), id="1", dataRefStart="d1s", dataRefEnd="d1e")
        pc.text = "New"

    set_target(units[f"report.{second}.abstract"], abstract)
    # Meanwhile someone translates the report's title by hand: that unit is a conflict.
    client.patch(
        f"/api/v1/reports/{second}",
        json={"translations": {"en": {"title": "Two, by hand"}}},
        headers={**editor, "If-Match": edit_etag(client, "reports", second, editor)},
    )
    imported = client.post(
        "/api/v1/translation-jobs/import",
        data=etree.tostring(root),
        headers={**editor, "Content-Type": XLIFF},
    )
    assert imported.status_code == 200, imported.get_data(as_text=True)
    items = {(i["type"], i["id"]): i for i in imported.get_json()["items"]}
    news_result, report_result = items[("news", first)], items[("report", second)]
    assert news_result["imported"] == [f"news.{first}.title"]
    assert news_result["changed_since_export"] is False
    assert report_result["changed_since_export"] is True
    assert report_result["conflicts"] == [
        {"unit": f"report.{second}.title", "reason": "translation_changed"}
    ]
    assert report_result["imported"] == [f"report.{second}.abstract"]
    assert editing(client, "news", first, editor)["translations"]["en"]["title"] == "New"
    report = editing(client, "reports", second, editor)["translations"]["en"]
    assert report["title"] == "Two, by hand" and report["abstract"] == "<p>New</p>"
    status = client.get(
        "/api/v1/translation-status?lang=en&status=outdated", headers=editor
    ).get_json()
    assert status["meta"]["total"] == 0


def test_translation_job_by_ids_as_zip_and_bad_jobs(
    client: FlaskClient, make_item: Callable[..., int], editor: Headers
) -> None:
    news_id = german_news(make_item)
    person = factories.person(make_item)
    response = client.post(
        "/api/v1/translation-jobs",
        json={"target": "en", "ids": [news_id, person], "package": "zip", "format": "xliff-1.2"},
        headers=editor,
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        names = sorted(archive.namelist())
        assert names == sorted([f"news-{news_id}-de-en.xlf", f"person-{person}-de-en.xlf"])
        store = xlifffile.parsestring(archive.read(f"person-{person}-de-en.xlf"))
        assert [u.getid() for u in store.units] == [f"people/{person}\x04person.{person}.position"]
    for body, status in (
        ({"target": "en", "ids": [news_id, 999999]}, 422),
        ({"target": "de", "ids": [news_id]}, 422),
        ({"target": "en", "ids": [news_id], "status": "missing"}, 422),
        ({"target": "en", "status": "stale"}, 422),
        ({"target": "en", "type": ["research_area"]}, 409),
    ):
        answer = client.post("/api/v1/translation-jobs", json=body, headers=editor)
        assert answer.status_code == status, (body, answer.get_data(as_text=True))
    assert client.post("/api/v1/translation-jobs", json={"target": "en"}).status_code == 401


# --- XLIFF 1.2 and zips back in ---------------------------------------------------------------


def test_xliff12_round_trip_keeps_the_html(
    client: FlaskClient, make_item: Callable[..., int], editor: Headers
) -> None:
    item = german_news(make_item)
    data = export(client, f"/api/v1/news/{item}/xliff?target=en&format=xliff-1.2", editor)
    root = etree.fromstring(data)
    units = {unit.get("id"): unit for unit in root.iter(q("trans-unit", X12))}

    def target_of(unit_id: str) -> etree._Element:
        unit = units[unit_id]
        return etree.SubElement(unit, q("target", X12))

    target_of(f"news.{item}.title").text = "Founding"
    body = target_of(f"news.{item}.body")
    p1 = etree.SubElement(body, q("g", X12), id="1")
    p1.text = "A "
    strong = etree.SubElement(p1, q("g", X12), id="2")
    strong.text = "strong"
    strong.tail = " text with a "
    link = etree.SubElement(p1, q("g", X12), id="3")
    link.text = "link"
    link.tail = "."
    br = etree.SubElement(p1, q("x", X12), id="4")
    br.tail = "Second line"
    p2 = etree.SubElement(body, q("g", X12), id="5")
    p2.text = "Paragraph two"
    response = put(
        client,
        f"/api/v1/news/{item}/xliff?target=en",
        etree.tostring(root),
        editor,
        edit_etag(client, "news", item, editor),
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert sorted(response.get_json()["items"][0]["imported"]) == [
        f"news.{item}.body",
        f"news.{item}.title",
    ]
    english = editing(client, "news", item, editor)["translations"]["en"]
    assert english["body"] == (
        f"<p>A <strong>strong</strong> text with a {LINK}link</a>.<br>Second line</p>"
        "<p>Paragraph two</p>"
    )


def test_translation_job_zip_comes_back_as_a_zip(
    client: FlaskClient, make_item: Callable[..., int], editor: Headers
) -> None:
    first = german_news(make_item)
    second = factories.news(make_item, de="Zweite Meldung")
    response = client.post(
        "/api/v1/translation-jobs",
        json={"target": "en", "ids": [first, second], "package": "zip"},
        headers=editor,
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    translated = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(response.data)) as archive,
        zipfile.ZipFile(translated, "w") as out,
    ):
        for name in archive.namelist():
            root = etree.fromstring(archive.read(name))
            for unit in root.iter(q("unit")):
                if unit.get("id", "").endswith(".title"):
                    set_target(unit, lambda t: setattr(t, "text", "Translated"))
            out.writestr(name, etree.tostring(root))
    imported = client.post(
        "/api/v1/translation-jobs/import",
        data=translated.getvalue(),
        headers={**editor, "Content-Type": "application/zip"},
    )
    assert imported.status_code == 200, imported.get_data(as_text=True)
    assert sorted(i["imported"][0] for i in imported.get_json()["items"]) == sorted(
        [f"news.{first}.title", f"news.{second}.title"]
    )
    for item in (first, second):
        assert editing(client, "news", item, editor)["translations"]["en"]["title"] == "Translated"

    broken = io.BytesIO()
    with zipfile.ZipFile(broken, "w") as out:
        out.writestr("good.xlf", etree.tostring(root))
        out.writestr("bad.xlf", b"<xliff")
    answer = client.post(
        "/api/v1/translation-jobs/import",
        data=broken.getvalue(),
        headers={**editor, "Content-Type": "application/zip"},
    )
    assert answer.status_code == 422
    assert list(answer.get_json()["errors"]) == ["bad.xlf"]
    not_zip = client.post(
        "/api/v1/translation-jobs/import",
        data=b"PK not really",
        headers={**editor, "Content-Type": "application/zip"},
    )
    assert not_zip.status_code == 422
