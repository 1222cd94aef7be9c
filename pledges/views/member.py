"""The member's pages: their pledges, starting one, writing it and the year-end self-review."""

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import dateformat, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.idempotency import posted_key
from core.params import int_param
from pledges import permissions, selectors, services
from pledges.forms import (
    AnswersForm,
    SelfReviewForm,
    answer_field,
)
from pledges.models import Pledge
from pledges.views.page import _is_autosave, _render_detail
from pledges.views.stash import _drop_stash, _logged_out, _unstash


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
