"""Quiz answers are stored on the server as the member goes (issue 13): reopening an open
attempt shows what was chosen. With JavaScript each change is sent in the background; without
it, the "Lưu câu trả lời" button does the same."""

import pytest
from django.urls import reverse

from courses.models import Attempt, Choice
from courses.tests.conftest import build_module, right_answers

pytestmark = pytest.mark.django_db


def _form(answers: dict) -> dict:
    return {f"q{qid}": ids for qid, ids in answers.items()}


@pytest.fixture
def started(client_as, personas, org):
    module = build_module(org["committee"], questions=4)
    client = client_as(personas["member_a"])
    client.post(reverse("courses:quiz_start", args=[module.pk]))
    attempt = Attempt.objects.get(user=personas["member_a"])
    return client, attempt


def test_a_choice_saved_in_the_background_is_there_on_reload(started):
    client, attempt = started
    first = attempt.question_ids[0]
    chosen = right_answers(attempt)[first]
    save = reverse("courses:attempt_answers", args=[attempt.pk])
    for _ in range(2):  # sent twice (a retry): the same state, nothing else changes
        response = client.post(save, _form({first: chosen}), headers={"X-Requested-With": "fetch"})
        assert response.status_code == 204
    attempt.refresh_from_db()
    assert attempt.answers[str(first)] == sorted(chosen)
    assert not attempt.is_graded and attempt.score is None
    page = client.get(reverse("courses:attempt", args=[attempt.pk])).content.decode()
    for choice in chosen:
        assert f'value="{choice}" checked' in page
    assert "Lưu câu trả lời" in page


def test_without_javascript_the_save_button_stores_and_comes_back(started):
    client, attempt = started
    answers = right_answers(attempt)
    response = client.post(reverse("courses:attempt_answers", args=[attempt.pk]), _form(answers), follow=True)
    assert response.redirect_chain[-1][0] == reverse("courses:attempt", args=[attempt.pk])
    assert "Đã lưu câu trả lời" in response.content.decode()
    attempt.refresh_from_db()
    assert attempt.answers == {str(q): sorted(c) for q, c in answers.items()}
    assert not attempt.is_graded
    # Submitting afterwards, with the form's idempotency key, grades once as before.
    page = client.get(reverse("courses:attempt", args=[attempt.pk]))
    key = page.content.decode().split('name="idempotency_key" value="')[1].split('"')[0]
    url = reverse("courses:attempt", args=[attempt.pk])
    for _ in range(2):
        assert client.post(url, {**_form(answers), "idempotency_key": key}).status_code == 302
    attempt.refresh_from_db()
    assert attempt.is_graded and attempt.score == 100
    assert Attempt.objects.filter(user=attempt.user).count() == 1


def test_a_bad_save_keeps_what_was_stored(started):
    client, attempt = started
    first, second = attempt.question_ids[:2]
    save = reverse("courses:attempt_answers", args=[attempt.pk])
    client.post(save, _form({first: right_answers(attempt)[first]}), headers={"X-Requested-With": "fetch"})
    foreign = Choice.objects.exclude(question_id=second).first().pk
    response = client.post(save, _form({second: [foreign]}), headers={"X-Requested-With": "fetch"})
    assert response.status_code == 400
    assert "không thuộc" in response.content.decode()
    response = client.post(save, {"q1x": "a"}, headers={"X-Requested-With": "fetch"})
    assert response.status_code == 400
    attempt.refresh_from_db()
    assert attempt.answers[str(first)] == sorted(right_answers(attempt)[first])


def test_a_graded_attempt_is_not_changed_by_a_late_save(started):
    client, attempt = started
    answers = right_answers(attempt)
    client.post(reverse("courses:attempt", args=[attempt.pk]), _form(answers))
    save = reverse("courses:attempt_answers", args=[attempt.pk])
    wrong = {qid: [] for qid in attempt.question_ids}
    response = client.post(save, _form(wrong), headers={"X-Requested-With": "fetch"})
    assert response.status_code == 409
    response = client.post(save, _form(wrong))
    assert response.status_code == 302
    attempt.refresh_from_db()
    assert attempt.score == 100 and attempt.answers == {str(q): sorted(c) for q, c in answers.items()}


@pytest.mark.parametrize("persona", ["secretary_a", "member_b", "officer", "outsider"])
def test_nobody_else_saves_into_a_members_attempt(started, client_as, personas, persona):
    _, attempt = started
    client = client_as(personas[persona])
    response = client.post(reverse("courses:attempt_answers", args=[attempt.pk]), _form(right_answers(attempt)))
    assert response.status_code in (403, 404)
    attempt.refresh_from_db()
    assert attempt.answers == {}


def test_an_anonymous_save_goes_to_the_login_page(started, client):
    _, attempt = started
    client.logout()
    response = client.post(reverse("courses:attempt_answers", args=[attempt.pk]), {})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
