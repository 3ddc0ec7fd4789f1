"""Citations of reports (BibTeX, BibLaTeX, RIS, CSL-JSON, formatted) and schema.org JSON-LD,
checked with the parsers researchers' and search engines' tools use."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import bibtexparser
import jsonschema
import pytest
import rispy
from bibtexparser import middlewares
from citeproc import Citation, CitationItem, CitationStylesBibliography, formatter
from citeproc.source.json import CiteProcJSON
from factories import news, person, project, report
from flask import Flask
from flask.testing import FlaskClient
from pyld import jsonld
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF

from ifm_api.core import db
from ifm_api.core.media import store_file
from ifm_api.linked_data.citations import STYLES, _style

pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")

FIXTURES = Path(__file__).parent / "fixtures"
SCHEMA = "https://schema.org/"
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
ORCID = "0000-0002-1825-0097"
DOI = "10.1234/ifm.2019.3"
ISBN = "978-3-16-148410-0"


def _upload(app: Flask) -> int:
    with app.app_context(), db.transaction() as session:
        media = store_file(PDF, "kurzbericht.pdf", "application/pdf", author="tests")
        session.flush()
        return media.id


@pytest.fixture
def cited(app: Flask, make_item) -> dict[str, int]:
    """A published bilingual working paper by two of the institute's people and an external
    author, in a series, with a DOI, a German PDF and a project."""
    mueller = person(
        make_item, "Bettina", "Müller", honorific_prefix="Dr.", orcid=ORCID, en="Researcher"
    )
    sajons = person(make_item, "Christoph", "Sajons", honorific_prefix="Dr.")
    work = project(make_item, "Integrationsmanagement", "Integration management")
    media = _upload(app)
    report_id = report(
        make_item,
        {"title": "Kurzbericht zur Gründung", "abstract": "<p>Über Gründungen.</p>"},
        {"title": "Brief report on start-ups", "abstract": "<p>On start-ups.</p>"},
        report_type="working_paper",
        series="ifm-Arbeitspapier",
        number="3",
        doi=DOI,
        authors=[
            {"person": mueller},
            {"person": sajons},
            {"name": "Prof. Dr. Hans von Berg"},
        ],
        project=work,
        files=[{"media_id": media, "lang": "de", "label": "PDF, deutsch"}],
    )
    return {"report": report_id, "mueller": mueller, "project": work, "media": media}


def citation(client: FlaskClient, report_id: int, fmt: str, **params: str) -> Any:
    query = "&".join(f"{k}={v}" for k, v in {"format": fmt, **params}.items())
    return client.get(f"/api/v1/reports/{report_id}/citation?{query}")


def test_bibtex_is_a_techreport_with_series_number_and_ascii_safe_umlauts(
    client: FlaskClient, cited
):
    response = citation(client, cited["report"], "bibtex")
    assert response.status_code == 200
    assert response.mimetype == "application/x-bibtex"
    text = response.get_data(as_text=True)
    assert text.isascii()  # classic BibTeX: umlauts as LaTeX macros
    library = bibtexparser.parse_string(
        text, append_middleware=[middlewares.LatexDecodingMiddleware()]
    )
    assert not library.failed_blocks
    (entry,) = library.entries
    assert entry.entry_type == "techreport"
    assert entry.key == "mueller2019kurzbericht"
    fields = entry.fields_dict
    assert fields["author"].value == "Müller, Bettina and Sajons, Christoph and von Berg, Hans"
    assert "Dr." not in fields["author"].value
    assert fields["title"].value.strip("{}") == "Kurzbericht zur Gründung"
    assert fields["institution"].value == (
        "Institut für Mittelstandsforschung, Universität Mannheim"
    )
    assert fields["type"].value == "ifm-Arbeitspapier"
    assert fields["number"].value == "3"
    assert fields["year"].value == "2019"
    assert fields["doi"].value == DOI
    assert fields["url"].value.startswith("https://www.ifm.example/de/reports/")


def test_biblatex_keeps_utf8_and_the_full_date(client: FlaskClient, cited):
    response = citation(client, cited["report"], "biblatex")
    assert response.mimetype == "application/x-biblatex"
    library = bibtexparser.parse_string(response.get_data(as_text=True))
    (entry,) = library.entries
    assert entry.entry_type == "report"
    assert entry.fields_dict["author"].value.startswith("Müller, Bettina")
    assert entry.fields_dict["date"].value == "2019-12-27"
    assert entry.fields_dict["langid"].value == "ngerman"


def test_english_citation_names_the_english_title_and_url(client: FlaskClient, cited):
    response = citation(client, cited["report"], "bibtex", lang="en")
    assert response.headers["Content-Language"] == "en"
    library = bibtexparser.parse_string(response.get_data(as_text=True))
    fields = library.entries[0].fields_dict
    assert fields["title"].value.strip("{}") == "Brief report on start-ups"
    assert "/en/reports/" in fields["url"].value


def test_ris_has_type_authors_in_order_year_doi(client: FlaskClient, cited, make_item):
    book = report(make_item, "Ein Buch", report_type="book", isbn=ISBN)
    response = citation(client, cited["report"], "ris")
    assert response.mimetype == "application/x-research-info-systems"
    (entry,) = rispy.loads(response.get_data(as_text=True))
    assert entry["type_of_reference"] == "RPRT"
    assert entry["authors"] == ["Müller, Bettina", "Sajons, Christoph", "von Berg, Hans"]
    assert entry["year"] == "2019"
    assert entry["doi"] == DOI
    (book_entry,) = rispy.loads(citation(client, book, "ris").get_data(as_text=True))
    assert book_entry["type_of_reference"] == "BOOK"
    assert book_entry["issn"] == ISBN  # rispy's name for SN


@pytest.mark.parametrize(
    ("report_type", "bibtex_type", "ris_type"),
    [
        ("final_report", "techreport", "RPRT"),
        ("article", "article", "JOUR"),
        ("book", "book", "BOOK"),
    ],
)
def test_entry_types_follow_the_report_type(
    client: FlaskClient, make_item, report_type: str, bibtex_type: str, ris_type: str
):
    item = report(make_item, "Ein Titel", report_type=report_type, series="Zeitschrift X")
    library = bibtexparser.parse_string(citation(client, item, "bibtex").get_data(as_text=True))
    assert library.entries[0].entry_type == bibtex_type
    (entry,) = rispy.loads(citation(client, item, "ris").get_data(as_text=True))
    assert entry["type_of_reference"] == ris_type


def test_csl_json_validates_and_renders_in_both_styles_and_locales(client: FlaskClient, cited):
    response = citation(client, cited["report"], "csl-json")
    assert response.mimetype == "application/vnd.citationstyles.csl+json"
    items = response.get_json()
    schema = json.loads((FIXTURES / "csl-data.schema.json").read_text())
    jsonschema.validate(items, schema)
    assert items[0]["type"] == "report"
    assert items[0]["author"][2] == {
        "family": "Berg",
        "given": "Hans",
        "non-dropping-particle": "von",
    }
    two_authors = [{**items[0], "author": items[0]["author"][:2]}]
    for style in STYLES:
        for locale in ("de-DE", "en-US"):
            bibliography = CitationStylesBibliography(
                _style(style, locale), CiteProcJSON(two_authors), formatter.plain
            )
            bibliography.register(Citation([CitationItem(items[0]["id"])]))
            (rendered,) = bibliography.bibliography()
            assert "Müller" in str(rendered)


def test_formatted_citation_follows_the_read_language(client: FlaskClient, make_item):
    first = person(make_item, "Bettina", "Müller")
    second = person(make_item, "Christoph", "Sajons")
    item = report(
        make_item,
        "Kurzbericht",
        "Short report",
        authors=[{"person": first}, {"person": second}],
    )
    style = "german-council-of-economic-experts"
    german = citation(client, item, "text", style=style).get_data(as_text=True)
    english = citation(client, item, "text", style=style, lang="en").get_data(as_text=True)
    assert "Müller, B. und C. Sajons (2019)" in german
    assert "Müller, B. and C. Sajons (2019)" in english
    apa = citation(client, item, "html", lang="en")
    assert apa.mimetype == "text/html"
    assert "<i>Short report</i>" in apa.get_data(as_text=True)


def test_citation_by_content_negotiation_on_the_detail_url(client: FlaskClient, cited):
    url = f"/api/v1/reports/{cited['report']}"
    json_response = client.get(url)
    ris_response = client.get(url, headers={"Accept": "application/x-research-info-systems"})
    assert json_response.mimetype == "application/json"
    assert ris_response.status_code == 200
    assert ris_response.mimetype == "application/x-research-info-systems"
    for response in (json_response, ris_response):
        assert "Accept" in response.headers["Vary"]
    assert json_response.headers["ETag"] != ris_response.headers["ETag"]
    again = client.get(
        url,
        headers={
            "Accept": "application/x-research-info-systems",
            "If-None-Match": ris_response.headers["ETag"],
        },
    )
    assert again.status_code == 304
    preferring = client.get(url, headers={"Accept": "application/x-bibtex;q=0.5, */*;q=0.1"})
    assert preferring.mimetype == "application/x-bibtex"


def test_unsatisfiable_accept_is_406_and_unknown_format_400(client: FlaskClient, cited):
    url = f"/api/v1/reports/{cited['report']}"
    refused = client.get(url, headers={"Accept": "image/png"})
    assert refused.status_code == 406
    assert refused.mimetype == "application/problem+json"
    assert "application/ld+json" in refused.get_json()["supported"]
    unknown = citation(client, cited["report"], "endnote")
    assert unknown.status_code == 400
    assert "bibtex" in json.dumps(unknown.get_json())
    on_news = client.get(f"{url.replace('reports', 'news')}?format=bibtex")
    assert on_news.status_code in (400, 404)
    assert client.get(f"{url}?format=bibtex&lang=all").status_code == 400


def test_draft_report_has_no_citation(client: FlaskClient, make_item):
    draft = report(make_item, "Entwurf", publish=False)
    assert citation(client, draft, "bibtex").status_code == 404
    assert client.get(f"/api/v1/reports/{draft}?format=jsonld").status_code == 404


def test_reports_list_as_a_bibliography_of_a_persons_reports(client: FlaskClient, make_item):
    author = person(make_item, "Bettina", "Müller")
    other = person(make_item, "Other", "Person")
    report(make_item, "Erster Bericht", authors=[{"person": author}])
    report(make_item, "Zweiter Bericht", authors=[{"person": author}])
    report(make_item, "Fremder Bericht", authors=[{"person": other}])
    response = client.get(f"/api/v1/reports?person={author}&format=bibtex")
    assert response.status_code == 200
    assert response.mimetype == "application/x-bibtex"
    titles = {
        e.fields_dict["title"].value.strip("{}")
        for e in bibtexparser.parse_string(response.get_data(as_text=True)).entries
    }
    assert titles == {"Erster Bericht", "Zweiter Bericht"}
    assert client.get("/api/v1/news?format=bibtex").status_code == 400


def _graph(document: dict[str, Any]) -> Graph:
    context = json.loads((FIXTURES / "schemaorg-context.jsonld").read_text())

    def loader(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
        assert url.rstrip("/") in ("https://schema.org", "http://schema.org"), url
        return {"contextUrl": None, "documentUrl": url, "document": context}

    expanded = jsonld.expand(document, {"documentLoader": loader})
    return Graph().parse(data=json.dumps(expanded), format="json-ld")


def test_report_jsonld_expands_with_doi_pdf_language_and_orcid(client: FlaskClient, cited):
    response = client.get(
        f"/api/v1/reports/{cited['report']}", headers={"Accept": "application/ld+json"}
    )
    assert response.status_code == 200
    assert response.mimetype == "application/ld+json"
    assert response.headers["Content-Language"] == "de"
    document = response.get_json()
    graph = _graph(document)
    node = URIRef(document["@id"])
    assert (node, RDF.type, URIRef(SCHEMA + "Report")) in graph
    identifiers = list(graph.objects(node, URIRef(SCHEMA + "identifier")))
    assert any(
        (i, URIRef(SCHEMA + "value"), Literal(DOI)) in graph
        and (i, URIRef(SCHEMA + "propertyID"), Literal("DOI")) in graph
        for i in identifiers
    )
    (pdf,) = graph.objects(node, URIRef(SCHEMA + "encoding"))
    assert (pdf, URIRef(SCHEMA + "inLanguage"), Literal("de")) in graph
    orcids = set(graph.objects(None, URIRef(SCHEMA + "sameAs")))
    assert URIRef(f"https://orcid.org/{ORCID}") in orcids
    publisher = next(graph.objects(node, URIRef(SCHEMA + "publisher")))
    assert (publisher, RDF.type, URIRef(SCHEMA + "ResearchOrganization")) in graph
    series = next(graph.objects(node, URIRef(SCHEMA + "isPartOf")))
    assert (series, URIRef(SCHEMA + "name"), Literal("ifm-Arbeitspapier")) in graph
    assert document["workTranslation"][0]["inLanguage"] == "en"


def test_person_jsonld_has_name_parts_and_orcid(client: FlaskClient, cited):
    response = client.get(f"/api/v1/people/{cited['mueller']}?format=jsonld&lang=en")
    document = response.get_json()
    assert document["@type"] == "Person"
    assert document["honorificPrefix"] == "Dr."
    assert (document["givenName"], document["familyName"]) == ("Bettina", "Müller")
    assert document["sameAs"] == [f"https://orcid.org/{ORCID}"]
    assert document["inLanguage"] == "en"
    assert "translationOfWork" in document
    graph = _graph(document)
    assert (URIRef(document["@id"]), RDF.type, URIRef(SCHEMA + "Person")) in graph


def test_news_and_project_jsonld(client: FlaskClient, make_item, cited):
    item = news(
        make_item,
        {"title": "Neuer Bericht", "teaser": "Kurz", "body": "<p>Eins.</p><p>Zwei.</p>"},
        people=[cited["mueller"]],
        projects=[cited["project"]],
    )
    document = client.get(f"/api/v1/news/{item}?format=jsonld").get_json()
    assert document["@type"] == "NewsArticle"
    assert document["headline"] == "Neuer Bericht"
    assert document["articleBody"] == "Eins. Zwei."
    assert document["datePublished"].startswith("2019-12-27")
    assert document["author"][0]["familyName"] == "Müller"
    assert document["author"][0]["name"] == "Bettina Müller"
    assert document["about"][0]["@type"] == "ResearchProject"
    graph = _graph(document)
    assert (URIRef(document["@id"]), RDF.type, URIRef(SCHEMA + "NewsArticle")) in graph
    work = client.get(
        f"/api/v1/projects/{cited['project']}", headers={"Accept": "application/ld+json"}
    ).get_json()
    assert work["@type"] == "ResearchProject"
    assert work["startDate"] == "2018-05-01"


def test_include_jsonld_embeds_it_in_the_detail_json(client: FlaskClient, cited):
    response = client.get(f"/api/v1/reports/{cited['report']}?include=jsonld,authors")
    body = response.get_json()
    assert response.mimetype == "application/json"
    assert body["jsonld"]["@type"] == "Report"
    assert body["authors"][0]["person"]["family_name"] == "Müller"
    plain = client.get(f"/api/v1/reports/{cited['report']}").get_json()
    assert "jsonld" not in plain


def test_linked_data_reads_make_a_constant_number_of_queries(
    client: FlaskClient, make_item, count_queries
):
    def authored(n: int) -> int:
        people = [person(make_item, f"Vorname{i}", f"Name{i}") for i in range(n)]
        return report(make_item, f"Bericht {n}", authors=[{"person": p} for p in people])

    counts = []
    for n in (1, 6):
        item = authored(n)
        with count_queries() as counter:
            assert citation(client, item, "bibtex").status_code == 200
            assert client.get(f"/api/v1/reports/{item}?format=jsonld").status_code == 200
        counts.append(counter.count)
    assert counts[0] == counts[1]
