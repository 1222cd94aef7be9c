"""Two completions at the same moment give one certificate.

On PostgreSQL (CI) this runs real threads with their own connections; SQLite's in-memory
test database cannot hold two writers, so there the IntegrityError path is exercised
directly (test_services.test_it_returns_the_winner_when_a_racing_issue_loses).
"""

import threading

import pytest
from django.db import connection, connections

from conftest import make_member
from courses import services
from courses.models import Certificate, CertificateEvent
from courses.tests.conftest import build_module


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor == "sqlite", reason="needs a database that allows concurrent writers")
def test_it_issues_one_certificate_when_two_completions_race(org, monkeypatch):
    module = build_module(org["committee"], lessons=1)
    user = make_member("racer", org["cell_a"], full_name="Phạm Thị Đua")
    barrier = threading.Barrier(2)
    looked = threading.local()
    real_lookup = services.certificates._current_certificate

    def lookup_then_wait(u, m):
        # Both requests finish their "already issued?" check before either inserts: a true race.
        found = real_lookup(u, m)
        if not getattr(looked, "done", False):
            looked.done = True
            barrier.wait(timeout=10)
        return found

    monkeypatch.setattr(services.certificates, "_current_certificate", lookup_then_wait)
    results, errors = [], []

    def issue() -> None:
        try:
            results.append(services.certificate_issue(user=user, module=module).pk)
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=issue) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert len(results) == 2 and results[0] == results[1]
    assert Certificate.objects.filter(user=user, module=module).count() == 1
    assert CertificateEvent.objects.filter(certificate__user=user, action="issued").count() == 1
