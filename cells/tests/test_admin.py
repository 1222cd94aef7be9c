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
