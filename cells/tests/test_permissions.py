"""cells.permissions answered directly, persona by persona."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from cells import permissions
from cells.models import CommitteeRole, Membership
from conftest import make_member, make_user


def _can(predicate, personas, unit, **kwargs) -> set[str]:
    return {name for name, user in personas.items() if predicate(user, unit, **kwargs)}


def test_it_lets_only_members_officers_and_admins_view_a_cell(org, personas):
    assert _can(permissions.can_view_cell, personas, org["cell_a"]) == {"member_a", "secretary_a", "officer"}
    assert _can(permissions.can_view_cell, personas, org["cell_b"]) == {"member_b", "officer"}
    assert _can(permissions.can_view_cell, personas, org["cell_c"]) == set()
    admin = make_user("admin", is_superuser=True)
    assert permissions.can_view_cell(admin, org["cell_c"])


def test_it_lets_leaders_and_officers_manage_members(org, personas):
    assert _can(permissions.can_manage_members, personas, org["cell_a"]) == {"secretary_a", "officer"}
    assert _can(permissions.can_manage_members, personas, org["cell_b"]) == {"officer"}
    deputy = make_member("deputy_b", org["cell_b"], role="deputy")
    assert permissions.can_manage_members(deputy, org["cell_b"])
    assert not permissions.can_manage_members(deputy, org["cell_a"])


def test_it_lets_only_officers_over_both_cells_move(org, personas):
    officer = personas["officer"]
    assert permissions.can_move_members(officer, org["cell_a"], org["cell_b"])
    assert not permissions.can_move_members(officer, org["cell_a"], org["cell_c"])
    assert not permissions.can_move_members(personas["secretary_a"], org["cell_a"], org["cell_b"])
    assert not permissions.can_move_members(personas["secretary_a"], org["cell_a"])


def test_it_shows_committees_only_to_officers_over_them(org, personas):
    officer = personas["officer"]
    assert permissions.can_view_unit(officer, org["committee"])
    assert not permissions.can_view_unit(officer, org["province"])
    assert not permissions.can_view_unit(officer, org["other_committee"])
    assert not permissions.can_view_unit(personas["secretary_a"], org["committee"])


def test_it_lists_the_units_and_cells_an_officer_oversees(org, personas):
    units = set(permissions.units_overseen(personas["officer"]))
    assert units == {org["committee"], org["cell_a"], org["cell_b"]}
    assert set(permissions.cells_managed(personas["officer"])) == {org["cell_a"], org["cell_b"]}
    assert set(permissions.cells_managed(personas["secretary_a"])) == {org["cell_a"]}
    assert set(permissions.cells_managed(personas["member_a"])) == set()
    assert not permissions.units_overseen(personas["outsider"]).exists()


def test_it_forgets_ended_roles_at_once(org, personas):
    Membership.objects.filter(user=personas["member_a"]).update(ended_on=datetime.date(2024, 1, 1))
    CommitteeRole.objects.filter(user=personas["officer"]).update(ended_on=datetime.date(2024, 1, 1))
    assert not permissions.can_view_cell(personas["member_a"], org["cell_a"])
    assert not permissions.can_view_cell(personas["officer"], org["cell_a"])


def test_it_gives_inactive_and_anonymous_users_no_roles(org, personas):
    from django.contrib.auth.models import AnonymousUser

    personas["member_a"].is_active = False
    assert permissions.roles_of(personas["member_a"]) == permissions.Roles()
    assert permissions.roles_of(AnonymousUser()) == permissions.Roles()
    assert permissions.roles_of(None) == permissions.Roles()


def test_it_raises_404_for_hidden_objects_and_403_for_forbidden_actions(org, personas):
    membership_a = Membership.objects.get(user=personas["member_a"])
    with pytest.raises(Http404):
        permissions.get_unit_or_404(personas["member_b"], org["cell_a"].pk)
    with pytest.raises(Http404):
        permissions.get_unit_or_404(personas["member_a"], 999_999)
    with pytest.raises(Http404):
        permissions.get_membership_or_404(personas["member_b"], membership_a.pk)
    assert permissions.get_membership_or_404(personas["secretary_a"], membership_a.pk) == membership_a
    with pytest.raises(PermissionDenied):
        permissions.require(False)
    permissions.require(True)


def test_it_lets_no_leader_manage_their_own_membership_nor_a_deputy_the_secretarys(org, personas, client_as):
    deputy = make_member("deputy_a", org["cell_a"], role="deputy")
    secretary_membership = Membership.objects.get(user=personas["secretary_a"], ended_on__isnull=True)
    deputy_membership = Membership.objects.get(user=deputy, ended_on__isnull=True)
    member_membership = Membership.objects.get(user=personas["member_a"], ended_on__isnull=True)

    assert permissions.can_manage_membership(deputy, member_membership)
    assert not permissions.can_manage_membership(deputy, secretary_membership)
    assert not permissions.can_manage_membership(deputy, deputy_membership)
    assert not permissions.can_manage_membership(personas["secretary_a"], secretary_membership)
    assert permissions.can_manage_membership(personas["secretary_a"], deputy_membership)
    assert permissions.can_manage_membership(personas["officer"], secretary_membership)
    assert not permissions.can_manage_membership(personas["member_a"], member_membership)

    # Over HTTP the deputy may see the secretary's page but not change it.
    url = f"/cells/memberships/{secretary_membership.pk}/"
    response = client_as(deputy).post(url, {"action": "role", "role": "member", "status": "official"})
    assert response.status_code == 403
    secretary_membership.refresh_from_db()
    assert secretary_membership.role == "secretary"


def test_the_shared_role_rules_persona_by_persona(org, personas):
    """The rules the features name (courses, pledges, forum, reports): who follows a cell,
    who oversees a unit or a committee, who oversees anything at all."""
    admin = make_user("root", is_superuser=True)
    everyone = {**personas, "admin": admin}
    assert _can(permissions.can_oversee_cell, everyone, org["cell_a"]) == {"secretary_a", "officer", "admin"}
    assert _can(permissions.can_oversee_cell, everyone, org["cell_c"]) == {"admin"}
    assert _can(permissions.oversees_unit, everyone, org["committee"]) == {"officer", "admin"}
    assert _can(permissions.oversees_unit, everyone, org["cell_b"]) == {"officer", "admin"}
    assert _can(permissions.oversees_unit, everyone, org["province"]) == {"admin"}
    assert _can(permissions.oversees_committee, everyone, org["committee"]) == {"officer", "admin"}
    assert _can(permissions.oversees_committee, everyone, org["cell_a"]) == set()
    assert {n for n, u in everyone.items() if permissions.oversees_any_unit(u)} == {"officer", "admin"}
    assert {n for n, u in everyone.items() if permissions.leads_or_oversees_any(u)} == {
        "secretary_a",
        "officer",
        "admin",
    }
