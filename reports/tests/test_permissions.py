"""Every report page and export, tried over HTTP as each persona that must be refused."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _urls(unit) -> list[str]:
    return [reverse("reports:unit", args=[unit.pk]), reverse("reports:unit_csv", args=[unit.pk])]


def test_start_opens_where_the_user_works(client_as, personas, org):
    assert client_as(personas["secretary_a"]).get("/reports/")["Location"] == f"/reports/units/{org['cell_a'].pk}/"
    assert client_as(personas["officer"]).get("/reports/")["Location"] == f"/reports/units/{org['committee'].pk}/"


@pytest.mark.parametrize("who", ["member_a", "member_b", "outsider"])
def test_start_refuses_plain_members(client_as, personas, who):
    assert client_as(personas[who]).get("/reports/").status_code == 403


def test_anonymous_is_sent_to_log_in_everywhere(client_as, org):
    client = client_as(None)
    for url in ["/reports/", *_urls(org["cell_a"]), *_urls(org["committee"])]:
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
    response = client.post(reverse("reports:remind", args=[org["cell_a"].pk]), {"item": "pledge"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_cell_report_and_export(client_as, personas, org):
    for url in _urls(org["cell_a"]):
        assert client_as(personas["secretary_a"]).get(url).status_code == 200
        assert client_as(personas["officer"]).get(url).status_code == 200
        assert client_as(personas["member_a"]).get(url).status_code == 403  # sees the cell, not its report
        assert client_as(personas["member_b"]).get(url).status_code == 404
        assert client_as(personas["outsider"]).get(url).status_code == 404


def test_committee_report_and_export(client_as, personas, org):
    for url in _urls(org["committee"]):
        assert client_as(personas["officer"]).get(url).status_code == 200
        for who in ("secretary_a", "member_a", "member_b", "outsider"):
            assert client_as(personas[who]).get(url).status_code == 404, who
    # Above or beside the officer's node: out of reach.
    for unit in ("province", "other_committee", "cell_c"):
        for url in _urls(org[unit]):
            assert client_as(personas["officer"]).get(url).status_code == 404


def test_a_secretary_sees_only_her_own_cell(client_as, personas, org):
    for unit in ("cell_b", "cell_c", "committee", "province"):
        for url in _urls(org[unit]):
            assert client_as(personas["secretary_a"]).get(url).status_code == 404


def test_unknown_unit_is_404(client_as, personas):
    for url in ["/reports/units/999999/", "/reports/units/999999/export.csv"]:
        assert client_as(personas["officer"]).get(url).status_code == 404


def test_remind_is_for_the_cells_leaders(client_as, personas, org):
    url = reverse("reports:remind", args=[org["cell_a"].pk])
    assert client_as(personas["officer"]).post(url, {"item": "pledge"}).status_code == 403
    assert client_as(personas["member_a"]).post(url, {"item": "pledge"}).status_code == 403
    assert client_as(personas["member_b"]).post(url, {"item": "pledge"}).status_code == 404
    assert client_as(personas["outsider"]).post(url, {"item": "pledge"}).status_code == 404
    assert client_as(personas["secretary_a"]).get(url).status_code == 405
    committee = reverse("reports:remind", args=[org["committee"].pk])
    assert client_as(personas["officer"]).post(committee, {"item": "pledge"}).status_code == 403


def test_a_deputy_works_like_the_secretary(client_as, org):
    from conftest import make_member

    deputy = make_member("deputy_a", org["cell_a"], role="deputy")
    client = client_as(deputy)
    assert client.get("/reports/")["Location"] == f"/reports/units/{org['cell_a'].pk}/"
    for url in _urls(org["cell_a"]):
        assert client.get(url).status_code == 200
    for url in _urls(org["cell_b"]) + _urls(org["committee"]):
        assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    "who, shown",
    [("secretary_a", True), ("officer", True), ("member_a", False), ("member_b", False), ("outsider", False)],
)
def test_the_menu_links_reports_only_for_those_it_opens_for(client_as, personas, org, who, shown):
    page = client_as(personas[who]).get("/").content.decode()
    assert (f'href="{reverse("reports:start")}"' in page) == shown
