"""Counters bumped at the same moment under one committee: no lost update, no deadlock.

On PostgreSQL real threads with their own connections add members to two cells under the
same committee at once (their counter rows at the committee and the province are shared,
and some do not exist yet); SQLite's in-memory test database cannot hold two writers.
"""

import threading

import pytest
from django.db import connection, connections

from accounts.models import User
from cells import services
from cells.models import MemberTally

N = 6


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor == "sqlite", reason="needs a database that allows concurrent writers")
def test_concurrent_joins_under_one_committee_are_all_counted(org):
    users = [User.objects.create(username=f"racer{i}", full_name=f"Người {i}") for i in range(2 * N)]
    barrier = threading.Barrier(2)
    errors = []

    def join(cell, people) -> None:
        try:
            barrier.wait(timeout=10)
            for user in people:
                services.membership_add(actor=None, user=user, cell=cell)
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=join, args=(org["cell_a"], users[:N])),
        threading.Thread(target=join, args=(org["cell_b"], users[N:])),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    counts = dict(MemberTally.objects.values_list("unit_id", "members"))
    assert counts[org["cell_a"].pk] == N and counts[org["cell_b"].pk] == N
    assert counts[org["committee"].pk] == 2 * N and counts[org["province"].pk] == 2 * N


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor == "sqlite", reason="needs a database that allows concurrent writers")
def test_members_joining_a_cell_while_it_is_moved_are_counted_under_its_new_committee(org):
    from cells.services import tally_rebuild

    users = [User.objects.create(username=f"mover{i}", full_name=f"Người {i}") for i in range(2 * N)]
    barrier = threading.Barrier(2)
    errors = []

    def join() -> None:
        try:
            cell = org["cell_a"]  # loaded before the move: the service must not trust its path
            barrier.wait(timeout=10)
            for user in users:
                services.membership_add(actor=None, user=user, cell=cell)
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    def move() -> None:
        try:
            barrier.wait(timeout=10)
            services.unit_move(actor=None, unit=org["cell_a"], parent=org["other_committee"])
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=join), threading.Thread(target=move)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    kept = {unit: n for unit, n in MemberTally.objects.values_list("unit_id", "members") if n}
    assert kept[org["other_committee"].pk] == 2 * N and org["committee"].pk not in kept
    tally_rebuild()
    assert {unit: n for unit, n in MemberTally.objects.values_list("unit_id", "members") if n} == kept
