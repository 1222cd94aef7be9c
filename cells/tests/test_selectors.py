"""Reads of the organisation: subtree counts and flat query counts."""

import datetime

import pytest

from cells import selectors
from cells.models import CommitteeRole, Membership, OrgUnit
from cells.permissions import roles_of
from conftest import make_member, make_user


def _counts(rows) -> dict[str, tuple[int, int, int]]:
    return {row.unit.name: (row.depth, row.cells, row.members) for row in rows}


def test_it_counts_members_and_cells_per_subtree(org, personas):
    # A deeper branch under the committee: committee > sub-committee > cell D (3 members, 1 ended).
    sub = OrgUnit.objects.add_child(org["committee"], {"name": "Đảng ủy con", "kind": OrgUnit.Kind.COMMITTEE})
    cell_d = OrgUnit.objects.add_child(sub, {"name": "Chi bộ D", "kind": OrgUnit.Kind.CELL})
    for i in range(3):
        make_member(f"d{i}", cell_d)
    Membership.objects.filter(user__username="d0").update(ended_on=datetime.date(2024, 1, 1))
    make_member("c0", org["cell_c"])

    officer = personas["officer"]
    assert _counts(selectors.unit_tree(officer, roles_of(officer))) == {
        "Đảng ủy Khối": (0, 3, 5),  # A: 2, B: 1, D: 2
        "Chi bộ A": (1, 1, 2),
        "Chi bộ B": (1, 1, 1),
        "Đảng ủy con": (1, 1, 2),
        "Chi bộ D": (2, 1, 2),
    }
    admin = make_user("admin", is_superuser=True)
    tree = _counts(selectors.unit_tree(admin, roles_of(admin)))
    assert tree["Tỉnh ủy Thử nghiệm"] == (0, 4, 6)
    assert tree["Đảng ủy xã Khác"] == (1, 1, 1)
    assert _counts(selectors.unit_tree(officer, roles_of(officer), root=sub)) == {
        "Đảng ủy con": (0, 1, 2),
        "Chi bộ D": (1, 1, 2),
    }
    assert selectors.unit_tree(personas["member_a"], roles_of(personas["member_a"])) == []


def test_it_keeps_tree_order_so_children_follow_their_parent(org, personas):
    officer = make_user("top")
    CommitteeRole.objects.create(user=officer, unit=org["province"], started_on=datetime.date(2020, 1, 1))
    names = [row.unit.name for row in selectors.unit_tree(officer, roles_of(officer))]
    assert names.index("Chi bộ A") > names.index("Đảng ủy Khối")
    assert names.index("Chi bộ C") > names.index("Đảng ủy xã Khác")
    assert names.index("Đảng ủy xã Khác") > names.index("Chi bộ B")


def _grow(org, committees: int, cells: int, members: int) -> None:
    n = 0
    for c in range(committees):
        committee = OrgUnit.objects.add_child(
            org["committee"], {"name": f"Đảng ủy {c}", "kind": OrgUnit.Kind.COMMITTEE}
        )
        for k in range(cells):
            cell = OrgUnit.objects.add_child(committee, {"name": f"Chi bộ {c}-{k}", "kind": OrgUnit.Kind.CELL})
            for _ in range(members):
                make_member(f"m{n}", cell)
                n += 1


@pytest.mark.parametrize(("committees", "cells", "members"), [(0, 0, 0), (4, 5, 2)])
def test_it_reads_the_tree_in_two_queries_whatever_its_size(
    org, personas, django_assert_num_queries, committees, cells, members
):
    _grow(org, committees, cells, members)
    officer = personas["officer"]
    roles = roles_of(officer)
    with django_assert_num_queries(2):
        rows = selectors.unit_tree(officer, roles)
    assert len(rows) == 3 + committees * (cells + 1)
    assert rows[0].members == 3 + committees * cells * members


def test_it_reads_a_cell_in_flat_queries(org, personas, django_assert_num_queries):
    for i in range(20):
        make_member(f"x{i}", org["cell_a"])
    with django_assert_num_queries(1):
        members = list(selectors.cell_members(org["cell_a"]))
        assert [m.user.full_name for m in members][:1] == ["Lê Thị Bích"]  # the secretary first
    assert len(members) == 22
    with django_assert_num_queries(1):
        assert selectors.cell_counts(org["cell_a"]) == {"total": 22, "official": 22, "probationary": 0}


def test_it_lists_breadcrumbs_in_one_query(org, django_assert_num_queries):
    with django_assert_num_queries(1):
        ancestors = selectors.unit_ancestors(org["cell_a"])
    assert ancestors == [org["province"], org["committee"]]
    assert selectors.unit_ancestors(org["province"]) == []
