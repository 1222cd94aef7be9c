import datetime

import pytest
from django.utils import timezone

from courses import services
from courses.models import Choice, Lesson, Module, Question


def build_module(audience, *, lessons=2, questions=4, per_attempt=None, **fields) -> Module:
    """A published module: `questions` single-choice questions (choice 1 right) plus one multiple."""
    defaults = {
        "year": 2020,
        "directive": "Chỉ thị 05-CT/TW",
        "title": "Học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh",
        "audience": audience,
        "publish_from": timezone.now() - datetime.timedelta(days=1),
        "pass_mark": 75,
        "questions_per_attempt": per_attempt or questions,
    }
    defaults.update(fields)
    # Saved unpublished first: a module is published only once it has lessons and questions.
    publish_from = defaults.pop("publish_from")
    module = services.module_save(module=Module(**defaults))
    for index in range(lessons):
        services.lesson_save(
            lesson=Lesson(module=module, position=index + 1, title=f"Bài {index + 1}", body="**Nội dung**")
        )
    for index in range(questions):
        kind = Question.Kind.MULTIPLE if index == 0 else Question.Kind.SINGLE
        choices = [("Đúng", True), ("Sai", False), ("Cũng đúng" if index == 0 else "Sai nữa", index == 0)]
        services.question_save(
            question=Question(
                module=module, position=index + 1, kind=kind, text=f"Câu {index + 1}?", explanation="Vì."
            ),
            choices=choices,
        )
    if publish_from is not None:
        module.publish_from = publish_from
        services.module_save(module=module)
    return module


def right_answers(attempt) -> dict[int, list[int]]:
    answers = {}
    for qid in attempt.question_ids:
        answers[qid] = list(Choice.objects.filter(question_id=qid, is_correct=True).values_list("pk", flat=True))
    return answers


def wrong_answers(attempt) -> dict[int, list[int]]:
    answers = {}
    for qid in attempt.question_ids:
        answers[qid] = [Choice.objects.filter(question_id=qid, is_correct=False).values_list("pk", flat=True).first()]
    return answers


def complete(user, module):
    """Read every lesson and pass the quiz."""
    for lesson in module.lessons.all():
        services.lesson_mark_read(user=user, lesson=lesson)
    attempt = services.attempt_start(user=user, module=module)
    services.attempt_submit(user=user, attempt=attempt, answers=right_answers(attempt))
    return attempt


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    # Uploaded documents of a test go to its own directory, never into the checkout.
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def module(org):
    return build_module(org["committee"])
