"""Studying: reading lessons, the quiz attempts, and completing a module."""

import random

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from cells import tally
from cells.models import Membership
from courses.models import (
    Attempt,
    Lesson,
    LessonRead,
    Module,
    ModuleProgress,
    ModuleTally,
    Question,
)
from courses.services.certificates import _in_audience, certificate_issue


def _progress(user, module: Module) -> ModuleProgress:
    progress, _created = ModuleProgress.objects.get_or_create(user=user, module=module)
    return progress


def _locked_progress(user, module: Module) -> ModuleProgress:
    """The member's progress row, locked until the transaction ends (call inside atomic).

    lesson_mark_read and attempt_submit each complete the module from what the other wrote:
    without the lock, a last lesson read and a passing submission at the same moment each see
    the other's old values and neither completes (PostgreSQL, READ COMMITTED).
    """
    pk = _progress(user, module).pk
    return ModuleProgress.objects.select_for_update().get(pk=pk)


def lesson_mark_read(*, user, lesson: Lesson) -> ModuleProgress:
    """Mark a lesson read (idempotent), update the member's progress, issue when complete."""
    module = lesson.module
    with transaction.atomic():
        LessonRead.objects.get_or_create(user=user, lesson=lesson)
        progress = _locked_progress(user, module)  # read after the lock: sees a submission just committed
        progress.lessons_read = LessonRead.objects.filter(user=user, lesson__module=module).count()
        progress.save(update_fields=["lessons_read"])
        _complete_if_done(user=user, module=module, progress=progress)
    return progress


class QuizRefused(ValidationError):
    pass


def attempt_start(*, user, module: Module, rng: random.Random | None = None, client_key: str = "") -> Attempt:
    """The member's open attempt, or a new one with questions drawn at random.

    Refused when the module's attempts are used up or the member has already passed. The same
    Start sent again (`client_key`, core.idempotency) returns the attempt it started, even one
    submitted meanwhile: a late retry never uses up another attempt.
    """

    def started() -> Attempt | None:
        return Attempt.objects.filter(user=user, start_key=client_key).first() if client_key else None

    with transaction.atomic():
        if attempt := started():
            return attempt
        open_attempt = Attempt.objects.filter(user=user, module=module, submitted_at__isnull=True).first()
        if open_attempt is not None:
            return open_attempt
        progress = _progress(user, module)
        if progress.passed_at is not None:
            raise QuizRefused(_("You have already passed this quiz."), code="passed")
        done = Attempt.objects.filter(user=user, module=module).count()
        if module.attempts_allowed and done >= module.attempts_allowed:
            raise QuizRefused(_("You have used all the attempts this quiz allows."), code="no_attempts_left")
        pool = list(Question.objects.filter(module=module).values_list("pk", flat=True))
        if not pool:
            raise QuizRefused(_("This quiz has no questions yet."), code="empty")
        drawn = (rng or random.SystemRandom()).sample(pool, min(module.questions_per_attempt, len(pool)))
        try:
            with transaction.atomic():
                return Attempt.objects.create(
                    user=user, module=module, number=done + 1, question_ids=drawn, start_key=client_key
                )
        except IntegrityError:
            # A second click started one at the same moment: use that one.
            return started() or Attempt.objects.get(user=user, module=module, submitted_at__isnull=True)


class AnswerRefused(ValidationError):
    pass


def _clean_answers(attempt: Attempt, answers: dict[int, list[int]]) -> tuple[dict[str, list[int]], int]:
    """Check every submitted value belongs to this attempt; return stored answers and correct count."""
    questions = {q.pk: q for q in Question.objects.filter(pk__in=attempt.question_ids).prefetch_related("choices")}
    extra = set(answers) - set(attempt.question_ids)
    if extra:
        raise AnswerRefused(_("The answers do not match this attempt's questions."), code="foreign_question")
    stored: dict[str, list[int]] = {}
    correct = 0
    for qid in attempt.question_ids:
        question = questions.get(qid)
        chosen = sorted(set(answers.get(qid, [])))
        if question is None:  # deleted since the draw (only possible for admins): counts as wrong
            stored[str(qid)] = chosen
            continue
        own = {c.pk for c in question.choices.all()}
        if not set(chosen) <= own:
            raise AnswerRefused(_("An answer does not belong to its question."), code="foreign_choice")
        if question.kind == Question.Kind.SINGLE and len(chosen) > 1:
            raise AnswerRefused(_("A single-choice question takes one answer."), code="too_many")
        stored[str(qid)] = chosen
        right = {c.pk for c in question.choices.all() if c.is_correct}
        if chosen and set(chosen) == right:
            correct += 1
    return stored, correct


def attempt_answers_save(*, user, attempt: Attempt, answers: dict[int, list[int]]) -> bool:
    """Store the answers chosen so far in an open attempt (the whole form, as it stands), so a
    reload or a dropped connection keeps them. Sent again, it stores the same: idempotent.
    Returns False, storing nothing, when the attempt has been graded meanwhile."""
    if attempt.user_id != user.pk:
        raise AnswerRefused(_("This is not your attempt."), code="foreign_attempt")
    stored, _correct = _clean_answers(attempt, answers)
    # Conditional: a save that arrives after the submission never touches the graded answers.
    updated = Attempt.objects.filter(pk=attempt.pk, submitted_at__isnull=True).update(answers=stored)
    if updated:
        attempt.answers = stored
    return bool(updated)


def attempt_submit(
    *, user, attempt: Attempt, answers: dict[int, list[int]], client_key: str = ""
) -> tuple[Attempt, bool]:
    """Grade an open attempt on the server. Returns (attempt, graded_by_this_submission).

    A second submission of the same attempt (double click, back button, another tab) changes
    nothing: the conditional UPDATE lets exactly one submission through, and the attempt counts
    once. The one that got through is recognised by its idempotency key (`client_key`,
    core.idempotency): sent again, it is answered as it was the first time (True); any other
    submission gets False (the view says the attempt had already been submitted).
    """
    if attempt.user_id != user.pk:
        raise AnswerRefused(_("This is not your attempt."), code="foreign_attempt")
    if attempt.is_graded:
        return attempt, bool(client_key) and attempt.submit_key == client_key
    stored, correct = _clean_answers(attempt, answers)
    total = len(attempt.question_ids) or 1
    score = round(100 * correct / total)
    module = attempt.module
    passed = score >= module.pass_mark
    now = timezone.now()
    with transaction.atomic():
        updated = Attempt.objects.filter(pk=attempt.pk, submitted_at__isnull=True).update(
            answers=stored, correct=correct, score=score, passed=passed, submitted_at=now, submit_key=client_key
        )
        attempt.refresh_from_db()
        if not updated:
            return attempt, bool(client_key) and attempt.submit_key == client_key
        progress = _locked_progress(user, module)  # read after the lock: sees a lesson read just committed
        ModuleProgress.objects.filter(pk=progress.pk).update(attempts=F("attempts") + 1)
        progress.refresh_from_db()
        if progress.best_score is None or score > progress.best_score:
            progress.best_score = score
        if passed and progress.passed_at is None:
            progress.passed_at = now
        progress.save(update_fields=["best_score", "passed_at"])
        _complete_if_done(user=user, module=module, progress=progress)
    return attempt, True


def _complete_if_done(*, user, module: Module, progress: ModuleProgress) -> None:
    if progress.completed_at is not None or progress.passed_at is None:
        return
    if progress.lessons_read < module.lessons.count():
        return
    tally.hold_member(user.pk)  # the membership read below cannot end or move until commit
    progress.completed_at = timezone.now()
    progress.save(update_fields=["completed_at"])
    membership = Membership.objects.filter(user=user, ended_on__isnull=True).select_related("cell").first()
    if membership is not None and _in_audience(membership.cell, module):
        tally.bump(ModuleTally, membership.cell, [({"module_id": module.pk}, {"completed": 1})])
    # A membership ended, or moved outside the audience, mid-quiz: completed, no certificate.
    if module.certificate_enabled and membership is not None and _in_audience(membership.cell, module):
        certificate_issue(user=user, module=module)
