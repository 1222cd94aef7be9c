"""Query counts of the report pages stay flat: the same at two sizes (cold cache)."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cells.models import OrgUnit
from conftest import make_member
from courses.tests.conftest import build_module, complete
from forum import services as forum_services
from reports import selectors

pytestmark = pytest.mark.django_db


def _queries(client, url: str) -> int:
    cache.clear()
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def _grow(org, world, personas, cells: int, members_per_cell: int) -> None:
    """Add cells (each with members, a session with posts, a completed module) under the committee."""
    for c in range(cells):
        parent = OrgUnit.objects.get(pk=org["committee"].pk)
        cell = OrgUnit.objects.add_child(parent, {"name": f"Chi bộ thêm {cells}-{c}", "kind": "cell"})
        secretary = make_member(f"s{cells}-{c}", cell, role="secretary")
        session = forum_services.session_open(actor=secretary, cell=cell, theme=world["theme"], opening="Đề dẫn")
        for n in range(members_per_cell):
            user = make_member(f"u{cells}-{c}-{n}", cell)
            forum_services.post_create(actor=user, topic=session, body="Ý kiến")
            if n % 2:
                complete(user, world["module"])


def test_committee_page_queries_do_not_grow_with_the_subtree(client_as, personas, org, world):
    client = client_as(personas["officer"])
    build_module(org["committee"], title="Chuyên đề thứ hai")
    urls = [reverse("reports:unit", args=[org["committee"].pk]) + "?year=2020", "/"]
    small = [_queries(client, url) for url in urls]
    _grow(org, world, personas, cells=4, members_per_cell=3)
    large = [_queries(client, url) for url in urls]
    assert small == large, (small, large)
    assert small[0] <= 22


def test_cell_page_queries_do_not_grow_with_members(client_as, personas, org, world):
    client = client_as(personas["secretary_a"])
    url = reverse("reports:unit", args=[org["cell_a"].pk]) + "?year=2020"
    csv_url = reverse("reports:unit_csv", args=[org["cell_a"].pk]) + "?year=2020"
    small = (_queries(client, url), _queries(client, csv_url))
    for n in range(12):
        user = make_member(f"extra{n}", org["cell_a"])
        forum_services.post_create(actor=user, topic=world["session"], body="Ý kiến")
        if n % 3 == 0:
            complete(user, world["module"])
    large = (_queries(client, url), _queries(client, csv_url))
    assert small == large, (small, large)
    # 23 and 21 when each feature read the members again, and the years apart from the overview
    assert small[0] <= 18 and small[1] <= 16, small


def _table(response) -> str:
    html = response.content.decode()
    return html[html.index('<div class="table-scroll"') : html.index("</table>")]


def test_a_committee_report_shows_each_change_at_once(client_as, personas, org, world):
    """No lag: the counters change with the write, and nothing else holds the figures."""
    client = client_as(personas["officer"])
    url = reverse("reports:unit", args=[org["committee"].pk]) + "?year=2020"
    first = _table(client.get(url))
    make_member("late_joiner", org["cell_b"])
    assert _table(client.get(url)) != first
    assert selectors.committee_report(org["committee"], 2020).total.members == 4
    OrgUnit.objects.add_child(OrgUnit.objects.get(pk=org["committee"].pk), {"name": "Chi bộ mới", "kind": "cell"})
    html = client.get(url).content.decode()  # a change to the tree shows at once
    assert "Chi bộ mới" in html
    assert selectors.committee_report(org["committee"], 2020).total.cells == 3


def test_the_officers_home_shows_their_node_and_its_direct_children_only(client_as, personas, org, world):
    """The home page used to list the whole subtree (2.9 s at 50,000 cells): now the node's
    totals and its direct children, whatever lies below them."""
    committee = OrgUnit.objects.get(pk=org["committee"].pk)
    sub = OrgUnit.objects.add_child(committee, {"name": "Đảng ủy cơ sở Dưới", "kind": "committee"})
    grandchild = OrgUnit.objects.add_child(sub, {"name": "Chi bộ Cháu", "kind": "cell"})
    make_member("grand_member", grandchild)
    client = client_as(personas["officer"])
    response = client.get("/")
    html = response.content.decode()
    assert "Đảng ủy Khối" in html and "Chi bộ A" in html and "Đảng ủy cơ sở Dưới" in html
    assert "Chi bộ Cháu" not in html  # below a direct child: in the report and the tree page only
    section = next(s for s in response.context["sections"] if s["template"] == "reports/_home_section.html")
    assert section["total"].members == 4 and section["total"].cells == 3
    small = _queries(client, "/")
    for n in range(3):
        deeper = OrgUnit.objects.add_child(OrgUnit.objects.get(pk=sub.pk), {"name": f"Chi bộ sâu {n}", "kind": "cell"})
        make_member(f"deep{n}", deeper)
    assert _queries(client, "/") == small


def test_the_cell_overview_reads_the_members_once_at_any_size(personas, org, world):
    """The active members are read once for the whole overview (the study and pledge figures by
    their user ids), not again by each feature: the same queries for 2 members and for 14."""

    def count() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as captured:
            overview = selectors.cell_overview(org["cell_a"], 2020)
        memberships = [q["sql"] for q in captured.captured_queries if 'FROM "cells_membership"' in q["sql"]]
        assert len(memberships) == 1, memberships
        return len(captured), len(overview.lines)

    small, two = count()
    for n in range(12):
        user = make_member(f"more{n}", org["cell_a"])
        forum_services.post_create(actor=user, topic=world["session"], body="Ý kiến")
        if n % 3 == 0:
            complete(user, world["module"])
    large, fourteen = count()
    assert (two, fourteen) == (2, 14)
    assert small == large, (small, large)
    assert small <= 11  # 13 when each feature read the members again
