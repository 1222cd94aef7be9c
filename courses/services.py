"""Every write of the courses app: authoring, reading, quizzes, certificates."""

import datetime
import random
import secrets
from collections.abc import Callable, Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from accounts.validators import normalize_full_name
from cells import permissions, tally
from cells.models import Membership, OrgUnit
from cells.permissions import ancestor_paths
from core.events import publish_on_commit, user_group
from core.markup import markdown_to_html, normalize
from courses import codes
from courses.models import (
    Attempt,
    Certificate,
    CertificateEvent,
    CertificateSigner,
    Choice,
    CourseReminder,
    Lesson,
    LessonDocument,
    LessonRead,
    Module,
    ModuleProgress,
    ModuleTally,
    Question,
)
from courses.validators import validate_pdf
from notifications.services import notification_send

# --- Authoring -------------------------------------------------------------------------------


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


# --- Studying --------------------------------------------------------------------------------


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
    progress.completed_at = timezone.now()
    progress.save(update_fields=["completed_at"])
    membership = Membership.objects.filter(user=user, ended_on__isnull=True).select_related("cell").first()
    if membership is not None and _in_audience(membership.cell, module):
        tally.bump(ModuleTally, membership.cell, [({"module_id": module.pk}, {"completed": 1})])
    # A membership ended, or moved outside the audience, mid-quiz: completed, no certificate.
    if module.certificate_enabled and membership is not None and _in_audience(membership.cell, module):
        certificate_issue(user=user, module=module)


# --- Certificates ----------------------------------------------------------------------------


def new_verification_code() -> str:
    return codes.new_code()  # 80 random bits, 16 readable characters (see courses.codes)


def _serial_prefix(module: Module) -> str:
    unit = module.issuing_unit
    code = unit.code
    if not code:
        first = OrgUnit.objects.filter(path__in=ancestor_paths(unit.path)).exclude(code="").order_by("-depth").first()
        code = first.code if first else "CB"
    return f"{code}-{module.year}"


def certificate_signer_save(*, signer: CertificateSigner, replaced: list | None = None) -> CertificateSigner:
    """Store who signs a committee's certificates (the caller checked
    permissions.can_manage_certificate_signers). Image files are already checked and
    re-encoded by the form (validators.clean_signer_image); files they replace are deleted
    once the change commits. Certificates already issued keep the signer they were issued with."""
    with transaction.atomic():
        signer.title = " ".join(normalize(signer.title).split()).upper()
        signer.name = normalize_full_name(signer.name)
        signer.save()
        names = [name for name in (replaced or []) if name]
        if names:
            storage = signer.signature.storage
            transaction.on_commit(lambda: [storage.delete(name) for name in names])
    return signer


def signer_for(unit_id: int | None) -> CertificateSigner | None:
    return CertificateSigner.objects.filter(unit_id=unit_id).first() if unit_id else None


def _current_certificate(user, module: Module) -> Certificate | None:
    return Certificate.objects.filter(user=user, module=module, is_current=True).first()


def _create_certificate(*, user, module: Module, cell, holder_name: str) -> Certificate:
    prefix = _serial_prefix(module)
    issuer = module.issuing_unit
    signer = signer_for(issuer.pk)
    superior = OrgUnit.objects.filter(path=issuer.path[: -OrgUnit.steplen]).first() if issuer.depth > 1 else None
    certificate = Certificate.objects.create(
        user=user,
        module=module,
        cell=cell,
        serial=f"{prefix}-tmp-{secrets.token_hex(8)}",
        code=new_verification_code(),
        holder_name=normalize(holder_name),
        module_title=module.title,
        directive=module.directive,
        issuer_name=issuer.name,
        superior_name=superior.name if superior else "",
        signer_title=signer.title if signer else "",
        signer_name=signer.name if signer else "",
        place=module.place,
        issued_on=timezone.localdate(),
    )
    # The row id makes the serial unique without a counter that two requests could race on.
    certificate.serial = f"{prefix}-{certificate.pk:06d}"
    Certificate.objects.filter(pk=certificate.pk).update(serial=certificate.serial)
    return certificate


# --- Counters for the reports (cells.tally) ---------------------------------------------------


def _completed_in_audience(membership: Membership) -> list[int]:
    """Modules the member completed whose audience includes the membership's cell. One query."""
    return list(
        ModuleProgress.objects.filter(
            user_id=membership.user_id,
            completed_at__isnull=False,
            module__audience__path__in=ancestor_paths(membership.cell.path),
        ).values_list("module_id", flat=True)
    )


def tally_member_joined(*, membership: Membership) -> None:
    """cells.hooks.on_member_joined: the member's completions count in the new cell."""
    changes = [({"module_id": pk}, {"completed": 1}) for pk in _completed_in_audience(membership)]
    tally.bump(ModuleTally, membership.cell, changes)


def tally_member_left(*, membership: Membership) -> None:
    """cells.hooks.on_member_left: the member's completions no longer count in the old cell."""
    changes = [({"module_id": pk}, {"completed": -1}) for pk in _completed_in_audience(membership)]
    tally.bump(ModuleTally, membership.cell, changes)


def tally_rebuild(module_id: int | None = None) -> int:
    """Recount ModuleTally (one module's rows, or all) from the completions of active members
    in the modules' audiences (manage.py recount_reports)."""
    from django.db.models import Count

    rows = ModuleProgress.objects.filter(
        completed_at__isnull=False,
        user__memberships__ended_on__isnull=True,
        user__memberships__cell__path__startswith=F("module__audience__path"),
    )
    if module_id is not None:
        rows = rows.filter(module_id=module_id)
    rows = rows.values("user__memberships__cell_id", "module_id").annotate(n=Count("id")).order_by()
    per_cell = {(row["user__memberships__cell_id"], (row["module_id"],)): {"completed": row["n"]} for row in rows}
    if module_id is None:
        return tally.rebuild(ModuleTally, per_cell, ("module_id",))
    return tally.rebuild(ModuleTally, per_cell, ("module_id",), only={"module_id": module_id})


def _in_audience(cell: OrgUnit, module: Module) -> bool:
    """The cell is the module's audience or inside its subtree."""
    return cell.path.startswith(module.audience.path)


def certificate_issue(*, user, module: Module, actor=None) -> Certificate:
    """Issue the member's certificate for the module, exactly once.

    Idempotent: an existing current certificate is returned. When two requests race past the
    check, the partial unique constraint refuses the second insert and it returns the first.
    """
    existing = _current_certificate(user, module)
    if existing is not None:
        return existing
    membership = Membership.objects.filter(user=user, ended_on__isnull=True).select_related("cell").first()
    if membership is None:
        raise ValidationError(_("Only members of a cell receive certificates."), code="no_cell")
    if not _in_audience(membership.cell, module):
        raise ValidationError(
            _("Only members of a cell in the module's audience receive its certificate."), code="outside_audience"
        )
    try:
        with transaction.atomic():
            certificate = _create_certificate(
                user=user, module=module, cell=membership.cell, holder_name=user.full_name
            )
            CertificateEvent.objects.create(certificate=certificate, actor=actor, action=CertificateEvent.Action.ISSUED)
    except IntegrityError:
        existing = _current_certificate(user, module)
        if existing is None:
            raise
        return existing
    publish_on_commit(user_group(user.pk), {"type": "certificate.issued", "id": certificate.pk})
    transaction.on_commit(lambda: _notify_issued(certificate))
    return certificate


def _notify(user, *, kind: str, message: Callable[[], str], url: str, email: bool) -> None:
    """Notify in the recipient's language, not the sender's: `message` is rendered under it."""
    with translation.override(user.language or "vi"):
        text = message()
    notification_send(user=user, kind=kind, message=text, url=url, email=email)


def _notify_issued(certificate: Certificate) -> None:
    _notify(
        certificate.user,
        kind="courses.certificate",
        message=lambda: _("Your certificate for “%(title)s” is ready.") % {"title": certificate.module_title},
        url=reverse("courses:certificates"),
        email=False,
    )


def certificate_revoke(*, certificate: Certificate, actor, reason: str) -> Certificate:
    reason = normalize(reason).strip()
    if not reason:
        raise ValidationError(_("Give a reason for revoking."), code="reason_required")
    with transaction.atomic():
        updated = Certificate.objects.filter(pk=certificate.pk, status=Certificate.Status.VALID).update(
            status=Certificate.Status.REVOKED, revoked_at=timezone.now(), revoked_reason=reason[:500]
        )
        if not updated:
            raise ValidationError(_("Only a valid certificate can be revoked."), code="not_valid")
        CertificateEvent.objects.create(
            certificate=certificate, actor=actor, action=CertificateEvent.Action.REVOKED, detail=reason[:500]
        )
        transaction.on_commit(lambda: _notify_revoked(certificate, reason[:500]))
    certificate.refresh_from_db()
    return certificate


def _notify_revoked(certificate: Certificate, reason: str) -> None:
    _notify(
        certificate.user,
        kind="courses.certificate",
        message=lambda: (
            _("Your certificate %(serial)s for “%(title)s” was revoked. Reason: %(reason)s")
            % {"serial": certificate.serial, "title": certificate.module_title, "reason": reason}
        ),
        url=reverse("courses:certificate", args=[certificate.pk]),
        email=True,
    )


def _notify_reissued(old: Certificate, new: Certificate) -> None:
    _notify(
        new.user,
        kind="courses.certificate",
        message=lambda: (
            _(
                "Your certificate %(old)s for “%(title)s” was replaced by a new one, %(new)s. "
                "Download the new certificate; the old one is no longer valid."
            )
            % {"old": old.serial, "new": new.serial, "title": new.module_title}
        ),
        url=reverse("courses:certificate", args=[new.pk]),
        email=True,
    )


def certificate_reissue(*, certificate: Certificate, actor, reason: str = "") -> Certificate:
    """A new certificate with the holder's current name; the old one shows as replaced."""
    with transaction.atomic():
        old = Certificate.objects.select_for_update().get(pk=certificate.pk)
        if not old.is_current or old.status != Certificate.Status.VALID:
            raise ValidationError(_("Only a valid, current certificate can be reissued."), code="not_current")
        Certificate.objects.filter(pk=old.pk).update(is_current=False, status=Certificate.Status.REPLACED)
        new = _create_certificate(user=old.user, module=old.module, cell=old.cell, holder_name=old.user.full_name)
        Certificate.objects.filter(pk=old.pk).update(replaced_by=new)
        detail = normalize(reason)[:300] or f"{old.holder_name} → {new.holder_name}"
        CertificateEvent.objects.create(
            certificate=old, actor=actor, action=CertificateEvent.Action.REISSUED, detail=f"{detail} ({new.serial})"
        )
        CertificateEvent.objects.create(certificate=new, actor=actor, action=CertificateEvent.Action.ISSUED)
        transaction.on_commit(lambda: _notify_reissued(old, new))
    return new


# --- Reminders -------------------------------------------------------------------------------


REMIND_EVERY = datetime.timedelta(hours=1)


class RemindTooSoon(ValidationError):
    """Reminders for this cell and module were sent less than an hour ago; `next_at` says when
    they may be sent again."""

    def __init__(self, message: str, next_at: datetime.datetime):
        super().__init__(message, code="too_soon")
        self.next_at = next_at


def reminders_next_at(*, cell: OrgUnit, module: Module) -> datetime.datetime | None:
    """When reminders for the cell and module may be sent again, or None if they may be now."""
    last = CourseReminder.objects.filter(cell=cell, module=module).values_list("created_at", flat=True).first()
    if last is None or timezone.now() >= last + REMIND_EVERY:
        return None
    return last + REMIND_EVERY


def reminders_send(*, actor, cell: OrgUnit, module: Module, client_key: str = "") -> int:
    """Remind every active member of the cell who has not completed the module, never the
    leader who sends it. Once an hour per cell and module (RemindTooSoon otherwise)."""
    if not permissions.can_view_cell_progress(actor, cell):
        raise PermissionDenied
    done = set(
        ModuleProgress.objects.filter(module=module, completed_at__isnull=False).values_list("user_id", flat=True)
    )
    members = [
        m.user
        for m in Membership.objects.filter(cell=cell, ended_on__isnull=True).select_related("user")
        if m.user_id not in done and m.user_id != actor.pk
    ]
    url = reverse("courses:module", args=[module.pk])

    def message() -> str:
        text = _("Reminder: please finish the study module “%(title)s”.") % {"title": module.title}
        if module.due_on:
            text += " " + _("Due %(date)s.") % {"date": module.due_on.strftime("%d/%m/%Y")}
        return text

    with transaction.atomic():
        OrgUnit.objects.select_for_update().filter(pk=cell.pk).first()  # one round at a time per cell
        if client_key and (done := CourseReminder.objects.filter(sent_by=actor, client_key=client_key).first()):
            return done.recipients  # this very click, sent again
        next_at = reminders_next_at(cell=cell, module=module)
        if next_at is not None:
            raise RemindTooSoon(
                _("Reminders were already sent in the last hour; they can be sent again after %(time)s.")
                % {"time": formats.time_format(timezone.localtime(next_at), "H:i")},
                next_at,
            )
        CourseReminder.objects.create(
            cell=cell, module=module, sent_by=actor, recipients=len(members), client_key=client_key
        )
        for user in members:
            _notify(user, kind="courses.reminder", message=message, url=url, email=True)
    return len(members)
