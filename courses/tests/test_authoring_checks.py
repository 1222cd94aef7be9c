"""Authoring refuses quizzes that cannot be answered or drawn."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from courses import services
from courses.models import Lesson, Module, Question
from courses.tests.conftest import build_module


@pytest.fixture
def staff_officer(personas):
    officer = personas["officer"]
    officer.is_staff = True
    officer.save()
    return officer


def test_it_refuses_choices_without_a_right_one_in_the_service(module):
    with pytest.raises(ValidationError):
        services.question_save(
            question=Question(module=module, position=9, kind=Question.Kind.SINGLE, text="Câu?"),
            choices=[("A", False), ("B", False)],
        )
    with pytest.raises(ValidationError):
        services.question_save(
            question=Question(module=module, position=9, kind=Question.Kind.SINGLE, text="Câu?"),
            choices=[("A", True), ("B", True)],
        )
    assert not Question.objects.filter(position=9).exists()
    services.question_save(
        question=Question(module=module, position=9, kind=Question.Kind.MULTIPLE, text="Câu?"),
        choices=[("A", True), ("B", True), ("C", False)],
    )


def _question_post(module, kind: str, correct: list[bool]) -> dict:
    data = {
        "module": module.pk,
        "position": 9,
        "kind": kind,
        "text": "Câu hỏi mới",
        "explanation": "",
        "choices-TOTAL_FORMS": len(correct),
        "choices-INITIAL_FORMS": 0,
    }
    for index, right in enumerate(correct):
        data[f"choices-{index}-position"] = index + 1
        data[f"choices-{index}-text"] = f"Phương án {index + 1}"
        if right:
            data[f"choices-{index}-is_correct"] = "on"
    return data


def _inline_codes(response) -> set[str]:
    formset = response.context["inline_admin_formsets"][0].formset
    return {error.code for error in formset.non_form_errors().as_data()}


def _form_codes(response) -> set[str]:
    return {error.code for errors in response.context["adminform"].form.errors.as_data().values() for error in errors}


def test_it_refuses_broken_questions_in_the_admin(client_as, staff_officer, org):
    module = build_module(org["committee"], publish_from=None)
    client = client_as(staff_officer)
    url = reverse("admin:courses_question_add")
    response = client.post(url, _question_post(module, "single", [False, False, False]))
    assert response.status_code == 200
    assert _inline_codes(response) == {"no_correct_choice"}
    response = client.post(url, _question_post(module, "single", [True, True, False]))
    assert response.status_code == 200
    assert _inline_codes(response) == {"too_many_correct"}
    assert not Question.objects.filter(text="Câu hỏi mới").exists()
    response = client.post(url, _question_post(module, "multiple", [True, True, False]))
    assert response.status_code == 302
    assert Question.objects.filter(text="Câu hỏi mới").exists()


def _module_post(module, **changes) -> dict:
    data = {
        "year": module.year,
        "directive": module.directive,
        "title": module.title,
        "summary": module.summary,
        "audience": module.audience_id,
        "publish_from_0": "",
        "publish_from_1": "",
        "publish_until_0": "",
        "publish_until_1": "",
        "due_on": "",
        "pass_mark": module.pass_mark,
        "attempts_allowed": module.attempts_allowed,
        "questions_per_attempt": module.questions_per_attempt,
        "show_answers": "on",
        "certificate_enabled": "on",
    }
    lessons = list(module.lessons.all())
    data.update({"lessons-TOTAL_FORMS": len(lessons), "lessons-INITIAL_FORMS": len(lessons)})
    for index, lesson in enumerate(lessons):
        data.update(
            {
                f"lessons-{index}-id": lesson.pk,
                f"lessons-{index}-module": module.pk,
                f"lessons-{index}-position": lesson.position,
                f"lessons-{index}-title": lesson.title,
            }
        )
    questions = list(module.questions.all())
    data.update({"questions-TOTAL_FORMS": len(questions), "questions-INITIAL_FORMS": len(questions)})
    for index, question in enumerate(questions):
        data.update(
            {
                f"questions-{index}-id": question.pk,
                f"questions-{index}-module": module.pk,
                f"questions-{index}-position": question.position,
            }
        )
    data.update(changes)
    return data


def test_it_refuses_to_publish_a_module_without_lessons_or_enough_questions(client_as, staff_officer, org):
    client = client_as(staff_officer)
    publish = {"publish_from_0": "01/03/2020", "publish_from_1": "08:00:00"}
    empty = build_module(org["committee"], lessons=0, questions=4, per_attempt=4, publish_from=None)
    response = client.post(reverse("admin:courses_module_change", args=[empty.pk]), _module_post(empty, **publish))
    assert response.status_code == 200
    assert _form_codes(response) == {"no_lessons"}
    empty.refresh_from_db()
    assert empty.publish_from is None

    short = build_module(org["committee"], lessons=1, questions=3, per_attempt=3, publish_from=None)
    data = _module_post(short, questions_per_attempt=5, **publish)
    response = client.post(reverse("admin:courses_module_change", args=[short.pk]), data)
    assert response.status_code == 200
    assert _form_codes(response) == {"too_few_questions"}
    short.refresh_from_db()
    assert short.publish_from is None

    data = _module_post(short, questions_per_attempt=3, **publish)
    response = client.post(reverse("admin:courses_module_change", args=[short.pk]), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    short.refresh_from_db()
    assert short.publish_from is not None


def test_it_refuses_to_publish_an_empty_module_in_the_service(org):
    module = Module(
        year=2021,
        directive="X",
        title="Y",
        audience=org["committee"],
        questions_per_attempt=2,
        publish_from=timezone.now() - datetime.timedelta(days=1),
    )
    with pytest.raises(ValidationError):
        services.module_save(module=module)
    module.publish_from = None
    services.module_save(module=module)
    services.lesson_save(lesson=Lesson(module=module, title="Bài"))
    services.question_save(question=Question(module=module, text="Câu?"), choices=[("A", True), ("B", False)])
    module.publish_from = timezone.now()
    with pytest.raises(ValidationError):
        services.module_save(module=module)  # one question, two per attempt


def test_it_shows_the_real_number_of_questions_per_attempt(client_as, personas, org):
    module = build_module(org["committee"], questions=4, per_attempt=4)
    Module.objects.filter(pk=module.pk).update(questions_per_attempt=10)  # an older module, saved before the check
    response = client_as(personas["member_a"]).get(reverse("courses:module", args=[module.pk]))
    page = response.content.decode()
    assert "4 câu hỏi" in page and "10 câu hỏi" not in page
