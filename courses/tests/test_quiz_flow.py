"""The quiz keeps answers when questions are left out, offers another try, and keeps the key
back until the member has passed or has no attempts left."""

from django.urls import reverse

from courses import services
from courses.models import Attempt
from courses.tests.conftest import build_module, right_answers, wrong_answers


def _form(answers: dict) -> dict:
    return {f"q{qid}": ids for qid, ids in answers.items()}


def test_it_reshows_the_quiz_with_answers_kept_when_questions_are_unanswered(client_as, personas, org):
    module = build_module(org["committee"], questions=4)
    client = client_as(personas["member_a"])
    client.post(reverse("courses:quiz_start", args=[module.pk]))
    attempt = Attempt.objects.get(user=personas["member_a"])
    url = reverse("courses:attempt", args=[attempt.pk])
    first = attempt.question_ids[0]
    chosen = right_answers(attempt)[first]
    response = client.post(url, _form({first: chosen}))
    assert response.status_code == 200
    assert response.context["unanswered"] == 3
    page = response.content.decode()
    assert 'name="confirm_unanswered"' in page
    for choice in chosen:
        assert f'value="{choice}" checked' in page
    attempt.refresh_from_db()
    assert not attempt.is_graded
    response = client.post(url, {**_form({first: chosen}), "confirm_unanswered": "1"})
    assert response.status_code == 302
    attempt.refresh_from_db()
    assert attempt.is_graded and attempt.correct == 1


def _fail(client, user, module) -> Attempt:
    client.post(reverse("courses:quiz_start", args=[module.pk]))
    attempt = Attempt.objects.filter(user=user, submitted_at__isnull=True).get()
    client.post(reverse("courses:attempt", args=[attempt.pk]), _form(wrong_answers(attempt)))
    attempt.refresh_from_db()
    assert attempt.passed is False
    return attempt


def test_it_offers_another_try_and_keeps_the_key_back_while_attempts_remain(client_as, personas, org):
    module = build_module(org["committee"], questions=4, attempts_allowed=2)
    user = personas["member_a"]
    client = client_as(user)
    attempt = _fail(client, user, module)
    response = client.get(reverse("courses:attempt", args=[attempt.pk]))
    page = response.content.decode()
    assert reverse("courses:quiz_start", args=[module.pk]) in page  # "Try again"
    assert response.context["reveal_answers"] is False
    assert "đáp án đúng" not in page and "Vì." not in page
    assert "Sai" in page  # which questions were wrong is still shown

    last = _fail(client, user, module)  # the last attempt: now the key is shown
    response = client.get(reverse("courses:attempt", args=[last.pk]))
    page = response.content.decode()
    assert response.context["reveal_answers"] is True
    assert "đáp án đúng" in page and "Vì." in page
    assert reverse("courses:quiz_start", args=[module.pk]) not in page


def test_it_shows_the_key_and_no_retry_once_passed(client_as, personas, org):
    module = build_module(org["committee"], questions=4)
    user = personas["member_a"]
    client = client_as(user)
    attempt = services.attempt_start(user=user, module=module)
    client.post(reverse("courses:attempt", args=[attempt.pk]), _form(right_answers(attempt)))
    response = client.get(reverse("courses:attempt", args=[attempt.pk]))
    assert response.context["reveal_answers"] is True
    assert reverse("courses:quiz_start", args=[module.pk]) not in response.content.decode()
