"""Every courses form leaves validation to the server, whose messages are in Vietnamese."""

import re

from django.urls import reverse

from courses import services
from courses.models import Certificate
from courses.tests.conftest import build_module, complete, wrong_answers


def test_it_marks_every_courses_form_novalidate(client_as, personas, org):
    module = build_module(org["committee"])
    complete(personas["member_a"], module)
    certificate = Certificate.objects.get(user=personas["member_a"])
    attempt = services.attempt_start(user=personas["member_b"], module=module)
    pages = [
        ("member_b", reverse("courses:module", args=[module.pk])),
        ("member_b", reverse("courses:lesson", args=[module.lessons.first().pk])),
        ("member_b", reverse("courses:attempt", args=[attempt.pk])),
        ("officer", reverse("courses:certificate", args=[certificate.pk])),
        ("secretary_a", reverse("reports:unit", args=[org["cell_a"].pk]) + "?year=2020"),
    ]
    seen = []

    def check(persona, url):
        response = client_as(personas[persona]).get(url)
        assert response.status_code == 200, (url, response.status_code)
        body = response.content.decode()
        main = body.split("<main", 1)[1]  # the site's own header forms (language, log out) are not ours
        for form in re.findall(r"<form\b[^>]*>", main):
            seen.append(url)
            assert "novalidate" in form, (url, form)

    for client, url in pages:
        check(client, url)
    services.attempt_submit(user=personas["member_b"], attempt=attempt, answers=wrong_answers(attempt))
    check("member_b", reverse("courses:attempt", args=[attempt.pk]))  # the result, with "Try again"
    assert len(seen) >= 7, seen
