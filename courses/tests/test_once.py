"""A quiz submission sent again (a double tap, a network retry) is graded once, uses up one
attempt, and is answered as the first was; a Start sent again never starts another attempt."""

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from conftest import make_member
from core.idempotency import new_key
from core.tests.concurrency import post_at_once
from courses import services
from courses.models import Attempt, CourseReminder, ModuleProgress
from courses.tests.conftest import build_module, right_answers, wrong_answers
from notifications.models import Notification


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _form(answers: dict, **extra) -> dict:
    return {**{f"q{qid}": ids for qid, ids in answers.items()}, **extra}


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


@pytest.mark.skipif(connection.vendor == "sqlite", reason="needs a database that allows concurrent writers")
@pytest.mark.django_db(transaction=True)
def test_five_identical_concurrent_submits_grade_once(personas, org):
    module = build_module(org["committee"], attempts_allowed=2)
    user = personas["member_a"]
    attempt = services.attempt_start(user=user, module=module)
    data = _form(wrong_answers(attempt), idempotency_key=new_key())
    responses = post_at_once(user, reverse("courses:attempt", args=[attempt.pk]), data, times=5)
    assert {r.status_code for r in responses} == {302}
    assert ModuleProgress.objects.get(user=user, module=module).attempts == 1
    assert Attempt.objects.filter(user=user, module=module).count() == 1


@pytest.mark.django_db
def test_a_retried_submit_is_answered_as_the_first_and_counts_once(personas, org):
    module = build_module(org["committee"], attempts_allowed=2)
    user = personas["member_a"]
    client = _client(user)
    attempt = services.attempt_start(user=user, module=module)
    url = reverse("courses:attempt", args=[attempt.pk])
    data = _form(wrong_answers(attempt), idempotency_key=new_key())
    first = client.post(url, data, follow=True)
    again = client.post(url, data, follow=True)
    assert first.redirect_chain == again.redirect_chain == [(url, 302)]
    assert _messages(again) == _messages(first) == []  # no "already submitted" for the same submission
    progress = ModuleProgress.objects.get(user=user, module=module)
    assert progress.attempts == 1
    attempt.refresh_from_db()
    assert attempt.score == 0
    # Another submission of the graded attempt (another tab, other answers) changes nothing and says so.
    other = client.post(url, _form(right_answers(attempt), idempotency_key=new_key()), follow=True)
    assert "đã được nộp" in " ".join(_messages(other))
    attempt.refresh_from_db()
    assert attempt.score == 0 and ModuleProgress.objects.get(pk=progress.pk).attempts == 1


@pytest.mark.django_db
def test_a_late_retry_of_start_uses_no_second_attempt(personas, org):
    module = build_module(org["committee"], attempts_allowed=3)
    user = personas["member_a"]
    client = _client(user)
    start = {"idempotency_key": new_key()}
    first = client.post(reverse("courses:quiz_start", args=[module.pk]), start)
    attempt = Attempt.objects.get(user=user)
    services.attempt_submit(user=user, attempt=attempt, answers=wrong_answers(attempt))
    again = client.post(reverse("courses:quiz_start", args=[module.pk]), start)  # arrives after the submit
    assert again["Location"] == first["Location"] == reverse("courses:attempt", args=[attempt.pk])
    assert Attempt.objects.filter(user=user).count() == 1
    # A new press of "Try again" (a new key) does start the next attempt.
    client.post(reverse("courses:quiz_start", args=[module.pk]), {"idempotency_key": new_key()})
    assert Attempt.objects.filter(user=user).count() == 2


@pytest.mark.django_db
def test_another_users_key_starts_their_own_attempt(personas, org):
    module = build_module(org["committee"])
    key = {"idempotency_key": new_key()}
    mine = _client(personas["member_a"]).post(reverse("courses:quiz_start", args=[module.pk]), key)
    other = make_member("other_a", org["cell_a"])
    theirs = _client(other).post(reverse("courses:quiz_start", args=[module.pk]), key)
    assert mine["Location"] != theirs["Location"]
    assert Attempt.objects.get(user=other).start_key != ""
    assert Attempt.objects.filter(start_key=Attempt.objects.get(user=other).start_key).count() == 2


@pytest.mark.django_db
def test_a_reminder_click_sent_twice_reminds_once(personas, org):
    module = build_module(org["committee"])
    client = _client(personas["secretary_a"])
    url = reverse("reports:remind", args=[org["cell_a"].pk])
    data = {"idempotency_key": new_key(), "item": f"module:{module.pk}", "year": module.year}
    for _ in range(2):
        response = client.post(url, data, follow=True)
        assert [m.level_tag for m in response.context["messages"]] == ["success"]
    assert CourseReminder.objects.count() == 1
    assert Notification.objects.filter(kind="courses.reminder").count() == 1  # member_a, once


@pytest.mark.django_db
def test_the_quiz_page_carries_a_fresh_key(personas, org):
    module = build_module(org["committee"])
    client = _client(personas["member_a"])
    attempt = services.attempt_start(user=personas["member_a"], module=module)
    pages = [client.get(reverse("courses:attempt", args=[attempt.pk])).content.decode() for _ in range(2)]
    assert all('name="idempotency_key"' in page for page in pages) and pages[0] != pages[1]


@pytest.mark.django_db
def test_a_retried_passing_submit_certifies_once(personas, org):
    from courses.models import Certificate

    module = build_module(org["committee"])
    user = personas["member_a"]
    for lesson in module.lessons.all():
        services.lesson_mark_read(user=user, lesson=lesson)
    client = _client(user)
    start = client.post(reverse("courses:quiz_start", args=[module.pk]), {"idempotency_key": new_key()})
    attempt = Attempt.objects.get(user=user)
    data = _form(right_answers(attempt), idempotency_key=new_key())
    first = client.post(start["Location"], data, follow=True)
    again = client.post(start["Location"], data, follow=True)
    assert first.redirect_chain == again.redirect_chain and _messages(again) == _messages(first)
    assert Certificate.objects.filter(user=user, module=module).count() == 1
    assert ModuleProgress.objects.get(user=user, module=module).attempts == 1
