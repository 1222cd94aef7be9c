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
