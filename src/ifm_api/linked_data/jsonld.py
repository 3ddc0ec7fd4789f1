"""schema.org JSON-LD of public items, derived from their public representation.

Each language version is its own node (``@id`` = its website URL), linked to the other
language versions by ``workTranslation`` (from the default language's version) and
``translationOfWork`` (from a translation). Embedded people and projects become nodes with
their website URLs as ``@id``, so a consumer merging several documents gets one graph.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ifm_api.linked_data.citations import Institution, plain_text

CONTEXT = "https://schema.org"
REPORT_TYPES = {
    "article": "ScholarlyArticle",
    "book": "Book",
    "chapter": "Chapter",
    "other": "CreativeWork",
}
ORCID_URL = "https://orcid.org/"


def organization(institution: Institution, site_url: str) -> dict[str, Any]:
    return {
        "@type": "ResearchOrganization",
        "name": institution.name,
        "url": site_url,
        "address": {"@type": "PostalAddress", "addressLocality": institution.place},
    }


def _compact(node: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in node.items() if v not in (None, "", [], {})}


def _ref(summary: dict[str, Any] | None, schema_type: str) -> dict[str, Any] | None:
    """A related item (summary or full) as a node: its website URL when known, and its name."""
    if not summary:
        return None
    name = summary.get("name") or summary.get("title")
    return _compact(
        {
            "@type": schema_type,
            "@id": summary.get("web_url"),
            "name": name,
            "url": summary.get("web_url"),
        }
    )


def _person(person: dict[str, Any] | None) -> dict[str, Any] | None:
    """An embedded person: name parts when the full item is there, never the honorific in
    ``name``."""
    if not person or not person.get("family_name"):
        return _ref(person, "Person")
    given, family = person.get("given_name"), person["family_name"]
    return _compact(
        {
            "@type": "Person",
            "@id": person.get("web_url"),
            "name": " ".join(part for part in (given, family) if part),
            "honorificPrefix": person.get("honorific_prefix"),
            "givenName": given,
            "familyName": family,
            "url": person.get("web_url"),
            "sameAs": [ORCID_URL + person["orcid"]] if person.get("orcid") else [],
        }
    )


def _translations(item: dict[str, Any], default_lang: str) -> dict[str, Any]:
    """``workTranslation`` / ``translationOfWork`` between the item's language versions."""
    versions = {
        lang: version
        for lang, version in (item.get("translations") or {}).items()
        if isinstance(version, dict) and version.get("web_url") and lang != item["lang"]
    }
    if item["lang"] == default_lang:
        others = [
            {"@id": version["web_url"], "inLanguage": lang} for lang, version in versions.items()
        ]
        return {"workTranslation": others}
    source = versions.get(default_lang)
    if source is None:
        return {}
    return {"translationOfWork": {"@id": source["web_url"], "inLanguage": default_lang}}


def _common(item: dict[str, Any], schema_type: str, default_lang: str) -> dict[str, Any]:
    return {
        "@context": CONTEXT,
        "@type": schema_type,
        "@id": item.get("web_url"),
        "url": item.get("web_url"),
        "inLanguage": item["lang"],
        "dateModified": item.get("updated_at"),
        **_translations(item, default_lang),
    }


def news(item: dict[str, Any], publisher: dict[str, Any], default_lang: str) -> dict[str, Any]:
    return {
        **_common(item, "NewsArticle", default_lang),
        "headline": item["title"],
        "description": plain_text(item.get("teaser")),
        "articleBody": plain_text(item.get("body")),
        "datePublished": item.get("published_at"),
        "author": [_person(person) for person in item.get("people") or []],
        "about": [_ref(project, "ResearchProject") for project in item.get("projects") or []],
        "mentions": [_ref(report, "Report") for report in item.get("reports") or []],
        "keywords": item.get("tags"),
        "publisher": publisher,
    }


def _media(file: dict[str, Any]) -> dict[str, Any]:
    return _compact(
        {
            "@type": "MediaObject",
            "@id": file.get("url"),
            "contentUrl": file.get("url"),
            "name": file.get("label") or file.get("filename"),
            "encodingFormat": file.get("content_type"),
            "contentSize": file.get("size"),
            "inLanguage": file.get("lang"),
        }
    )


def _author(author: dict[str, Any]) -> dict[str, Any]:
    node = _person(author.get("person")) if author.get("person") else None
    return node or {"@type": "Person", "name": author.get("name")}


def report(item: dict[str, Any], publisher: dict[str, Any], default_lang: str) -> dict[str, Any]:
    schema_type = REPORT_TYPES.get(item.get("report_type") or "", "Report")
    files = [_media(file) for file in item.get("files") or []]
    identifiers = []
    if item.get("doi"):
        identifiers.append(
            {
                "@type": "PropertyValue",
                "propertyID": "DOI",
                "value": item["doi"],
                "url": f"https://doi.org/{item['doi']}",
            }
        )
    if item.get("isbn"):
        identifiers.append({"@type": "PropertyValue", "propertyID": "ISBN", "value": item["isbn"]})
    series = None
    if item.get("series"):
        series = {"@type": "CreativeWorkSeries", "name": item["series"]}
    return {
        **_common(item, schema_type, default_lang),
        "name": item["title"],
        "headline": item["title"],
        "abstract": plain_text(item.get("abstract")),
        "datePublished": item.get("publication_date"),
        "author": [_author(author) for author in item.get("authors") or []],
        "publisher": publisher,
        "sourceOrganization": publisher,
        "encoding": files,
        "associatedMedia": files,
        "identifier": identifiers,
        "isbn": item.get("isbn"),
        "reportNumber": item.get("number") if schema_type == "Report" else None,
        "isPartOf": series,
        "position": item.get("number") if series else None,
        "about": _ref(item.get("project"), "ResearchProject"),
        "sameAs": [item["external_url"]] if item.get("external_url") else [],
    }


def project(item: dict[str, Any], publisher: dict[str, Any], default_lang: str) -> dict[str, Any]:
    return {
        **_common(item, "ResearchProject", default_lang),
        "name": item["title"],
        "description": plain_text(item.get("summary") or item.get("description")),
        "startDate": item.get("start_date"),
        "endDate": item.get("end_date"),
        "funder": [{"@type": "Organization", "name": name} for name in item.get("funders") or []],
        "sponsor": [{"@type": "Organization", "name": n} for n in item.get("partners") or []],
        "member": [
            {
                "@type": "Role",
                "roleName": member.get("role"),
                "member": _person(member.get("person")),
            }
            for member in item.get("members") or []
        ],
        "parentOrganization": publisher,
        "department": _ref(item.get("research_area"), "Organization"),
    }


def person(item: dict[str, Any], publisher: dict[str, Any], default_lang: str) -> dict[str, Any]:
    portrait = item.get("portrait") or {}
    return {
        **_common(item, "Person", default_lang),
        "name": " ".join(p for p in (item.get("given_name"), item.get("family_name")) if p),
        "honorificPrefix": item.get("honorific_prefix"),
        "givenName": item.get("given_name"),
        "familyName": item.get("family_name"),
        "jobTitle": item.get("position"),
        "description": plain_text(item.get("biography")),
        "email": item.get("email"),
        "telephone": item.get("phone"),
        "image": portrait.get("url"),
        "sameAs": [ORCID_URL + item["orcid"]] if item.get("orcid") else [],
        "affiliation": publisher,
        "worksFor": _ref(item.get("research_area"), "Organization"),
    }


def research_area(
    item: dict[str, Any], publisher: dict[str, Any], default_lang: str
) -> dict[str, Any]:
    return {
        **_common(item, "Organization", default_lang),
        "name": item["name"],
        "description": plain_text(item.get("description")),
        "parentOrganization": publisher,
    }


BUILDERS: dict[str, Callable[[dict[str, Any], dict[str, Any], str], dict[str, Any]]] = {
    "news": news,
    "report": report,
    "project": project,
    "person": person,
    "research_area": research_area,
}


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        cleaned = {k: _clean(v) for k, v in value.items()}
        return {k: v for k, v in cleaned.items() if v not in (None, "", [], {})}
    if isinstance(value, list):
        return [v for v in (_clean(v) for v in value) if v not in (None, "", [], {})]
    return value


def jsonld(
    item: dict[str, Any], *, institution: Institution, site_url: str, default_lang: str
) -> dict[str, Any]:
    """The schema.org node of one public item in its read language."""
    builder = BUILDERS[item["type"]]
    return _clean(builder(item, organization(institution, site_url), default_lang))
