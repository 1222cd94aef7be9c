"""A last lesson read and a passing submission at the same moment must complete the module.

Both services lock the member's ModuleProgress row before reading it. The lock itself is
checked on every database; the real race runs on PostgreSQL only (SQLite's in-memory test
database cannot hold two writers).
"""

import threading

import pytest
from django.db import connection, connections
from django.db.models.sql import compiler

from conftest import make_member
from courses import services
from courses.models import ModuleProgress
from courses.tests.conftest import build_module, right_answers


@pytest.fixture
def progress_reads(monkeypatch):
    """Every SELECT of ModuleProgress: True when it takes the row lock (select_for_update)."""
    reads = []
    real = compiler.SQLCompiler.execute_sql

    def spy(self, *args, **kwargs):
        if self.query.model is ModuleProgress and not isinstance(self, compiler.SQLUpdateCompiler):
            reads.append(self.query.select_for_update)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(compiler.SQLCompiler, "execute_sql", spy)
    return reads


def test_it_locks_the_progress_row_when_a_lesson_is_read(org, progress_reads):
    module = build_module(org["committee"])
    user = make_member("reader", org["cell_a"])
    progress_reads.clear()
    services.lesson_mark_read(user=user, lesson=module.lessons.first())
    assert True in progress_reads


def test_it_locks_the_progress_row_when_an_attempt_is_submitted(org, progress_reads):
    module = build_module(org["committee"])
    user = make_member("taker", org["cell_a"])
    attempt = services.attempt_start(user=user, module=module)
    progress_reads.clear()
    services.attempt_submit(user=user, attempt=attempt, answers=right_answers(attempt))
    assert True in progress_reads


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor == "sqlite", reason="needs a database that allows concurrent writers")
def test_it_never_misses_completion_when_the_last_lesson_and_the_pass_race(org, monkeypatch):
    module = build_module(org["committee"], lessons=2, certificate_enabled=False)
    first, last = list(module.lessons.order_by("position"))
    real_progress = services.study._progress
    state = threading.local()
    missed = []
    for round_ in range(6):
        user = make_member(f"racer{round_}", org["cell_a"])
        services.lesson_mark_read(user=user, lesson=first)
        attempt = services.attempt_start(user=user, module=module)
        barrier = threading.Barrier(2)

        def progress_then_wait(u, m, barrier=barrier):
            # Both requests have reached their progress read before either goes on: a true race.
            found = real_progress(u, m)
            if getattr(state, "wait", False):
                state.wait = False
                barrier.wait(timeout=10)
            return found

        monkeypatch.setattr(services.study, "_progress", progress_then_wait)
        errors = []

        def run(work, errors=errors):
            state.wait = True
            try:
                work()
            except Exception as exc:  # reported below
                errors.append(exc)
            finally:
                connections.close_all()

        answers = right_answers(attempt)
        threads = [
            threading.Thread(target=run, args=(lambda u=user: services.lesson_mark_read(user=u, lesson=last),)),
            threading.Thread(
                target=run,
                args=(lambda u=user, a=attempt, ans=answers: services.attempt_submit(user=u, attempt=a, answers=ans),),
            ),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        monkeypatch.setattr(services.study, "_progress", real_progress)
        assert errors == []
        if ModuleProgress.objects.get(user=user, module=module).completed_at is None:
            missed.append(round_)
    assert missed == []
