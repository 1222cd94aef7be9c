"""Writes to the organisation: rules, audit rows, events after commit, all-or-nothing imports."""

import pytest
from django.core.exceptions import ValidationError

from accounts.models import User
from cells import services
from cells.imports import MemberRow
from cells.models import Membership, MembershipEvent
from conftest import make_user
from core.events import user_group


@pytest.fixture
def published(monkeypatch):
    """Events that reached the channel layer (after commit), as (group, event)."""
    sent = []
    monkeypatch.setattr("core.events.send_now", lambda group, event: sent.append((group, event)))
    return sent


def _active(user) -> Membership:
    return Membership.objects.get(user=user, ended_on__isnull=True)


def test_it_adds_a_member_to_a_cell_only(org, personas):
    user = make_user("moi")
    with pytest.raises(ValidationError):
        services.membership_add(actor=None, user=user, cell=org["committee"])
    membership = services.membership_add(actor=personas["secretary_a"], user=user, cell=org["cell_a"], role="deputy")
    assert membership.role == "deputy"
    assert membership.started_on is not None
    assert list(membership.events.values_list("action", "actor")) == [("added", personas["secretary_a"].pk)]


def test_it_refuses_a_second_active_membership(org, personas):
    with pytest.raises(ValidationError):
        services.membership_add(actor=None, user=personas["member_a"], cell=org["cell_b"])
    assert Membership.objects.filter(user=personas["member_a"]).count() == 1


def test_it_changes_roles_only_on_active_memberships(org, personas):
    membership = _active(personas["member_a"])
    services.membership_change_role(actor=None, membership=membership, role="deputy", status="probationary")
    event = membership.events.get()
    assert event.action == "role_changed"
    assert "→" in event.detail
    services.membership_end(actor=None, membership=membership, reason="x")
    with pytest.raises(ValidationError):
        services.membership_change_role(actor=None, membership=membership, role="member", status="official")


def test_it_keeps_one_secretary_per_cell(org, personas):
    membership = _active(personas["member_a"])
    with pytest.raises(ValidationError, match="Lê Thị Bích"):
        services.membership_change_role(actor=None, membership=membership, role="secretary", status="official")
    membership.refresh_from_db()
    assert membership.role == "member"
    services.membership_change_role(
        actor=None, membership=_active(personas["secretary_a"]), role="member", status="official"
    )
    services.membership_change_role(actor=None, membership=membership, role="secretary", status="official")
    assert Membership.objects.filter(cell=org["cell_a"], role="secretary", ended_on__isnull=True).get() == membership


def test_it_ends_a_membership_and_tells_the_users_sockets_after_commit(
    org, personas, published, django_capture_on_commit_callbacks
):
    membership = _active(personas["member_a"])
    with django_capture_on_commit_callbacks(execute=True):
        services.membership_end(actor=personas["secretary_a"], membership=membership, reason="Chuyển sinh hoạt")
        assert published == []  # nothing before the commit
    # The membership's save also asks the user's sockets to re-check (cells.signals).
    assert published == [
        (user_group(personas["member_a"].pk), {"version": 1, "type": "access.changed"}),
        (user_group(personas["member_a"].pk), {"version": 1, "type": "access.revoked", "cell": org["cell_a"].pk}),
    ]
    membership.refresh_from_db()
    assert (membership.is_active, membership.end_reason) == (False, "Chuyển sinh hoạt")
    with pytest.raises(ValidationError):
        services.membership_end(actor=None, membership=membership, reason="again")


def test_it_moves_a_member_keeping_the_history(org, personas, published, django_capture_on_commit_callbacks):
    old = _active(personas["member_a"])
    services.membership_change_role(actor=None, membership=old, role="deputy", status="probationary")
    with django_capture_on_commit_callbacks(execute=True):
        new = services.membership_move(actor=personas["officer"], membership=old, to_cell=org["cell_b"])
    old.refresh_from_db()
    assert not old.is_active
    assert (new.cell, new.role, new.status) == (org["cell_b"], "member", "probationary")
    assert [e for _, e in published if e["type"] == "access.revoked"] == [
        {"version": 1, "type": "access.revoked", "cell": org["cell_a"].pk}
    ]
    assert list(old.events.values_list("action", flat=True)) == ["role_changed", "ended", "moved"]
    assert list(new.events.values_list("action", flat=True)) == ["added"]


def test_it_refuses_moves_to_the_same_cell_or_a_committee(org, personas):
    membership = _active(personas["member_a"])
    for target in (org["cell_a"], org["committee"]):
        with pytest.raises(ValidationError):
            services.membership_move(actor=None, membership=membership, to_cell=target)
    assert _active(personas["member_a"]).pk == membership.pk
    assert not MembershipEvent.objects.exists()


def test_it_imports_all_rows_or_none(org, personas, mailoutbox, django_capture_on_commit_callbacks):
    rows = [
        MemberRow(line=2, full_name="Một", username="mot", email="mot@example.org"),
        MemberRow(line=3, full_name="Hai", username="member_b", email="hai@example.org"),  # taken meanwhile
    ]
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError):
        services.members_import(actor=None, cell=org["cell_a"], rows=rows)
    assert not User.objects.filter(username="mot").exists()
    assert mailoutbox == []


def test_it_invites_with_a_link_and_an_unusable_password(org, mailoutbox, django_capture_on_commit_callbacks):
    row = MemberRow(line=1, full_name="Võ Thị Sáu", username="sauvt", email="sau@example.org", phone="0900")
    with django_capture_on_commit_callbacks(execute=True):
        membership = services.member_invite(actor=None, cell=org["cell_a"], row=row)
    user = membership.user
    assert (user.full_name, user.phone, user.has_usable_password()) == ("Võ Thị Sáu", "0900", False)
    (mail,) = mailoutbox
    assert mail.to == ["sau@example.org"]
    assert "Chi bộ A" in mail.subject
    assert "/accounts/password/reset/key/" in mail.body


def test_it_resends_invitations_only_to_those_without_a_password(org, personas):
    with pytest.raises(ValidationError):
        services.invitation_resend(actor=None, membership=_active(personas["member_a"]))
    user = User.objects.create(username="noemail", full_name="Không Thư")
    user.set_unusable_password()
    user.save()
    membership = services.membership_add(actor=None, user=user, cell=org["cell_a"])
    with pytest.raises(ValidationError):
        services.invitation_resend(actor=None, membership=membership)


def test_it_refuses_a_second_change_made_on_a_stale_copy(org, personas):
    # Two officers load the same membership; one ends it, then the other tries to move it.
    first = _active(personas["member_a"])
    second = Membership.objects.get(pk=first.pk)
    services.membership_end(actor=None, membership=first, reason="Thôi sinh hoạt")
    with pytest.raises(ValidationError):
        services.membership_move(actor=None, membership=second, to_cell=org["cell_b"])
    ended = Membership.objects.get(pk=first.pk)
    assert ended.end_reason == "Thôi sinh hoạt"
    assert not Membership.objects.filter(user=personas["member_a"], ended_on__isnull=True).exists()
