"""The Django admin is usable by a site admin for every model, and closed to everyone else."""

import pytest
from django.urls import reverse

from cells.models import Membership, MembershipEvent
from conftest import make_user
from notifications.services import notification_send

MODELS = ["accounts/user", "cells/orgunit", "cells/membership", "cells/committeerole", "notifications/notification"]


@pytest.fixture
def admin_client_(client, personas):
    notification_send(user=personas["member_a"], kind="t", message="m", email=False)
    client.force_login(make_user("root", is_superuser=True, is_staff=True))
    return client


@pytest.mark.parametrize("model", MODELS)
def test_it_lists_adds_and_changes_every_model(admin_client_, model):
    from django.apps import apps

    pk = apps.get_model(model.replace("/", ".")).objects.order_by("pk").values_list("pk", flat=True)[0]
    assert admin_client_.get(f"/admin/{model}/").status_code == 200
    assert admin_client_.get(f"/admin/{model}/?q=a").status_code == 200
    assert admin_client_.get(f"/admin/{model}/add/").status_code == 200
    assert admin_client_.get(f"/admin/{model}/{pk}/change/").status_code == 200


def test_it_keeps_the_membership_audit_read_only(admin_client_, personas):
    from cells.services import membership_change_role

    membership = Membership.objects.get(user=personas["member_a"])
    membership_change_role(actor=None, membership=membership, role="deputy", status="official")
    event = MembershipEvent.objects.get()
    assert admin_client_.get("/admin/cells/membershipevent/").status_code == 200
    assert admin_client_.get(f"/admin/cells/membershipevent/{event.pk}/change/").status_code == 200  # view only
    assert admin_client_.get("/admin/cells/membershipevent/add/").status_code == 403
    admin_client_.post(f"/admin/cells/membershipevent/{event.pk}/delete/", {"post": "yes"})
    assert MembershipEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.parametrize("persona", ["member_a", "secretary_a", "officer"])
def test_it_keeps_non_staff_out_of_the_admin(client_as, personas, persona):
    response = client_as(personas[persona]).get(reverse("admin:index"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
