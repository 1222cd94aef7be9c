import pytest

from cells.models import Membership, MembershipEvent
from conftest import make_user


@pytest.mark.django_db
def test_it_audits_membership_changes_made_in_the_admin(client, org, personas):
    admin = make_user("root", "Quản trị", is_staff=True, is_superuser=True)
    client.force_login(admin)
    membership = Membership.objects.get(user=personas["member_a"], ended_on__isnull=True)
    url = f"/admin/cells/membership/{membership.pk}/change/"
    data = {
        "role": "deputy",
        "status": "official",
        "ended_on": "2026-01-02",
        "end_reason": "Chuyển công tác",
        "events-TOTAL_FORMS": "0",
        "events-INITIAL_FORMS": "0",
        "events-MIN_NUM_FORMS": "0",
        "events-MAX_NUM_FORMS": "1000",
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    membership.refresh_from_db()
    assert (membership.role, str(membership.ended_on), membership.end_reason) == (
        "deputy",
        "2026-01-02",
        "Chuyển công tác",
    )
    actions = list(MembershipEvent.objects.filter(membership=membership).values_list("action", "actor"))
    assert actions == [("role_changed", admin.pk), ("ended", admin.pk)]


@pytest.mark.django_db
def test_a_units_place_name_is_set_in_the_admin_and_inherited_down_the_tree(client, org):
    from cells.models import OrgUnit
    from cells.selectors import place_of

    admin = make_user("root", "Quản trị", is_staff=True, is_superuser=True)
    client.force_login(admin)
    province = org["province"]
    url = f"/admin/cells/orgunit/{province.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200 and 'name="place"' in page.content.decode()
    data = {"name": province.name, "kind": "committee", "code": "TN", "place": "Quảng Trị"}
    data |= {"treebeard_position": "sorted-child", "treebeard_ref_node": ""}
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert OrgUnit.objects.get(pk=province.pk).place == "Quảng Trị"
    # The nearest unit up the tree that has one; a unit's own first; none anywhere: "".
    assert place_of(OrgUnit.objects.get(pk=org["cell_a"].pk)) == "Quảng Trị"
    OrgUnit.objects.filter(pk=org["committee"].pk).update(place="Đông Hà")
    assert place_of(OrgUnit.objects.get(pk=org["cell_a"].pk)) == "Đông Hà"
    assert place_of(OrgUnit.objects.get(pk=org["cell_c"].pk)) == "Quảng Trị"
    OrgUnit.objects.filter(pk=org["cell_a"].pk).update(place="An Lợi")
    assert place_of(OrgUnit.objects.get(pk=org["cell_a"].pk)) == "An Lợi"
    OrgUnit.objects.update(place="")
    assert place_of(OrgUnit.objects.get(pk=org["cell_a"].pk)) == ""


# --- Units moved in the admin go through cells.services.unit_move -----------------------------


def _members_kept_right() -> dict[int, int]:
    """The member counters as kept, checked against a rebuild from the memberships."""
    from cells.models import MemberTally
    from cells.services import tally_rebuild

    kept = {unit: n for unit, n in MemberTally.objects.values_list("unit_id", "members") if n}
    tally_rebuild()
    assert {unit: n for unit, n in MemberTally.objects.values_list("unit_id", "members") if n} == kept
    return kept


def _admin_client(client):
    admin = make_user("root", "Quản trị", is_staff=True, is_superuser=True)
    client.force_login(admin)
    return admin


def _unit_form(unit, ref, position="sorted-child", **changes) -> dict:
    data = {"name": unit.name, "kind": unit.kind, "code": unit.code, "place": unit.place}
    return data | {"treebeard_position": position, "treebeard_ref_node": ref.pk if ref else ""} | changes


@pytest.mark.django_db
def test_a_unit_moved_with_the_admins_form_keeps_the_counters_and_is_audited(client, org, personas):
    from cells.models import OrgUnit, UnitEvent

    admin = _admin_client(client)
    cell_a = org["cell_a"]
    before = _members_kept_right()
    assert before[org["committee"].pk] == 3 and org["other_committee"].pk not in before
    url = f"/admin/cells/orgunit/{cell_a.pk}/change/"
    response = client.post(url, _unit_form(cell_a, org["other_committee"]))
    assert response.status_code == 302, response.content.decode()[:3000]
    assert OrgUnit.objects.get(pk=cell_a.pk).path.startswith(org["other_committee"].path)
    after = _members_kept_right()
    assert after[org["committee"].pk] == before[org["committee"].pk] - before[cell_a.pk]
    assert after[org["other_committee"].pk] == before[cell_a.pk]
    assert after[org["province"].pk] == before[org["province"].pk]
    event = UnitEvent.objects.get()
    assert (event.unit_id, event.actor_id) == (cell_a.pk, admin.pk)
    # "Sibling of" a unit means under that unit's parent.
    response = client.post(url, _unit_form(cell_a, org["cell_b"], "sorted-sibling"))
    assert response.status_code == 302, response.content.decode()[:3000]
    assert OrgUnit.objects.get_parent(OrgUnit.objects.get(pk=cell_a.pk)).pk == org["committee"].pk
    assert _members_kept_right() == before


@pytest.mark.django_db
def test_the_admins_form_refuses_a_unit_under_a_cell_and_keeps_what_was_typed(client, org, personas):
    from cells.models import OrgUnit

    _admin_client(client)
    committee = org["committee"]
    before = (_members_kept_right(), list(OrgUnit.objects.values_list("pk", "path", "name")))
    url = f"/admin/cells/orgunit/{committee.pk}/change/"
    response = client.post(url, _unit_form(committee, org["cell_c"], name="Đảng ủy Khối mới"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "chỉ đặt được dưới một cấp ủy" in page and "Đảng ủy Khối mới" in page
    assert (_members_kept_right(), list(OrgUnit.objects.values_list("pk", "path", "name"))) == before


@pytest.mark.django_db
def test_a_unit_added_in_the_admin_goes_under_its_committee(client, org, personas):
    from cells.models import OrgUnit

    _admin_client(client)
    data = {"name": "Chi bộ D", "kind": "cell", "code": "", "place": ""}
    response = client.post(
        "/admin/cells/orgunit/add/",
        data | {"treebeard_position": "sorted-child", "treebeard_ref_node": org["other_committee"].pk},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    new = OrgUnit.objects.get(name="Chi bộ D")
    assert OrgUnit.objects.get_parent(new).pk == org["other_committee"].pk
    response = client.post(
        "/admin/cells/orgunit/add/", data | {"name": "Chi bộ E", "treebeard_position": "sorted-child"}
    )
    assert response.status_code == 200 and not OrgUnit.objects.filter(name="Chi bộ E").exists()


@pytest.mark.django_db
def test_the_admins_drag_and_drop_moves_through_the_service(client, org, personas):
    from cells.models import OrgUnit, UnitEvent
    from conftest import make_member

    admin = _admin_client(client)
    make_member("member_c", org["cell_c"])
    assert client.get("/admin/cells/orgunit/").status_code == 200  # the tree to drag in
    before = _members_kept_right()
    response = client.post(
        "/admin/cells/orgunit/move/",
        {"node": org["other_committee"].pk, "target": org["committee"].pk, "relation": "child"},
    )
    assert response.status_code == 200, response.content.decode()[:2000]
    moved = OrgUnit.objects.get(pk=org["cell_c"].pk)
    assert moved.path.startswith(OrgUnit.objects.get(pk=org["committee"].pk).path) and moved.depth == 4
    after = _members_kept_right()
    assert after[org["committee"].pk] == before[org["committee"].pk] + before[org["other_committee"].pk]
    assert UnitEvent.objects.get().actor_id == admin.pk
    # Refused: a committee dropped into a cell.
    paths = list(OrgUnit.objects.values_list("pk", "path"))
    response = client.post(
        "/admin/cells/orgunit/move/", {"node": org["committee"].pk, "target": org["cell_a"].pk, "relation": "child"}
    )
    assert response.status_code == 400
    assert list(OrgUnit.objects.values_list("pk", "path")) == paths and _members_kept_right() == after


@pytest.mark.django_db
def test_those_who_may_not_change_units_cannot_move_one(client, org, personas):
    from django.contrib.auth.models import Permission

    from cells.models import OrgUnit

    clerk = make_user("clerk", "Văn thư", is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="view_orgunit"))
    client.force_login(clerk)
    paths = list(OrgUnit.objects.values_list("pk", "path"))
    data = {"node": org["cell_a"].pk, "target": org["other_committee"].pk, "relation": "child"}
    response = client.post("/admin/cells/orgunit/move/", data)
    assert response.status_code == 403
    # Not staff (an officer, a member) or not logged in: sent to the admin's log-in page.
    for persona in ("officer", "member_a", None):
        client.logout()
        if persona:
            client.force_login(personas[persona])
        response = client.post("/admin/cells/orgunit/move/", data)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
        response = client.post(f"/admin/cells/orgunit/{org['cell_a'].pk}/change/", _unit_form(org["cell_a"], None))
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert list(OrgUnit.objects.values_list("pk", "path")) == paths
