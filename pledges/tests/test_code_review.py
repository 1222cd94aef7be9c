"""Fixes from the code review of pledges (access, races, stale saves, admin, moves)."""

import pytest

pytestmark = pytest.mark.django_db


# --- One helper for the leaders' notifications; one ancestor-path builder ---------------------


def test_it_notifies_both_leaders_but_never_the_member_on_submit_and_self_review(deputy_a, reviewed):
    from notifications.models import Notification

    for kind in ("pledge.submitted", "pledge.reviewed"):
        notified = set(Notification.objects.filter(kind=kind).values_list("user__username", flat=True))
        assert notified == {"secretary_a", "deputy_a"}, kind


def test_it_finds_the_template_through_the_shared_ancestor_paths(template, org):
    from cells import permissions
    from pledges import selectors

    assert permissions.ancestor_paths(org["cell_a"].path)[-2:] == [org["committee"].path, org["cell_a"].path]
    assert selectors.template_for_cell(org["cell_a"], 2020) == template
    assert selectors.template_for_cell(org["cell_c"], 2020) is None
    assert selectors.years_for_unit(org["cell_a"]) == [2020]


# --- Template creation and pledge start: no duplicate 500, no form changed under a start -------


def test_it_refuses_a_second_template_for_the_same_committee_and_year(template, personas, org):
    import datetime

    from pledges import services

    with pytest.raises(services.PledgeRefused) as exc:
        services.template_create(
            actor=personas["officer"],
            unit=org["committee"],
            year=2020,
            title="Again",
            due_on=datetime.date(2020, 3, 31),
        )
    assert exc.value.message == "Cấp ủy này đã có mẫu cho năm đó."


def test_it_turns_the_constraint_race_into_a_refusal_not_a_500(template, personas, org, monkeypatch):
    import datetime

    from django.db.models import QuerySet

    from pledges import services

    # The check ran before the other officer's insert committed: only the constraint catches it.
    monkeypatch.setattr(QuerySet, "exists", lambda self: False)
    with pytest.raises(services.PledgeRefused):
        services.template_create(
            actor=personas["officer"],
            unit=org["committee"],
            year=2020,
            title="Again",
            due_on=datetime.date(2020, 3, 31),
        )


def test_it_locks_the_template_row_when_a_pledge_starts(template, personas, org, monkeypatch):
    from django.db.models import QuerySet

    from pledges import services
    from pledges.models import PledgeTemplate

    locked = []
    original = QuerySet.select_for_update

    def spy(self, *args, **kwargs):
        locked.append(self.model)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(QuerySet, "select_for_update", spy)
    services.pledge_start(member=personas["member_a"], template=template, cell=org["cell_a"])
    assert PledgeTemplate in locked
