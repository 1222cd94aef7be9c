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
