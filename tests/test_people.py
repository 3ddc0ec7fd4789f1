"""People reads: German name order (DIN 5007-1), status and area filters, names, include."""

from __future__ import annotations

from factories import ids, person, research_area
from flask.testing import FlaskClient

# (given, family) in the order a German list shows them: umlauts as their base letter
# (Götz after Goetz, Müller after Mueller), "von"/"de" ignored, given name second.
GERMAN_ORDER = [
    ("Eva", "Ähnlich"),
    ("Gustav", "Goetz"),
    ("Annika", "Götz"),
    ("Max", "Mueller"),
    ("Anna", "Müller"),
    ("Bernd", "Müller"),
    ("Clara", "Müllerschön"),
    ("Cem", "Özdemir"),
    ("Hugo", "de Vries"),
    ("Richard", "von Weizsäcker"),
    ("Zoe", "Zimmermann"),
]


def test_public_people_sort_by_family_name_the_german_way(client: FlaskClient, make_item):
    created = {name: person(make_item, *name) for name in reversed(GERMAN_ORDER)}
    expected = [created[name] for name in GERMAN_ORDER]
    body = client.get("/api/v1/people?page_size=100").get_json()
    assert ids(body["items"]) == expected
    assert ids(client.get("/api/v1/people?sort=family_name").get_json()["items"]) == expected
    reverse = client.get("/api/v1/people?sort=-family_name").get_json()
    assert ids(reverse["items"]) == list(reversed(expected))


def test_public_people_order_holds_across_pages(client: FlaskClient, make_item):
    created = {name: person(make_item, *name) for name in reversed(GERMAN_ORDER)}
    expected = [created[name] for name in GERMAN_ORDER]
    pages = [
        ids(client.get(f"/api/v1/people?page_size=4&page={page}").get_json()["items"])
        for page in (1, 2, 3)
    ]
    assert [i for page in pages for i in page] == expected


def test_public_people_filter_by_status(client: FlaskClient, make_item):
    current = person(make_item, "Anna", "Aktuell", is_current=True)
    alumna = person(make_item, "Ehemalige", "Ehemals", is_current=False)
    listed = client.get("/api/v1/people?status=current").get_json()
    assert ids(listed["items"]) == [current]
    assert listed["items"][0]["status"] == "current"
    alumni = client.get("/api/v1/people?status=alumni").get_json()
    assert ids(alumni["items"]) == [alumna]
    assert alumni["items"][0]["status"] == "alumni"
    assert alumni["items"][0]["is_current"] is False
    assert set(ids(client.get("/api/v1/people").get_json()["items"])) == {current, alumna}
    assert client.get("/api/v1/people?status=retired").status_code == 400


def test_public_people_filter_by_research_area(client: FlaskClient, make_item):
    team = research_area(make_item, "Neue Selbständigkeit")
    other = research_area(make_item, "Familienunternehmen")
    inside = person(make_item, "Anna", "Arendt", research_area=team)
    person(make_item, "Bert", "Brecht", research_area=other)
    person(make_item, "Carl", "Ohne")
    body = client.get(f"/api/v1/people?research_area={team}").get_json()
    assert ids(body["items"]) == [inside]
    assert body["meta"]["total"] == 1


def test_public_person_shows_names_and_translated_texts(client: FlaskClient, make_item):
    item = person(
        make_item,
        "Bettina",
        "Müller",
        honorific_prefix="Prof. Dr.",
        de={"position": "Projektleitung", "biography": "<p>Lebenslauf</p>"},
        en={"position": "Project lead"},
        email="mueller@example.org",
        orcid="0000-0002-1825-0097",
    )
    german = client.get(f"/api/v1/people/{item}").get_json()
    assert german["name"] == "Prof. Dr. Bettina Müller"
    assert (german["honorific_prefix"], german["given_name"], german["family_name"]) == (
        "Prof. Dr.",
        "Bettina",
        "Müller",
    )
    assert german["position"] == "Projektleitung"
    assert german["email"] == "mueller@example.org"
    assert german["orcid"] == "0000-0002-1825-0097"
    assert german["portrait"] is None
    assert german["slug"] == "bettina-mueller"
    english = client.get(f"/api/v1/people/{item}?lang=en").get_json()
    assert english["position"] == "Project lead"
    assert english["biography"] == "<p>Lebenslauf</p>"
    assert english["fallback_fields"] == ["biography"]
    assert english["name"] == "Prof. Dr. Bettina Müller"


def test_public_person_research_area_summary_and_include(client: FlaskClient, make_item):
    team = research_area(
        make_item,
        de={"name": "Neue Selbständigkeit", "description": "<p>Team</p>"},
        en="New Self-Employment",
    )
    item = person(make_item, "Anna", "Arendt", research_area=team)
    body = client.get(f"/api/v1/people/{item}?lang=en").get_json()
    assert body["research_area"] == {
        "id": team,
        "type": "research_area",
        "slug": "new-self-employment",
        "name": "New Self-Employment",
        "url": f"http://localhost/api/v1/research-areas/{team}?lang=en",
    }
    embedded = client.get(f"/api/v1/people/{item}?lang=en&include=research_area").get_json()
    assert embedded["research_area"]["description"] == "<p>Team</p>"
    assert client.get(f"/api/v1/people/{item}?include=projects").status_code == 400


def test_public_person_by_slug(client: FlaskClient, make_item):
    item = person(make_item, "Jürgen", "Groß")
    response = client.get("/api/v1/people/slug/juergen-gross")
    assert response.status_code == 200
    assert response.get_json()["id"] == item
    assert client.get("/api/v1/people/slug/juergen").status_code == 404


def test_public_never_sees_draft_people(client: FlaskClient, make_item):
    team = research_area(make_item, "Team")
    draft = person(make_item, "Dora", "Draft", publish=False, research_area=team)
    body = client.get("/api/v1/people").get_json()
    assert body["items"] == [] and body["meta"]["total"] == 0
    assert client.get(f"/api/v1/people/{draft}").status_code == 404
    assert client.get("/api/v1/people/slug/dora-draft").status_code == 404
    assert client.get(f"/api/v1/people?research_area={team}").get_json()["meta"]["total"] == 0


def test_public_person_with_hidden_research_area_shows_none(client: FlaskClient, make_item):
    team = research_area(make_item, "Geheim", publish=False)
    item = person(make_item, "Anna", "Arendt", research_area=team)
    body = client.get(f"/api/v1/people/{item}?include=research_area").get_json()
    assert body["research_area"] is None
    assert client.get(f"/api/v1/people?research_area={team}").get_json()["items"] == []
