from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from cells import report_links
from cells.models import OrgUnit
from core import ratelimit
from core.filenames import content_disposition, safe_filename
from core.idempotency import posted_key
from core.params import int_param
from courses import pdf, permissions, selectors, services
from courses.forms import ReissueForm, RevokeForm, VerifyForm
from courses.models import Certificate

VERIFY_LIMIT = 30  # look-ups per IP per window
VERIFY_WINDOW = 60  # seconds


@login_required
def module_list(request: HttpRequest) -> HttpResponse:
    roles = permissions.roles_for_request(request)
    rows = selectors.member_modules(request.user, roles)
    context = {
        "rows": rows,
        "roles": roles,
        "can_open_progress": permissions.can_open_progress(request.user, roles),
        "can_add_module": permissions.can_add_module_in_admin(request.user, roles),
    }
    return render(request, "courses/module_list.html", context)


@login_required
def module_detail(request: HttpRequest, pk: int) -> HttpResponse:
    roles = permissions.roles_for_request(request)
    module = selectors.get_module_or_404(request.user, pk, roles)
    lessons = selectors.module_lessons(module, request.user)
    attempts = selectors.module_attempts(request.user, module)
    context = {
        "module": module,
        "lessons": lessons,
        "read_count": sum(1 for lesson in lessons if lesson.is_read),
        # Titles like "Bài 1. …" carry their own number: list them without a second one.
        "numbered_titles": any(lesson.numbered_in_title for lesson in lessons),
        "attempts": attempts,
        "open_attempt": next((a for a in attempts if not a.is_graded), None),
        "passed": any(a.passed for a in attempts),
        "attempts_left": (module.attempts_allowed - len(attempts)) if module.attempts_allowed else None,
        "can_study": permissions.can_study_module(request.user, module, roles),
        "can_author": permissions.can_author_module(request.user, module, roles),
        "certificate": Certificate.objects.filter(user=request.user, module=module, is_current=True).first(),
        # "Save for offline use" stores these in the browser (core/pwa.py): the module, its lessons, their PDFs.
        "offline_urls": " ".join(
            [reverse("courses:module", args=[module.pk])]
            + [reverse("courses:lesson", args=[lesson.pk]) for lesson in lessons]
            + [reverse("courses:document", args=[doc.pk]) for lesson in lessons for doc in lesson.documents.all()]
        ),
        # What an attempt really draws: never more than the bank holds.
        "questions_per_attempt": min(module.questions_per_attempt, module.questions.count()),
    }
    return render(request, "courses/module_detail.html", context)


@login_required
def lesson_detail(request: HttpRequest, pk: int) -> HttpResponse:
    roles = permissions.roles_for_request(request)
    lesson = selectors.get_lesson_or_404(request.user, pk, roles)
    lessons = selectors.module_lessons(lesson.module, request.user)
    index = next(i for i, item in enumerate(lessons) if item.pk == lesson.pk)
    current = lessons[index]
    context = {
        "module": lesson.module,
        "lesson": current,
        "position": index + 1,
        "total": len(lessons),
        "read_count": sum(1 for item in lessons if item.is_read),
        "previous": lessons[index - 1] if index > 0 else None,
        "next": lessons[index + 1] if index + 1 < len(lessons) else None,
        "can_study": permissions.can_study_module(request.user, lesson.module, roles),
    }
    return render(request, "courses/lesson_detail.html", context)


@login_required
@require_POST
def lesson_read(request: HttpRequest, pk: int) -> HttpResponse:
    roles = permissions.roles_for_request(request)
    lesson = selectors.get_lesson_or_404(request.user, pk, roles)
    permissions.require(permissions.can_study_module(request.user, lesson.module, roles))
    progress = services.lesson_mark_read(user=request.user, lesson=lesson)
    if request.headers.get("X-Requested-With") == "fetch":
        return HttpResponse(str(progress.lessons_read), content_type="text/plain")
    following = lesson.module.lessons.filter(position__gt=lesson.position).first()
    if request.POST.get("next") == "1" and following is not None:
        return redirect("courses:lesson", pk=following.pk)
    messages.success(request, _("Lesson marked as read."))
    return redirect("courses:module", pk=lesson.module_id)


@login_required
def document_download(request: HttpRequest, pk: int) -> FileResponse:
    roles = permissions.roles_for_request(request)
    document = selectors.get_document_or_404(request.user, pk, roles)
    try:
        handle = document.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, content_type="application/pdf")
    # The title keeps its Vietnamese letters; "/" (as in "05-CT/TW") would cut it in the browser.
    response["Content-Disposition"] = content_disposition(f"{safe_filename(document.title)}.pdf")
    return response


@login_required
@require_POST
def quiz_start(request: HttpRequest, pk: int) -> HttpResponse:
    roles = permissions.roles_for_request(request)
    module = selectors.get_module_or_404(request.user, pk, roles)
    permissions.require(permissions.can_study_module(request.user, module, roles))
    try:
        attempt = services.attempt_start(user=request.user, module=module, client_key=posted_key(request))
    except services.QuizRefused as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("courses:module", pk=module.pk)
    return redirect("courses:attempt", pk=attempt.pk)


def _parse_answers(request: HttpRequest, question_ids: list[int]) -> dict[int, list[int]] | None:
    """Form fields q<question id> -> choice ids. None when a value is not an id at all."""
    answers: dict[int, list[int]] = {}
    for key in request.POST:
        if not key.startswith("q"):
            continue
        qid = int_param(key[1:])
        choices = [int_param(value) for value in request.POST.getlist(key)]
        if qid is None or None in choices:
            return None
        answers[qid] = choices
    return answers


def _unanswered(question_ids: list[int], answers: dict[int, list[int]]) -> int:
    return sum(1 for qid in question_ids if not answers.get(qid))


@login_required
def attempt_detail(request: HttpRequest, pk: int) -> HttpResponse:
    attempt = selectors.get_attempt_or_404(request.user, pk)
    module = attempt.module
    questions = None
    unanswered = 0
    if request.method == "POST":
        # Moved out of the audience or past publish_until: the module is hidden (404) or no
        # longer studied (403); an attempt left open then must not be graded nor certified.
        roles = permissions.roles_for_request(request)
        if not permissions.can_view_module(request.user, module, roles):
            raise Http404
        permissions.require(permissions.can_study_module(request.user, module, roles))
        answers = _parse_answers(request, attempt.question_ids)
        if answers is None:
            return HttpResponseBadRequest(_("The form was not understood."))
        unanswered = _unanswered(attempt.question_ids, answers) if not attempt.is_graded else 0
        if unanswered and request.POST.get("confirm_unanswered") != "1":
            # Shown again with what was chosen, so the member can finish or submit anyway.
            questions = selectors.attempt_questions(attempt)
            for item in questions:
                item.chosen = set(answers.get(item.question.pk, []))
        else:
            try:
                attempt, graded_now = services.attempt_submit(
                    user=request.user, attempt=attempt, answers=answers, client_key=posted_key(request)
                )
            except services.AnswerRefused as exc:
                messages.error(request, " ".join(exc.messages))
                return redirect("courses:attempt", pk=attempt.pk)
            if not graded_now:
                messages.info(request, _("This attempt had already been submitted; it was graded once."))
            return redirect("courses:attempt", pk=attempt.pk)
    if questions is None:
        questions = selectors.attempt_questions(attempt)
    context = {
        "attempt": attempt,
        "module": module,
        "questions": questions,
        "unanswered": unanswered,
        "show_review": attempt.is_graded and module.show_answers,
        "reveal_answers": False,
        "can_retry": False,
        "certificate": None,
    }
    if attempt.is_graded:
        attempts = selectors.module_attempts(attempt.user, module)
        passed = any(a.passed for a in attempts)
        attempts_left = module.attempts_allowed == 0 or len(attempts) < module.attempts_allowed
        roles = permissions.roles_for_request(request)
        context.update(
            {
                # The key (right answers, explanations) only once it can no longer help a retry.
                "reveal_answers": module.show_answers and (passed or not attempts_left),
                "can_retry": attempt.user_id == request.user.pk
                and not passed
                and attempts_left
                and permissions.can_study_module(request.user, module, roles),
                "certificate": Certificate.objects.filter(user=request.user, module=module, is_current=True).first(),
            }
        )
    return render(request, "courses/attempt_detail.html", context)


@login_required
@require_POST
def attempt_answers(request: HttpRequest, pk: int) -> HttpResponse:
    """Store the answers chosen so far: in the background on every change (courses.js), or by
    the "Save answers" button without JavaScript (then back to the quiz)."""
    attempt = selectors.get_attempt_or_404(request.user, pk)
    roles = permissions.roles_for_request(request)
    if not permissions.can_view_module(request.user, attempt.module, roles):
        raise Http404
    permissions.require(permissions.can_study_module(request.user, attempt.module, roles))
    background = request.headers.get("X-Requested-With") == "fetch"
    answers = _parse_answers(request, attempt.question_ids)
    try:
        if answers is None:
            raise services.AnswerRefused(_("The form was not understood."))
        saved = services.attempt_answers_save(user=request.user, attempt=attempt, answers=answers)
    except services.AnswerRefused as exc:
        if background:
            return HttpResponseBadRequest(" ".join(exc.messages), content_type="text/plain; charset=utf-8")
        messages.error(request, " ".join(exc.messages))
        return redirect("courses:attempt", pk=attempt.pk)
    if background:
        return HttpResponse(status=204 if saved else 409)
    if saved:
        messages.success(request, _("Your answers are saved."))
    else:
        messages.info(request, _("This attempt had already been submitted; it was graded once."))
    return redirect("courses:attempt", pk=attempt.pk)


# --- Certificates ----------------------------------------------------------------------------


@login_required
def certificate_list(request: HttpRequest) -> HttpResponse:
    return render(
        request, "courses/certificate_list.html", {"certificates": selectors.member_certificates(request.user)}
    )


def _certificate_page(request: HttpRequest, certificate, roles, *, revoke_form=None, status: int = 200):
    can_revoke = permissions.can_revoke_certificate(request.user, certificate, roles)
    context = {
        "certificate": certificate,
        "can_revoke": can_revoke,
        "events": certificate.events.select_related("actor") if can_revoke else [],
        "revoke_form": revoke_form or RevokeForm(prefix="revoke"),
        "reissue_form": ReissueForm(prefix="reissue"),
        "verify_url": pdf.verification_url(certificate.code),
    }
    return render(request, "courses/certificate_detail.html", context, status=status)


@login_required
def certificate_detail(request: HttpRequest, pk: int) -> HttpResponse:
    roles = permissions.roles_for_request(request)
    certificate = selectors.get_certificate_or_404(request.user, pk, roles)
    return _certificate_page(request, certificate, roles)


@login_required
def certificate_download(request: HttpRequest, pk: int) -> HttpResponse:
    roles = permissions.roles_for_request(request)
    certificate = selectors.get_certificate_or_404(request.user, pk, roles)
    response = HttpResponse(pdf.certificate_pdf(certificate), content_type="application/pdf")
    response["Content-Disposition"] = content_disposition(pdf.certificate_filename(certificate))
    return response


@login_required
@require_POST
def certificate_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    roles = permissions.roles_for_request(request)
    certificate = selectors.get_certificate_or_404(request.user, pk, roles)
    permissions.require(permissions.can_revoke_certificate(request.user, certificate, roles))
    form = RevokeForm(request.POST, prefix="revoke")
    if form.is_valid():
        try:
            services.certificate_revoke(certificate=certificate, actor=request.user, reason=form.cleaned_data["reason"])
            messages.success(request, _("The certificate was revoked."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    else:
        # Shown again with what was typed and the errors by their fields.
        return _certificate_page(request, certificate, roles, revoke_form=form, status=400)
    return redirect("courses:certificate", pk=certificate.pk)


@login_required
@require_POST
def certificate_reissue(request: HttpRequest, pk: int) -> HttpResponse:
    roles = permissions.roles_for_request(request)
    certificate = selectors.get_certificate_or_404(request.user, pk, roles)
    permissions.require(permissions.can_revoke_certificate(request.user, certificate, roles))
    form = ReissueForm(request.POST, prefix="reissue")
    form.is_valid()
    try:
        new = services.certificate_reissue(
            certificate=certificate, actor=request.user, reason=form.cleaned_data.get("reason", "")
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("courses:certificate", pk=certificate.pk)
    messages.success(request, _("A new certificate was issued; the old one now shows as replaced."))
    return redirect("courses:certificate", pk=new.pk)


@login_required
def signer_image(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """A committee's scanned signature or seal, for those who may see it (cells.permissions);
    404 for everyone else, as for anything they may not see. Never cached by the browser."""
    signer = selectors.signer_or_none(pk)
    roles = permissions.roles_for_request(request)
    if signer is None or kind not in ("signature", "seal"):
        raise Http404
    if not permissions.can_view_signer_images(request.user, signer.unit, roles):
        raise Http404
    image = getattr(signer, kind)
    if not image:
        raise Http404
    response = FileResponse(image.open("rb"), content_type="image/png")
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    return response


def _client_ip(request: HttpRequest) -> str:
    # REMOTE_ADDR: the client's address as the trusted proxies vouch for it
    # (core.middleware.ClientAddressMiddleware); X-Forwarded-For itself is whatever the client wrote.
    return request.META.get("REMOTE_ADDR", "unknown")


def _verify_wait(request: HttpRequest) -> int:
    """Counts one look-up against the caller's IP (core.ratelimit); the seconds to wait once
    over the limit for the window, else 0."""
    return ratelimit.hit(f"courses:verify:{_client_ip(request)}", limit=VERIFY_LIMIT, period=VERIFY_WINDOW)


def _limited(request: HttpRequest, wait: int) -> HttpResponse:
    response = render(request, "courses/verify_limited.html", status=429)
    response["Retry-After"] = str(wait)
    return response


def _public(response: HttpResponse) -> HttpResponse:
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@never_cache
def certificate_verify(request: HttpRequest, code: str) -> HttpResponse:
    """Public: anyone holding the code (printed or in the QR) sees what the certificate says."""
    if wait := _verify_wait(request):
        return _public(_limited(request, wait))
    certificate = selectors.certificate_by_code(code)
    if certificate is None:
        response = render(request, "courses/verify_unknown.html", {"form": VerifyForm()}, status=404)
    else:
        response = render(request, "courses/verify.html", {"certificate": certificate})
    return _public(response)


@never_cache
def certificate_verify_form(request: HttpRequest) -> HttpResponse:
    """Public: a form (GET, field `code`) to type the code printed on a certificate. Typed in any
    case, with or without dashes or spaces; a look-up counts against the same per-IP limit."""
    if "code" not in request.GET:
        return _public(render(request, "courses/verify_form.html", {"form": VerifyForm()}))
    form = VerifyForm(request.GET)
    if not form.is_valid():  # empty, or cannot be a code: no look-up is spent
        return _public(render(request, "courses/verify_form.html", {"form": form}, status=400))
    if wait := _verify_wait(request):
        return _public(_limited(request, wait))
    certificate = selectors.certificate_by_code(form.cleaned_data["code"])
    if certificate is None:
        return _public(render(request, "courses/verify_unknown.html", {"form": form}, status=404))
    return _public(render(request, "courses/verify.html", {"certificate": certificate}))


# --- Tracking --------------------------------------------------------------------------------


# --- Study progress: now in the reports (cells.report_links) ------------------------------


@login_required
def progress_index(request: HttpRequest) -> HttpResponse:
    return report_links.reports_start_redirect(request)


@login_required
def cell_progress(request: HttpRequest, pk: int) -> HttpResponse:
    return report_links.report_redirect(request, pk, kind="cell")


@login_required
def cell_progress_csv(request: HttpRequest, pk: int) -> HttpResponse:
    return report_links.report_redirect(request, pk, kind="cell", target="csv")


@login_required
def committee_progress(request: HttpRequest, pk: int) -> HttpResponse:
    return report_links.report_redirect(request, pk)


@login_required
def committee_progress_csv(request: HttpRequest, pk: int) -> HttpResponse:
    return report_links.report_redirect(request, pk, target="csv")


@login_required
def cell_certificates_zip(request: HttpRequest, pk: int) -> HttpResponse:
    roles = permissions.roles_for_request(request)
    cell = OrgUnit.objects.filter(pk=pk, kind=OrgUnit.Kind.CELL).first()
    if cell is None or not permissions.can_view_cell_progress(request.user, cell, roles):
        raise Http404
    certificates = selectors.cell_certificates(cell)
    if not certificates:
        messages.info(request, _("The cell has no certificates yet."))
        return redirect("reports:unit", pk=cell.pk)
    response = HttpResponse(pdf.certificates_zip(certificates), content_type="application/zip")
    response["Content-Disposition"] = content_disposition(f"giay-chung-nhan-chi-bo-{cell.pk}.zip")
    return response


def module_admin_url(module) -> str:
    return reverse("admin:courses_module_change", args=[module.pk])
