"""Reads of the courses app that depend on who is asking. Query counts stay flat."""

import random
from dataclasses import dataclass, field

from django.db.models import Count, QuerySet
from django.http import Http404
from django.utils import timezone

from cells.models import Membership, OrgUnit
from cells.permissions import Roles
from courses import codes, permissions
from courses.models import (
    Attempt,
    Certificate,
    CertificateSigner,
    Choice,
    Lesson,
    LessonDocument,
    LessonRead,
    Module,
    ModuleProgress,
)

NOT_STARTED, IN_PROGRESS, COMPLETED = "not_started", "in_progress", "completed"


def modules_visible(roles: Roles) -> QuerySet[Module]:
    condition = permissions.modules_visible_q(roles)
    qs = Module.objects.select_related("audience", "issuer")
    return qs if condition is None else qs.filter(condition)


def progress_state(progress: ModuleProgress | None) -> str:
    if progress is None or (progress.lessons_read == 0 and progress.attempts == 0):
        return NOT_STARTED
    return COMPLETED if progress.completed_at else IN_PROGRESS


@dataclass
class ModuleRow:
    module: Module
    lesson_count: int
    progress: ModuleProgress | None
    certificate: Certificate | None
    state: str

    @property
    def overdue(self) -> bool:
        return self.state != COMPLETED and self.module.due_on is not None and self.module.due_on < timezone.localdate()


def member_modules(user, roles: Roles) -> list[ModuleRow]:
    """The modules this user sees, with their own state. Three queries whatever the number."""
    modules = list(modules_visible(roles).annotate(lesson_count=Count("lessons")).order_by("-year", "due_on", "title"))
    ids = [m.pk for m in modules]
    progress = {p.module_id: p for p in ModuleProgress.objects.filter(user=user, module_id__in=ids)}
    certificates = {c.module_id: c for c in Certificate.objects.filter(user=user, module_id__in=ids, is_current=True)}
    return [
        ModuleRow(m, m.lesson_count, progress.get(m.pk), certificates.get(m.pk), progress_state(progress.get(m.pk)))
        for m in modules
    ]


def get_module_or_404(user, pk: int, roles: Roles) -> Module:
    module = Module.objects.select_related("audience", "issuer").filter(pk=pk).first()
    if module is None or not permissions.can_view_module(user, module, roles):
        raise Http404
    return module


def module_lessons(module: Module, user) -> list[Lesson]:
    """Lessons in order with `is_read` for this user and their documents."""
    lessons = list(module.lessons.prefetch_related("documents"))
    read = set(LessonRead.objects.filter(user=user, lesson__module=module).values_list("lesson_id", flat=True))
    for lesson in lessons:
        lesson.is_read = lesson.pk in read
    return lessons


def get_lesson_or_404(user, pk: int, roles: Roles) -> Lesson:
    lesson = Lesson.objects.select_related("module__audience").filter(pk=pk).first()
    if lesson is None or not permissions.can_view_module(user, lesson.module, roles):
        raise Http404
    return lesson


def get_document_or_404(user, pk: int, roles: Roles) -> LessonDocument:
    document = LessonDocument.objects.select_related("lesson__module__audience").filter(pk=pk).first()
    if document is None or not permissions.can_view_module(user, document.lesson.module, roles):
        raise Http404
    return document


def get_attempt_or_404(user, pk: int) -> Attempt:
    attempt = Attempt.objects.select_related("module__audience").filter(pk=pk).first()
    if attempt is None or not permissions.can_view_attempt(user, attempt):
        raise Http404
    return attempt


def module_attempts(user, module: Module) -> list[Attempt]:
    return list(Attempt.objects.filter(user=user, module=module).order_by("number"))


@dataclass
class AttemptQuestion:
    question: object
    choices: list[Choice]
    chosen: set[int] = field(default_factory=set)
    correct: bool | None = None


def attempt_questions(attempt: Attempt) -> list[AttemptQuestion]:
    """The attempt's drawn questions in their drawn order, with choices; two queries."""
    from courses.models import Question

    by_id = {q.pk: q for q in Question.objects.filter(pk__in=attempt.question_ids).prefetch_related("choices")}
    rows = []
    for qid in attempt.question_ids:
        question = by_id.get(qid)
        if question is None:
            continue
        choices = list(question.choices.all())
        # Choices in an order of this attempt's own, the same on every reload of it.
        random.Random(f"{attempt.pk}:{qid}").shuffle(choices)
        chosen = set(attempt.answers.get(str(qid), []))  # graded, or saved so far (open)
        correct = None
        if attempt.is_graded:
            correct = bool(chosen) and chosen == {c.pk for c in choices if c.is_correct}
        rows.append(AttemptQuestion(question, choices, chosen, correct))
    return rows


# --- Certificates ----------------------------------------------------------------------------


def member_certificates(user) -> list[Certificate]:
    return list(Certificate.objects.filter(user=user).select_related("replaced_by").order_by("-issued_on", "-id"))


def get_certificate_or_404(user, pk: int, roles: Roles) -> Certificate:
    certificate = (
        Certificate.objects.select_related("cell", "module__audience", "module__issuer", "replaced_by", "user")
        .filter(pk=pk)
        .first()
    )
    if certificate is None or not permissions.can_view_certificate(user, certificate, roles):
        raise Http404
    return certificate


def signer_or_none(pk: int) -> CertificateSigner | None:
    return CertificateSigner.objects.select_related("unit").filter(pk=pk).first()


def certificate_by_code(code: str) -> Certificate | None:
    """The certificate a typed, scanned or linked code stands for (see courses.codes), or None;
    input that cannot be a code (NUL bytes, too long, foreign letters) never reaches the database."""
    found = codes.candidates(code)
    if not found:
        return None
    by_code = {c.code: c for c in Certificate.objects.select_related("replaced_by", "user").filter(code__in=found)}
    return next((by_code[c] for c in found if c in by_code), None)


def cell_certificates(cell: OrgUnit) -> list[Certificate]:
    """Valid current certificates issued in this cell (what the secretary's ZIP holds)."""
    return list(
        Certificate.objects.filter(cell=cell, is_current=True, status=Certificate.Status.VALID).order_by(
            "module_id", "holder_name"
        )
    )


# --- Tracking --------------------------------------------------------------------------------


def _started() -> dict:
    """Modules whose publication has begun (still tracked after it ends)."""
    return {"publish_from__lte": timezone.now()}


def modules_for_unit(unit: OrgUnit, year: int | None = None) -> list[Module]:
    """Published modules whose audience contains this unit (published to it or above it), of
    one year or of all, newest year first, then by title."""
    modules = Module.objects.filter(audience__path__in=permissions.ancestor_paths(unit.path), **_started())
    if year is not None:
        modules = modules.filter(year=year)
    modules = modules.select_related("audience").annotate(lesson_count=Count("lessons"))
    return list(modules.order_by("-year", "title", "id"))


@dataclass
class ProgressCell:
    lesson_total: int = 0
    lessons_read: int = 0
    attempts: int = 0
    best_score: int | None = None
    passed: bool = False
    completed: bool = False
    certificate: Certificate | None = None


@dataclass
class MemberRow:
    membership: Membership
    cells: list[ProgressCell]

    @property
    def finished_all(self) -> bool:
        return all(c.completed for c in self.cells)


def cell_progress(cell: OrgUnit) -> tuple[list[Module], list[MemberRow]]:
    """Members x modules for one cell. Four queries whatever the number of members and modules."""
    modules = modules_for_unit(cell)
    members = list(Membership.objects.filter(cell=cell, ended_on__isnull=True).select_related("user"))
    members.sort(key=lambda m: m.user.sort_name)
    progress = progress_for([m.user_id for m in members], modules)
    return modules, [MemberRow(membership, progress[membership.user_id]) for membership in members]


def progress_for(user_ids: list[int], modules: list[Module]) -> dict[int, list[ProgressCell]]:
    """{user id: one ProgressCell per module, in the order of `modules`} for every user given
    (`modules` as modules_for_unit gives them, with `lesson_count`). Two queries whatever the
    number of users and modules; only the columns shown are read."""
    module_ids = [m.pk for m in modules]
    progress = {
        (user_id, module_id): rest
        for user_id, module_id, *rest in ModuleProgress.objects.filter(user_id__in=user_ids, module_id__in=module_ids)
        .order_by()
        .values_list("user_id", "module_id", "lessons_read", "attempts", "best_score", "passed_at", "completed_at")
    }
    certificates = {
        (c.user_id, c.module_id): c
        for c in Certificate.objects.filter(user_id__in=user_ids, module_id__in=module_ids, is_current=True)
        .only("id", "user_id", "module_id", "serial")
        .order_by()
    }
    out = {}
    for user_id in user_ids:
        cells = []
        for module in modules:
            p = progress.get((user_id, module.pk))
            cells.append(
                ProgressCell(
                    lesson_total=module.lesson_count,
                    lessons_read=p[0] if p else 0,
                    attempts=p[1] if p else 0,
                    best_score=p[2] if p else None,
                    passed=bool(p and p[3]),
                    completed=bool(p and p[4]),
                    certificate=certificates.get((user_id, module.pk)),
                )
            )
        out[user_id] = cells
    return out


# --- For the reports app ---------------------------------------------------------------------


def modules_for_subtree(unit: OrgUnit, year: int) -> list[Module]:
    """Published modules of the year studied in the unit or anything under it. One query."""
    from django.db.models import Q

    return list(
        Module.objects.filter(year=year, **_started())
        .filter(Q(audience__path__in=permissions.ancestor_paths(unit.path)) | Q(audience__path__startswith=unit.path))
        .select_related("audience")
        .annotate(lesson_count=Count("lessons"))
        .order_by("audience__path", "title", "id")
    )


def module_years_for_unit(unit: OrgUnit) -> set[int]:
    from django.db.models import Q

    qs = Module.objects.filter(**_started()).filter(
        Q(audience__path__in=permissions.ancestor_paths(unit.path)) | Q(audience__path__startswith=unit.path)
    )
    return set(qs.values_list("year", flat=True).distinct())


def module_tallies(unit_ids: list[int], module_ids: list[int]) -> dict[tuple[int, int], int]:
    """{(unit id, module id): active members under the unit, in the module's audience, who
    completed it}, from the counters courses.services keeps (ModuleTally). One query."""
    from courses.models import ModuleTally

    rows = ModuleTally.objects.filter(unit_id__in=unit_ids, module_id__in=module_ids)
    return {(unit_id, module_id): n for unit_id, module_id, n in rows.values_list("unit_id", "module_id", "completed")}
