"""Research area reads: order, names per language, detail and slug."""

from __future__ import annotations

from factories import ids, research_area
from flask.testing import FlaskClient


def test_public_research_areas_sort_by_order_then_name(client: FlaskClient, make_item):
    zoll = research_area(make_item, de="Zoll", en="Customs", sort_order=1)
    aerzte = research_area(make_item, de="Ärzte", en="Physicians", sort_order=1)
    first = research_area(make_item, de="Neue Selbständigkeit", en="New Self-Employment")
    body = client.get("/api/v1/research-areas").get_json()
    assert ids(body["items"]) == [first, aerzte, zoll]
    assert body["meta"]["total"] == 3

    def order(params: str) -> list[int]:
        return ids(client.get(f"/api/v1/research-areas?{params}").get_json()["items"])

    assert order("sort=sort_order") == [first, aerzte, zoll]
    assert order("sort=name") == [aerzte, first, zoll]
    assert order("sort=-name") == [zoll, first, aerzte]
    assert order("sort=name&lang=en") == [zoll, first, aerzte]
    assert client.get("/api/v1/research-areas?sort=title").status_code == 400


def test_public_research_area_in_each_language(client: FlaskClient, make_item):
    item = research_area(
        make_item,
        de={"name": "Neue Selbständigkeit", "description": "<p>Team</p>"},
        en={"name": "New Self-Employment"},
    )
    german = client.get(f"/api/v1/research-areas/{item}").get_json()
    assert (german["name"], german["slug"], german["type"]) == (
        "Neue Selbständigkeit",
        "neue-selbstaendigkeit",
        "research_area",
    )
    assert german["sort_order"] == 0
    english = client.get(f"/api/v1/research-areas/{item}?lang=en").get_json()
    assert english["name"] == "New Self-Employment"
    assert english["description"] == "<p>Team</p>"
    assert english["fallback_fields"] == ["description"]
    assert english["translations"]["en"] == {
        "slug": "new-self-employment",
        "name": "New Self-Employment",
        "url": f"http://localhost/api/v1/research-areas/{item}?lang=en",
        "web_url": "https://www.ifm.example/en/research-areas/new-self-employment",
    }


def test_public_research_area_by_slug(client: FlaskClient, make_item):
    item = research_area(make_item, de="Neue Selbständigkeit", en="New Self-Employment")
    assert client.get("/api/v1/research-areas/slug/neue-selbstaendigkeit").status_code == 200
    english = client.get("/api/v1/research-areas/slug/neue-selbstaendigkeit?lang=en")
    assert english.get_json()["id"] == item
    assert english.get_json()["name"] == "New Self-Employment"
    assert client.get("/api/v1/research-areas/slug/new-self-employment").status_code == 200
    assert client.get("/api/v1/research-areas/slug/alte-selbstaendigkeit").status_code == 404


def test_public_research_area_include_is_rejected(client: FlaskClient, make_item):
    item = research_area(make_item)
    response = client.get(f"/api/v1/research-areas/{item}?include=people")
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"


def test_public_never_sees_draft_research_areas(client: FlaskClient, make_item):
    draft = research_area(make_item, "Entwurf", publish=False)
    assert client.get("/api/v1/research-areas").get_json()["meta"]["total"] == 0
    assert client.get(f"/api/v1/research-areas/{draft}").status_code == 404
    assert client.get("/api/v1/research-areas/slug/entwurf").status_code == 404
