"""A member's counters stay right when a review and the end of their membership meet.

The review holds its transaction open between counting the approval in the member's cell and
committing; meanwhile the member's membership is ended. Without one lock per member the end
read the pledge as still submitted, took only "submitted" out of the cell's figures and left
"approved" there for a member who had gone. PostgreSQL only (real concurrent writers).
"""

import threading
from unittest import mock

import pytest
from django.db import connection, connections

from cells import services as cells_services
from cells import tally
from cells.models import Membership
from pledges import services
from pledges.models import PledgeTally


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor == "sqlite", reason="needs a database that allows concurrent writers")
def test_an_approval_and_the_end_of_the_membership_at_once_leave_the_counters_right(personas, org, submitted):
    member, pledge = personas["member_a"], submitted
    counted, go = threading.Event(), threading.Event()
    real_bump = tally.bump
    errors: list[BaseException] = []

    def slow_bump(model, cell, changes):
        real_bump(model, cell, changes)
        if model is PledgeTally and threading.current_thread().name == "review":
            counted.set()
            go.wait(timeout=20)  # the review's transaction stays open here

    def review() -> None:
        try:
            services.pledge_approve(pledge=pledge, actor=personas["secretary_a"])
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    def end() -> None:
        try:
            membership = Membership.objects.get(user=member, ended_on__isnull=True)
            cells_services.membership_end(actor=personas["secretary_a"], membership=membership, reason="Chuyển đi")
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    with mock.patch.object(tally, "bump", slow_bump):
        reviewer = threading.Thread(target=review, name="review")
        reviewer.start()
        assert counted.wait(timeout=20)
        ender = threading.Thread(target=end, name="end")
        ender.start()
        ender.join(timeout=1.5)  # without a per-member lock it reads the pledge now
        go.set()
        reviewer.join(timeout=30)
        ender.join(timeout=30)
    assert errors == []
    figures = PledgeTally.objects.filter(unit=org["cell_a"], year=2020).values("submitted", "approved").first()
    assert figures == {"submitted": 0, "approved": 0}
