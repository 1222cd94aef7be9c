import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from cells.models import Membership
from courses import services
from courses.models import Attempt, Certificate
from courses.tests.conftest import build_module, right_answers


def _move(user, cell):
    Membership.objects.filter(user=user, ended_on__isnull=True).update(ended_on=datetime.date(2024, 1, 1))
    Membership.objects.create(user=user, cell=cell, role="member", started_on=datetime.date(2024, 1, 2))


def test_it_refuses_an_open_attempt_after_the_member_moved_out_of_the_audience(client_as, personas, org):
    module = build_module(org["committee"])  # audience: cells A and B, not C
    member = personas["member_b"]
    for lesson in module.lessons.all():
        services.lesson_mark_read(user=member, lesson=lesson)
    attempt = services.attempt_start(user=member, module=module)
    _move(member, org["cell_c"])
    data = {f"q{qid}": [str(c) for c in choices] for qid, choices in right_answers(attempt).items()}
    response = client_as(member).post(reverse("courses:attempt", args=[attempt.pk]), data)
    assert response.status_code == 404
    attempt.refresh_from_db()
    assert attempt.submitted_at is None
    assert not Certificate.objects.filter(user=member).exists()


def test_it_refuses_submitting_after_publish_until(client_as, personas, org):
    module = build_module(org["committee"])
    member = personas["member_b"]
    attempt = services.attempt_start(user=member, module=module)
    module.publish_until = module.publish_from + datetime.timedelta(seconds=1)
    module.save(update_fields=["publish_until"])
    data = {f"q{qid}": [str(c) for c in choices] for qid, choices in right_answers(attempt).items()}
    response = client_as(member).post(reverse("courses:attempt", args=[attempt.pk]), data)
    assert response.status_code == 404
    assert Attempt.objects.get(pk=attempt.pk).submitted_at is None


def test_it_issues_no_certificate_to_a_member_outside_the_audience(personas, org):
    module = build_module(org["committee"])
    member = personas["member_b"]
    _move(member, org["cell_c"])
    with pytest.raises(ValidationError) as exc:
        services.certificate_issue(user=member, module=module)
    assert exc.value.code == "outside_audience"
    assert not Certificate.objects.filter(user=member).exists()


def test_it_completes_without_a_certificate_when_moved_mid_quiz(personas, org):
    module = build_module(org["committee"])
    member = personas["member_b"]
    for lesson in module.lessons.all():
        services.lesson_mark_read(user=member, lesson=lesson)
    attempt = services.attempt_start(user=member, module=module)
    _move(member, org["cell_c"])
    services.attempt_submit(user=member, attempt=attempt, answers=right_answers(attempt))
    assert not Certificate.objects.filter(user=member).exists()
