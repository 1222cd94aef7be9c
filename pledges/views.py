import io
import re
import zipfile

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cells import permissions, report_links
from cells.models import OrgUnit
from core.filenames import content_disposition, fold_ascii, zip_entry_name
from core.idempotency import posted_key
from core.params import int_param
from pledges import selectors, services
from pledges.diff import section_changes
from pledges.forms import (
    AnswersForm,
    DecideForm,
    RateForm,
    ReasonForm,
    SectionFormSet,
    SelfReviewForm,
    TemplateForm,
    answer_field,
)
from pledges.models import DEFAULT_SECTIONS, Pledge
from pledges.pdf import pledge_pdf

STASH = "pledges.stash"


def _is_autosave(request: HttpRequest) -> bool:
    return request.POST.get("autosave") == "1"


# --- Text typed in a session that had expired ----------------------------------------------
# A POST from a logged-out browser keeps what was typed in that browser's (new, anonymous)
# session under the pledge's id; logging in keeps the session's data, and the next visit to
# the pledge by its own member saves it. Anyone else who logs in on that browser never sees it.


STASH_MAX_CHARS = 50_000  # a long pledge is ~15 000; bounds what an anonymous POST can park
STASH_MAX_ITEMS = 3
STASH_LIMIT = 20  # parked posts per IP per window: anonymous POSTs must not fill the session table
STASH_WINDOW = 3600  # seconds


def _stash_allowed(request: HttpRequest) -> bool:
    """Count one parking from this IP; False once the window's limit is reached."""
    key = f"pledges:stash:{request.META.get('REMOTE_ADDR', 'unknown')}"
    cache.add(key, 0, STASH_WINDOW)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, STASH_WINDOW)
        count = 1
    return count <= STASH_LIMIT


def _stash(request: HttpRequest, pk: int, kind: str) -> None:
    # Only a browser whose session ended (it still sends the session cookie) is typing in a
    # pledge page; a POST without one is not, and must not create a session row.
    if settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return
    data = {k: v for k, v in request.POST.items() if k != "csrfmiddlewaretoken"}
    if sum(len(k) + len(v) for k, v in data.items()) > STASH_MAX_CHARS:
        return
    if not Pledge.objects.filter(pk=pk).exists() or not _stash_allowed(request):
        return
    stash = request.session.get(STASH, {})
    stash.pop(str(pk), None)
    stash[str(pk)] = {"kind": kind, "data": data}
    request.session[STASH] = dict(list(stash.items())[-STASH_MAX_ITEMS:])


def _unstash(request: HttpRequest, pledge: Pledge) -> dict | None:
    stash = request.session.get(STASH)
    if not stash or str(pledge.pk) not in stash:
        return None
    item = stash.pop(str(pledge.pk))
    request.session[STASH] = stash
    return item if pledge.member_id == request.user.pk else None


def _drop_stash(request: HttpRequest, pledge: Pledge) -> None:
    """The member saved from a live page: an older parked copy must not come back later."""
    stash = request.session.get(STASH)
    if stash and str(pledge.pk) in stash:
        stash.pop(str(pledge.pk))
        request.session[STASH] = stash


def _logged_out(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    _stash(request, pk, kind)
    login_url = f"{reverse('account_login')}?next={reverse('pledges:detail', args=[pk])}"
    if _is_autosave(request):
        message = _("Your session has ended. Log in again: the text you typed is kept.")
        return JsonResponse({"ok": False, "error": message, "login_url": login_url}, status=401)
    return redirect_to_login(reverse("pledges:detail", args=[pk]))


# --- The member's pages ---------------------------------------------------------------------


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    roles = permissions.roles_for_request(request)
    pledges = list(selectors.pledges_of_member(request.user))
    template = selectors.template_for_cell(roles.membership.cell) if roles.membership else None
    current = None
    if template is not None:
        current = next((p for p in pledges if p.year == template.year), None)
    past = [p for p in pledges if p is not current]
    return render(
        request,
        "pledges/mine.html",
        {
            "template": template,
            "current": current,
            "past": past,
            "roles": roles,
            "today": selectors.today(),
            "can_review": roles.membership is not None
            and permissions.can_review_pledges(request.user, roles.membership.cell, roles),
        },
    )


@login_required
@require_POST
def start(request: HttpRequest) -> HttpResponse:
    roles = permissions.roles_for_request(request)
    if roles.membership is None:
        raise Http404
    template = selectors.template_for_cell(roles.membership.cell)
    if template is None:
        raise Http404
    pledge = services.pledge_start(member=request.user, template=template, cell=roles.membership.cell)
    return redirect("pledges:detail", pk=pledge.pk)


def _sections(
    pledge: Pledge,
    *,
    texts=None,
    reviews=None,
    errors=None,
    review_errors=None,
    stored=False,
    notes=None,
    note_errors=None,
):
    """Rows for the template: each section with what to show in its boxes."""
    note_event = selectors.last_return(pledge)
    section_notes = {n["section"]: n for n in (note_event.section_comments if note_event else [])}
    rows = []
    for answer in pledge.answer_list:
        sid = answer.section_id
        rows.append(
            {
                "answer": answer,
                "section": answer.section,
                "name": answer_field("answer", sid),
                "review_name": answer_field("review", sid),
                "note_name": answer_field("note", sid),
                "value": texts[sid] if texts is not None and sid in texts else answer.text,
                "review_value": reviews[sid] if reviews is not None and sid in reviews else answer.review_text,
                "error": (errors or {}).get(sid),
                "review_error": (review_errors or {}).get(sid),
                "note": section_notes.get(sid),
                "note_value": (notes or {}).get(sid, ""),
                "note_error": (note_errors or {}).get(sid),
                "stored": answer.text if stored and texts is not None and texts.get(sid) != answer.text else None,
            }
        )
    return rows


def _render_detail(request, pledge, *, status=200, **state) -> HttpResponse:
    roles = permissions.roles_for_request(request)
    selectors.pledge_with_answers(pledge)
    similar = []
    can_review = permissions.can_review_pledge(request.user, pledge, roles)
    if can_review and pledge.status == Pledge.Status.SUBMITTED:
        pairs = selectors.similar_map(selectors.similar_in_cell(pledge.cell, pledge.year))
        others = dict(pairs.get(pledge.pk, []))
        names = dict(Pledge.objects.filter(pk__in=others).values_list("pk", "member__full_name"))
        similar = [{"pk": pk, "name": names.get(pk, ""), "score": round(s * 100)} for pk, s in others.items()]
    # Text posted that this page can no longer put back in a box (the pledge moved on
    # meanwhile): shown read-only so that it can be copied, never dropped.
    titles = {a.section_id: a.section.title for a in pledge.answer_list}
    unsaved = list(state.get("unsaved", []))
    for key, editable in (("texts", pledge.is_editable), ("reviews", pledge.status == Pledge.Status.APPROVED)):
        if state.get(key) is not None and not (editable and pledge.member_id == request.user.pk):
            unsaved += [(titles.get(sid, ""), text) for sid, text in state[key].items() if text.strip()]
    context = {
        "pledge": pledge,
        "roles": roles,
        "unsaved": unsaved,
        "is_owner": pledge.member_id == request.user.pk,
        "can_review": can_review,
        "resubmitted_after": selectors.return_before_resubmission(pledge) if can_review else None,
        "can_reopen": permissions.can_reopen_pledge(request.user, pledge, roles),
        "rows": _sections(
            pledge,
            texts=state.get("texts"),
            reviews=state.get("reviews"),
            errors=state.get("errors"),
            review_errors=state.get("review_errors"),
            stored=state.get("conflict", False),
            notes=state.get("decide_notes"),
            note_errors=state.get("decide_errors"),
        ),
        "decide_comment": state.get("decide_comment", ""),
        "decide_errors": state.get("decide_errors", {}),
        "version": state.get("version", pledge.version),
        "conflict": state.get("conflict", False),
        "error": state.get("error"),
        "rating_error": state.get("rating_error"),
        "proposed_rating": state.get("proposed_rating", pledge.proposed_rating),
        "return_note": selectors.last_return(pledge),
        "similar": similar,
        "rate_form": RateForm(),
        "ratings": Pledge._meta.get_field("rating").choices,
        "review_open": _review_open(pledge),
        "today": selectors.today(),
    }
    return render(request, "pledges/detail.html", context, status=status)


def _review_open(pledge: Pledge) -> bool:
    """Whether the year-end review may be written today: inside [opens_on, closes_on]."""
    t, today = pledge.template, selectors.today()
    return (
        t.has_year_end_review
        and not (t.review_opens_on and today < t.review_opens_on)
        and not (t.review_closes_on and today > t.review_closes_on)
    )


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    roles = permissions.roles_for_request(request)
    pledge = permissions.get_pledge_or_404(request.user, pk, roles)
    item = _unstash(request, pledge)
    if item is not None:
        return _restore(request, pledge, item)
    return _render_detail(request, pledge)


def _restore(request: HttpRequest, pledge: Pledge, item: dict) -> HttpResponse:
    """Save what was typed before the session ended, now that its member is back."""
    # Saved only, never submitted: submitting is a choice the member makes on the page.
    request.POST = _QueryDict({k: v for k, v in item["data"].items() if k != "action"})
    if item["kind"] == "review":
        return _self_review_post(request, pledge, restored=True)
    return _save_post(request, pledge, restored=True)


class _QueryDict(dict):
    def getlist(self, key, default=None):
        return [self[key]] if key in self else (default or [])


def _form_key(request: HttpRequest, restored: bool) -> str:
    """The form POST's idempotency key (core.idempotency): a Save or Submit sent again is
    answered as the first was. Autosaves have their own in-flight rule (below), a restore none."""
    return "" if restored or _is_autosave(request) else posted_key(request)


def _client_page(request: HttpRequest, restored: bool) -> dict:
    """The autosaving page's random token and save counter (static/js/pledges.js), which let
    its own in-flight save through the version check; nothing from a plain form or a restore."""
    token = request.POST.get("client_token", "")
    seq = int_param(request.POST.get("client_seq"), default=0)
    if restored or not re.fullmatch(r"[A-Za-z0-9_-]{8,64}", token) or not 0 < seq < 2**31:
        return {}
    return {"client_token": token, "client_seq": seq}


def _autosaved(pledge: Pledge) -> JsonResponse:
    # The time is formatted here, 24-hour like the rest of the site, not by the browser's
    # locale (which printed "11:22:47 PM" in the Vietnamese UI).
    saved_at = dateformat.time_format(timezone.localtime(), "H:i:s")
    return JsonResponse({"ok": True, "version": pledge.version, "saved_at": saved_at})


@require_POST
def save(request: HttpRequest, pk: int) -> HttpResponse:
    if not request.user.is_authenticated:
        return _logged_out(request, pk, "answers")
    pledge = permissions.get_pledge_or_404(request.user, pk, permissions.roles_for_request(request))
    return _save_post(request, pledge)


def _save_post(request: HttpRequest, pledge: Pledge, restored: bool = False) -> HttpResponse:
    permissions.require(permissions.can_edit_pledge(request.user, pledge))
    selectors.pledge_with_answers(pledge)
    form = AnswersForm(request.POST, sections=[a.section for a in pledge.answer_list])
    autosave = _is_autosave(request) and not restored
    if not form.is_valid():
        message = _("Some text could not be saved; it is kept below. Check the sections marked.")
        if autosave:
            return JsonResponse({"ok": False, "error": message}, status=400)
        errors = {
            sid: form.errors[answer_field("answer", sid)][0]
            for sid in form.section_ids
            if answer_field("answer", sid) in form.errors
        }
        return _render_detail(request, pledge, status=400, texts=form.raw_texts(), errors=errors, error=message)
    texts = form.texts()
    key = _form_key(request, restored)
    try:
        pledge = services.pledge_save_draft(
            pledge=pledge,
            actor=request.user,
            answers=texts,
            expected_version=form.cleaned_data["version"],
            client_key=key,
            **_client_page(request, restored),
        )
    except services.StaleVersion as exc:
        if autosave:
            return JsonResponse({"ok": False, "error": exc.message, "conflict": True}, status=409)
        # Show their text with the stored one beside it; the form now carries the stored
        # version, so saving again replaces it knowingly, never silently.
        return _render_detail(request, pledge, status=409, texts=texts, conflict=True, error=exc.message)
    except services.PledgeRefused as exc:
        if autosave:
            return JsonResponse({"ok": False, "error": exc.message}, status=409)
        return _render_detail(request, pledge, status=409, texts=texts, error=exc.message)
    if not restored:
        _drop_stash(request, pledge)
    if autosave:
        return _autosaved(pledge)
    if request.POST.get("action") == "submit":
        try:
            pledge = services.pledge_submit(
                pledge=pledge, actor=request.user, expected_version=pledge.version, client_key=key
            )
        except services.PledgeRefused as exc:
            return _render_detail(request, pledge, status=400, errors=exc.errors, error=exc.message)
        messages.success(request, _("Your pledge was submitted to the cell for review."))
    elif restored:
        messages.success(request, _("The text you typed before your session ended has been saved."))
    else:
        messages.success(request, _("Draft saved."))
    return redirect("pledges:detail", pk=pledge.pk)


@require_POST
def self_review(request: HttpRequest, pk: int) -> HttpResponse:
    if not request.user.is_authenticated:
        return _logged_out(request, pk, "review")
    pledge = permissions.get_pledge_or_404(request.user, pk, permissions.roles_for_request(request))
    return _self_review_post(request, pledge)


def _self_review_post(request: HttpRequest, pledge: Pledge, restored: bool = False) -> HttpResponse:
    permissions.require(permissions.can_edit_pledge(request.user, pledge))
    selectors.pledge_with_answers(pledge)
    form = SelfReviewForm(request.POST, sections=[a.section for a in pledge.answer_list], prefix_name="review")
    autosave = _is_autosave(request) and not restored
    if not form.is_valid():
        message = _("Some text could not be saved; it is kept below. Check the sections marked.")
        if autosave:
            return JsonResponse({"ok": False, "error": message}, status=400)
        return _render_detail(
            request,
            pledge,
            status=400,
            reviews=form.raw_texts(),
            error=message,
            proposed_rating=request.POST.get("proposed_rating", ""),
        )
    reviews = form.texts()
    rating = form.cleaned_data.get("proposed_rating") or ""
    key = _form_key(request, restored)
    try:
        pledge = services.pledge_review_save_draft(
            pledge=pledge,
            actor=request.user,
            reviews=reviews,
            proposed_rating=rating,
            expected_version=form.cleaned_data["version"],
            client_key=key,
            **_client_page(request, restored),
        )
        if not restored:
            _drop_stash(request, pledge)
        if autosave:
            return _autosaved(pledge)
        if request.POST.get("action") == "submit":
            pledge = services.pledge_review_submit(
                pledge=pledge, actor=request.user, expected_version=pledge.version, client_key=key
            )
            messages.success(request, _("Your year-end self-review was sent to the cell."))
        else:
            messages.success(request, _("Draft saved."))
    except services.PledgeIncomplete as exc:
        errors = dict(exc.errors)
        rating_error = errors.pop("rating", None)
        return _render_detail(
            request, pledge, status=400, review_errors=errors, rating_error=rating_error, error=exc.message
        )
    except services.PledgeRefused as exc:
        if autosave:
            return JsonResponse({"ok": False, "error": exc.message}, status=409)
        return _render_detail(
            request,
            pledge,
            status=409,
            reviews=reviews,
            proposed_rating=rating,
            error=exc.message,
            conflict=isinstance(exc, services.StaleVersion),
        )
    return redirect("pledges:detail", pk=pledge.pk)


# --- The secretary's actions ----------------------------------------------------------------


@login_required
@require_POST
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    roles = permissions.roles_for_request(request)
    pledge = permissions.get_pledge_or_404(request.user, pk, roles)
    permissions.require(permissions.can_review_pledge(request.user, pledge, roles))
    sections = list(pledge.template.sections.all())
    form = DecideForm(request.POST, sections=sections)
    # What the secretary typed goes back into the boxes whatever goes wrong.
    typed = {"decide_comment": request.POST.get("comment", ""), "decide_notes": form.raw_notes()}
    if not form.is_valid():
        errors = {
            key if key == "comment" else int(key.split("-", 1)[1]): errs[0]
            for key, errs in form.errors.items()
            if key == "comment" or key.startswith("note-")
        }
        return _render_detail(request, pledge, status=400, decide_errors=errors, **typed)
    try:
        if request.POST.get("action") == "approve":
            services.pledge_approve(
                pledge=pledge, actor=request.user, comment=form.cleaned_data["comment"], client_key=posted_key(request)
            )
            messages.success(request, _("The pledge was approved."))
        else:
            services.pledge_return(
                pledge=pledge,
                actor=request.user,
                comment=form.cleaned_data["comment"],
                section_comments=form.notes(),
                client_key=posted_key(request),
            )
            messages.success(request, _("The pledge was returned to the member with your comments."))
    except services.PledgeIncomplete as exc:  # a plain validation error: 400, shown at the box
        return _render_detail(request, pledge, status=400, decide_errors=exc.errors, **typed)
    except services.PledgeRefused as exc:  # decided meanwhile (another tab, the deputy): 409
        typed = [(_("Overall comment"), form.cleaned_data["comment"])]
        titles = {section.pk: section.title for section in sections}
        typed += [(titles[sid], text) for sid, text in form.notes().items()]
        return _render_detail(
            request, pledge, status=409, error=exc.message, unsaved=[t for t in typed if t[1].strip()]
        )
    return redirect("pledges:queue")


@login_required
@require_POST
def reopen(request: HttpRequest, pk: int) -> HttpResponse:
    roles = permissions.roles_for_request(request)
    pledge = permissions.get_pledge_or_404(request.user, pk, roles)
    permissions.require(permissions.can_reopen_pledge(request.user, pledge, roles))
    form = ReasonForm(request.POST)
    try:
        if not form.is_valid():
            raise services.PledgeRefused(_("Give the reason for reopening."))
        services.pledge_reopen(
            pledge=pledge, actor=request.user, reason=form.cleaned_data["reason"], client_key=posted_key(request)
        )
    except services.PledgeRefused as exc:
        reason = request.POST.get("reason", "")
        return _render_detail(
            request, pledge, status=400, error=exc.message, unsaved=[(_("Reason"), reason)] if reason.strip() else []
        )
    messages.success(request, _("The pledge was reopened; the member can revise it."))
    return redirect("pledges:detail", pk=pk)


@login_required
@require_POST
def rate(request: HttpRequest, pk: int) -> HttpResponse:
    roles = permissions.roles_for_request(request)
    pledge = permissions.get_pledge_or_404(request.user, pk, roles)
    permissions.require(permissions.can_review_pledge(request.user, pledge, roles))
    form = RateForm(request.POST)
    try:
        if not form.is_valid():
            raise services.PledgeRefused(_("Choose one of the four ratings."))
        services.pledge_rate(
            pledge=pledge,
            actor=request.user,
            rating=form.cleaned_data["rating"],
            comment=form.cleaned_data["comment"],
            client_key=posted_key(request),
        )
    except services.PledgeRefused as exc:
        comment = request.POST.get("comment", "")
        return _render_detail(
            request, pledge, status=400, error=exc.message, unsaved=[(_("Comment"), comment)] if comment.strip() else []
        )
    messages.success(request, _("The rating was recorded; the year is closed for this member."))
    return redirect("pledges:detail", pk=pk)


@login_required
def pdf(request: HttpRequest, pk: int) -> HttpResponse:
    pledge = permissions.get_pledge_or_404(request.user, pk, permissions.roles_for_request(request))
    selectors.pledge_with_answers(pledge)
    response = HttpResponse(pledge_pdf(pledge), content_type="application/pdf")
    name = pledge.member.full_name or pledge.member.username
    response["Content-Disposition"] = content_disposition(f"pledge-{pledge.year}-{name}.pdf", as_attachment=False)
    return response


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    roles = permissions.roles_for_request(request)
    if roles.membership is None:
        raise Http404
    permissions.require(permissions.can_review_pledges(request.user, roles.membership.cell, roles))
    pledges = list(selectors.review_queue(request.user, roles))
    years = {p.year for p in pledges}
    pairs = []
    similar: dict[int, list] = {}
    for year in sorted(years):
        found = selectors.similar_in_cell(roles.membership.cell, year)
        pairs += found
        for pk, others in selectors.similar_map(found).items():
            similar.setdefault(pk, []).extend(others)
    names = dict(
        Pledge.objects.filter(pk__in={pk for p in pairs for pk in p[:2]}).values_list("pk", "member__full_name")
    )
    for p in pledges:
        p.similar = [{"pk": pk, "name": names.get(pk, ""), "score": round(s * 100)} for pk, s in similar.get(p.pk, [])]
    flagged = [
        {"a": a, "b": b, "a_name": names.get(a), "b_name": names.get(b), "score": round(s * 100)} for a, b, s in pairs
    ]
    return render(request, "pledges/queue.html", {"pledges": pledges, "pairs": flagged, "cell": roles.membership.cell})


@login_required
def compare(request: HttpRequest, a: int, b: int) -> HttpResponse:
    roles = permissions.roles_for_request(request)
    left = permissions.get_pledge_or_404(request.user, a, roles)
    right = permissions.get_pledge_or_404(request.user, b, roles)
    for p in (left, right):
        selectors.pledge_with_answers(p)
    by_section = {ans.section_id: ans for ans in right.answer_list}
    rows = [(ans.section, ans, by_section.get(ans.section_id)) for ans in left.answer_list]
    return render(request, "pledges/compare.html", {"left": left, "right": right, "rows": rows})


@login_required
def changes(request: HttpRequest, pk: int) -> HttpResponse:
    """What the member changed since the pledge was returned, section by section, for those who
    review it: hidden pledge -> 404, visible but not theirs to review -> 403."""
    roles = permissions.roles_for_request(request)
    pledge = permissions.get_pledge_or_404(request.user, pk, roles)
    permissions.require(permissions.can_review_pledge(request.user, pledge, roles))
    selectors.pledge_with_answers(pledge)
    returned = selectors.return_before_resubmission(pledge)
    rows = section_changes(returned.answers, pledge.answer_list, returned.section_comments) if returned else []
    context = {"pledge": pledge, "returned": returned, "rows": rows, "changed": sum(r.changed for r in rows)}
    return render(request, "pledges/changes.html", context)


# --- Tracking ---------------------------------------------------------------------------------


def _cell(request: HttpRequest, pk: int) -> OrgUnit:
    """The cell whose pledge table is asked for: hidden -> 404, visible but not for this -> 403."""
    roles = permissions.roles_for_request(request)
    cell = permissions.get_unit_or_404(request.user, pk, roles)
    if not cell.is_cell:
        raise Http404
    permissions.require(permissions.can_track_pledges(request.user, cell, roles))
    return cell


# --- The cell's and the committee's pledge tables: now in the reports (cells.report_links) ---


@login_required
def tracking(request: HttpRequest, pk: int) -> HttpResponse:
    return report_links.report_redirect(request, pk, kind="cell")


@login_required
def approved_zip(request: HttpRequest, pk: int, year: int) -> HttpResponse:
    cell = _cell(request, pk)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for pledge in selectors.approved_in_cell(cell, year):
            name = fold_ascii(pledge.member.full_name) or pledge.member.username
            archive.writestr(zip_entry_name(f"{year}-{name}-{pledge.pk}.pdf"), pledge_pdf(pledge))
    response = HttpResponse(buffer.getvalue(), content_type="application/zip")
    response["Content-Disposition"] = content_disposition(f"pledges-{year}-cell-{cell.pk}.zip")
    return response


@login_required
def committee(request: HttpRequest, pk: int) -> HttpResponse:
    return report_links.report_redirect(request, pk, kind="committee")


@login_required
def committee_csv(request: HttpRequest, pk: int, year: int) -> HttpResponse:
    return report_links.report_redirect(request, pk, kind="committee", target="csv", year=year)


# --- Templates (committee officers) ------------------------------------------------------------


def _committees(request: HttpRequest):
    roles = permissions.roles_for_request(request)
    return permissions.units_overseen(request.user, roles).exclude(kind=OrgUnit.Kind.CELL).order_by("path")


@login_required
def templates(request: HttpRequest) -> HttpResponse:
    roles = permissions.roles_for_request(request)
    if not permissions.can_author_pledge_templates(request.user, roles=roles):
        raise Http404
    units = _committees(request)
    items = list(selectors.templates_for_units(units))
    return render(request, "pledges/templates.html", {"templates": items})


def _template_sections(formset) -> list[dict]:
    return [
        {
            "title": f.cleaned_data["title"],
            "guidance": f.cleaned_data.get("guidance") or "",
            "required": f.cleaned_data.get("required", False),
            "min_length": f.cleaned_data.get("min_length") or 0,
        }
        for f in formset.forms
        if f.cleaned_data.get("title", "").strip()
    ]


@login_required
def template_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    roles = permissions.roles_for_request(request)
    if not permissions.can_author_pledge_templates(request.user, roles=roles):
        raise Http404
    units = _committees(request)
    template = None
    if pk is not None:
        template = permissions.get_pledge_template_or_404(request.user, pk, roles)
    started = template is not None and template.pledges.exists()
    if template is not None:
        initial = {
            f: getattr(template, f)
            for f in (
                "unit",
                "year",
                "title",
                "intro",
                "has_year_end_review",
                "due_on",
                "review_opens_on",
                "review_closes_on",
            )
        }
        sections = [
            {"title": s.title, "guidance": s.guidance, "required": s.required, "min_length": s.min_length}
            for s in template.sections.all()
        ]
    else:
        initial = {"has_year_end_review": True, "year": selectors.today().year, "unit": units.first()}
        sections = [{"title": t, "required": True, "min_length": 50} for t in DEFAULT_SECTIONS]
    if request.method == "POST":
        form = TemplateForm(request.POST, units=units)
        formset = SectionFormSet(request.POST, prefix="sections")
        if form.is_valid() and formset.is_valid() and not started:
            data = form.cleaned_data
            rows = _template_sections(formset)
            fields = {
                k: data[k]
                for k in ("title", "intro", "has_year_end_review", "due_on", "review_opens_on", "review_closes_on")
            }
            try:
                if not rows:
                    raise services.PledgeRefused(_("A template needs at least one section."))
                if template is None:
                    template = services.template_create(
                        actor=request.user,
                        unit=data["unit"],
                        year=data["year"],
                        sections=rows,
                        client_key=posted_key(request),
                        **fields,
                    )
                else:
                    services.template_update(actor=request.user, template=template, sections=rows, **fields)
            except services.PledgeRefused as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, _("The template was saved."))
                return redirect("pledges:templates")
    else:
        form = TemplateForm(initial=initial, units=units)
        formset = SectionFormSet(initial=sections, prefix="sections")
    if template is not None:
        form.fields["unit"].disabled = True
        form.fields["year"].disabled = True
    return render(
        request,
        "pledges/template_edit.html",
        {"form": form, "formset": formset, "template": template, "started": started},
    )
