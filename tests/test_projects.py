"""Project reads: status from dates, filters, sorts, members and research area."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from factories import ids, person, project, research_area
from flask.testing import FlaskClient

TODAY = date.today()


@pytest.fixture
def by_status(make_item) -> dict[str, int]:
    return {
        "planned": project(make_item, "Geplant", start_date=TODAY + timedelta(days=30)),
        "ongoing": project(
            make_item,
            "Laufend",
            start_date=TODAY - timedelta(days=30),
            end_date=TODAY + timedelta(days=30),
        ),
        "open_end": project(make_item, "Offen", start_date=date(2018, 5, 1), end_date=None),
        "ends_today": project(
            make_item, "Endet heute", start_date=date(2017, 1, 1), end_date=TODAY
        ),
        "completed": project(
            make_item, "Abgeschlossen", start_date=date(2015, 1, 1), end_date=date(2016, 12, 31)
        ),
    }


def test_public_project_status_follows_dates(client: FlaskClient, by_status: dict[str, int]):
    expected = {
        "planned": "planned",
        "ongoing": "ongoing",
        "open_end": "ongoing",
        "ends_today": "ongoing",
        "completed": "completed",
    }
    for key, status in expected.items():
        body = client.get(f"/api/v1/projects/{by_status[key]}").get_json()
        assert body["status"] == status, key


@pytest.mark.parametrize(
    ("status", "keys"),
    [
        ("planned", {"planned"}),
        ("ongoing", {"ongoing", "open_end", "ends_today"}),
        ("completed", {"completed"}),
    ],
)
def test_public_list_filters_projects_by_status(
    client: FlaskClient, by_status: dict[str, int], status: str, keys: set[str]
):
    body = client.get(f"/api/v1/projects?status={status}").get_json()
    assert set(ids(body["items"])) == {by_status[k] for k in keys}
    assert body["meta"]["total"] == len(keys)
    assert {i["status"] for i in body["items"]} == {status}


def test_public_list_with_unknown_status_is_400(client: FlaskClient):
    response = client.get("/api/v1/projects?status=paused")
    assert response.status_code == 400
    assert "status" in response.get_json()["errors"]


def test_public_list_filters_projects_running_in_a_year(client: FlaskClient, make_item):
    old = project(make_item, "Alt", start_date=date(2015, 1, 1), end_date=date(2016, 12, 31))
    open_end = project(make_item, "Offen", start_date=date(2018, 5, 1))
    undated = project(make_item, "Ohne Daten", start_date=None)

    def running(year: int) -> set[int]:
        return set(ids(client.get(f"/api/v1/projects?year={year}").get_json()["items"]))

    assert running(2016) == {old, undated}
    assert running(2017) == {undated}
    assert running(2018) == {open_end, undated}
    assert running(2030) == {open_end, undated}


def test_public_list_filters_projects_by_member_and_area(client: FlaskClient, make_item):
    team = research_area(make_item, "Neue Selbständigkeit")
    other_team = research_area(make_item, "Familienunternehmen")
    lead = person(make_item, "Bettina", "Müller")
    member = person(make_item, "Annika", "Götz")
    first = project(
        make_item,
        "Erstes",
        research_area=team,
        members=[{"person": lead, "role": "lead"}, {"person": member, "role": "member"}],
    )
    second = project(make_item, "Zweites", research_area=other_team, members=[{"person": lead}])
    assert set(ids(client.get(f"/api/v1/projects?person={lead}").get_json()["items"])) == {
        first,
        second,
    }
    assert ids(client.get(f"/api/v1/projects?person={member}").get_json()["items"]) == [first]
    assert ids(client.get(f"/api/v1/projects?research_area={team}").get_json()["items"]) == [first]
    body = client.get(f"/api/v1/projects?research_area={other_team}&person={member}").get_json()
    assert body["items"] == [] and body["meta"]["total"] == 0


def test_public_list_sorts_projects(client: FlaskClient, make_item):
    a = project(make_item, "Ärzte", start_date=date(2016, 1, 1), end_date=date(2017, 1, 1))
    b = project(make_item, "Banken", start_date=date(2018, 1, 1), end_date=None)
    c = project(make_item, "Zoll", start_date=date(2017, 1, 1), end_date=date(2019, 1, 1))

    def order(sort: str) -> list[int]:
        return ids(client.get(f"/api/v1/projects?sort={sort}").get_json()["items"])

    assert ids(client.get("/api/v1/projects").get_json()["items"]) == [b, c, a]
    assert order("-start_date") == [b, c, a]
    assert order("start_date") == [a, c, b]
    assert order("end_date") == [a, c, b]
    assert order("-end_date") == [b, c, a]
    assert order("title") == [a, b, c]
    assert order("-title") == [c, b, a]


def test_public_list_puts_undated_projects_last(client: FlaskClient, make_item):
    dated = project(make_item, "Datiert", start_date=date(2018, 1, 1))
    undated = project(make_item, "Undatiert", start_date=None)
    for sort in ("start_date", "-start_date"):
        body = client.get(f"/api/v1/projects?sort={sort}").get_json()
        assert ids(body["items"]) == [dated, undated], sort


def test_public_project_shows_members_with_roles_and_area(client: FlaskClient, make_item):
    team = research_area(make_item, de="Neue Selbständigkeit", en="New Self-Employment")
    lead = person(make_item, "Bettina", "Müller", honorific_prefix="Dr.")
    member = person(make_item, "Annika", "Götz")
    item = project(
        make_item,
        de={"title": "Evaluation", "summary": "Kurz"},
        en={"title": "Evaluation EN"},
        funders=["Land Baden-Württemberg"],
        partners=["Kommunen"],
        research_area=team,
        members=[{"person": lead, "role": "lead"}, {"person": member, "role": "member"}],
    )
    body = client.get(f"/api/v1/projects/{item}?lang=en").get_json()
    assert body["title"] == "Evaluation EN"
    assert body["summary"] == "Kurz" and body["fallback_fields"] == ["summary"]
    assert (body["start_date"], body["end_date"]) == ("2018-05-01", None)
    assert body["display_date"] == "May 1, 2018"
    assert body["funders"] == ["Land Baden-Württemberg"]
    assert body["partners"] == ["Kommunen"]
    assert body["research_area"]["name"] == "New Self-Employment"
    assert [(m["role"], m["person"]["name"]) for m in body["members"]] == [
        ("lead", "Dr. Bettina Müller"),
        ("member", "Annika Götz"),
    ]
    assert set(body["members"][0]["person"]) == {"id", "type", "slug", "name", "url"}


def test_public_project_include_embeds_members_and_area(client: FlaskClient, make_item):
    team = research_area(make_item, "Neue Selbständigkeit")
    lead = person(make_item, "Bettina", "Müller")
    item = project(make_item, "Evaluation", research_area=team, members=[{"person": lead}])
    body = client.get(f"/api/v1/projects/{item}?include=members,research_area").get_json()
    assert body["members"][0]["person"]["family_name"] == "Müller"
    assert body["members"][0]["role"] == "member"
    assert body["research_area"]["sort_order"] == 0
    assert client.get(f"/api/v1/projects/{item}?include=people").status_code == 400


def test_public_project_hides_unpublished_members(client: FlaskClient, make_item):
    hidden = person(make_item, "Dora", "Draft", publish=False)
    shown = person(make_item, "Anna", "Arendt")
    item = project(
        make_item, "Projekt", members=[{"person": hidden, "role": "lead"}, {"person": shown}]
    )
    for params in ("", "?include=members"):
        body = client.get(f"/api/v1/projects/{item}{params}").get_json()
        assert [m["person"]["id"] for m in body["members"]] == [shown]
    filtered = client.get(f"/api/v1/projects?person={hidden}").get_json()
    assert filtered["items"] == [] and filtered["meta"]["total"] == 0


def test_public_project_by_slug_and_unknown(client: FlaskClient, make_item):
    item = project(make_item, de="Straßenbau", en="Road building")
    assert client.get("/api/v1/projects/slug/strassenbau").get_json()["id"] == item
    english = client.get("/api/v1/projects/slug/strassenbau?lang=en").get_json()
    assert english["title"] == "Road building"
    by_english_slug = client.get("/api/v1/projects/slug/road-building").get_json()
    assert (by_english_slug["id"], by_english_slug["lang"]) == (item, "en")
    assert client.get("/api/v1/projects/slug/nothing").status_code == 404
    assert client.get("/api/v1/projects/999999").status_code == 404


def test_public_never_sees_draft_projects(client: FlaskClient, make_item):
    draft = project(make_item, "Entwurf", publish=False)
    body = client.get("/api/v1/projects").get_json()
    assert body["meta"]["total"] == 0
    assert client.get(f"/api/v1/projects/{draft}").status_code == 404
    assert client.get("/api/v1/projects/slug/entwurf").status_code == 404
