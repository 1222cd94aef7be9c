"""Authoring: modules, lessons, documents and questions (locked once a module has attempts)."""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core.markup import markdown_to_html, normalize
from courses.models import (
    Attempt,
    Choice,
    Lesson,
    LessonDocument,
    Module,
    Question,
)
from courses.services.tallies import tally_rebuild
from courses.validators import validate_pdf


def module_has_attempts(module_id: int) -> bool:
    return Attempt.objects.filter(module_id=module_id).exists()


def module_publish_errors(*, module: Module, lesson_count: int, question_count: int) -> list[ValidationError]:
    """Why a module may not be published yet: no lessons, or fewer questions than one attempt draws."""
    errors = []
    if lesson_count == 0:
        errors.append(
            ValidationError(
                _(
                    "This module has no lessons yet, so it cannot be published. Leave the publication date "
                    "empty, save, add the lessons, then publish."
                ),
                code="no_lessons",
            )
        )
    if question_count < module.questions_per_attempt:
        errors.append(
            ValidationError(
                _(
                    "Each attempt draws %(per_attempt)s questions but the module has only %(count)s. Add "
                    "questions or lower “questions per attempt” before publishing."
                )
                % {"per_attempt": module.questions_per_attempt, "count": question_count},
                code="too_few_questions",
            )
        )
    return errors


def module_check_publishable(*, module: Module) -> None:
    """Refuse a publication date on a module members could not study or be quizzed on."""
    if module.publish_from is None:
        return
    lessons = module.lessons.count() if module.pk else 0
    questions = module.questions.count() if module.pk else 0
    errors = module_publish_errors(module=module, lesson_count=lessons, question_count=questions)
    if errors:
        raise ValidationError({"publish_from": errors})


def module_save(*, module: Module, actor=None) -> Module:
    """Create or update a module; renders its summary once. Published only with lessons and questions."""
    module_check_publishable(module=module)
    module.summary = normalize(module.summary)
    module.summary_html = markdown_to_html(module.summary) if module.summary else ""
    if module.pk is None and actor is not None:
        module.created_by = actor
    with transaction.atomic():
        audience_before = None
        if module.pk is not None:
            audience_before = Module.objects.filter(pk=module.pk).values_list("audience_id", flat=True).first()
        module.save()
        if audience_before is not None and audience_before != module.audience_id:
            tally_rebuild(module_id=module.pk)  # other members count now (rare: an author's fix)
    return module


def lesson_save(*, lesson: Lesson) -> Lesson:
    lesson.body = normalize(lesson.body)
    lesson.body_html = markdown_to_html(lesson.body) if lesson.body else ""
    with transaction.atomic():
        lesson.save()
    return lesson


def document_add(*, lesson: Lesson, title: str, file) -> LessonDocument:
    validate_pdf(file)
    with transaction.atomic():
        return LessonDocument.objects.create(lesson=lesson, title=normalize(title), file=file)


class QuestionsLocked(ValidationError):
    pass


def questions_locked_message() -> str:
    return _(
        "Members have already taken this module's quiz, so its questions cannot be changed. "
        "Make a new version of the module (the copy action) and change that instead."
    )


def question_check_unlocked(*, module_id: int) -> None:
    """Refuse to change a quiz under members who have already taken it."""
    if module_has_attempts(module_id):
        raise QuestionsLocked(questions_locked_message(), code="questions_locked")


def question_choice_errors(*, kind: str, correct_count: int) -> list[ValidationError]:
    """A question must have a right answer, and a single-choice question exactly one."""
    if correct_count == 0:
        return [
            ValidationError(
                _("Mark at least one answer as correct: nobody could answer this question right."),
                code="no_correct_choice",
            )
        ]
    if kind == Question.Kind.SINGLE and correct_count > 1:
        return [
            ValidationError(
                _(
                    "A single-choice question has exactly one correct answer. Untick the others, or make "
                    "it a multiple-choice question."
                ),
                code="too_many_correct",
            )
        ]
    return []


def question_save(*, question: Question, choices: Iterable[tuple[str, bool]] | None = None) -> Question:
    """Create or update a question (and replace its choices when given); refused once attempted
    and when the choices have no right answer (or several for a single-choice question)."""
    if choices is not None:
        choices = list(choices)
        errors = question_choice_errors(kind=question.kind, correct_count=sum(1 for _t, right in choices if right))
        if errors:
            raise ValidationError(errors)
    with transaction.atomic():
        question_check_unlocked(module_id=question.module_id)
        question.text = normalize(question.text)
        question.explanation = normalize(question.explanation)
        question.save()
        if choices is not None:
            question.choices.all().delete()
            Choice.objects.bulk_create(
                Choice(question=question, position=index, text=normalize(text), is_correct=correct)
                for index, (text, correct) in enumerate(choices, start=1)
            )
    return question


def module_copy(*, module: Module, actor=None) -> Module:
    """A new version of a module: same lessons, documents and questions, no attempts, unpublished."""
    with transaction.atomic():
        lessons = list(module.lessons.prefetch_related("documents"))
        questions = list(module.questions.prefetch_related("choices"))
        copy = Module.objects.get(pk=module.pk)
        copy.pk = None
        suffix = _("new version")
        copy.title = f"{module.title} ({suffix})"[:300]
        copy.publish_from = None
        copy.created_by = actor
        copy.save()
        for lesson in lessons:
            documents = list(lesson.documents.all())
            lesson.pk = None
            lesson.module = copy
            lesson.save()
            for document in documents:
                document.pk = None
                document.lesson = lesson
                document.save()
        for question in questions:
            choices = list(question.choices.all())
            question.pk = None
            question.module = copy
            question.save()
            Choice.objects.bulk_create(
                Choice(question=question, position=c.position, text=c.text, is_correct=c.is_correct) for c in choices
            )
    return copy
