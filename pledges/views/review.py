"""The secretary's actions: decide, reopen, rate, the review queue, comparing and changes."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.idempotency import posted_key
from pledges import permissions, selectors, services
from pledges.diff import section_changes
from pledges.forms import (
    DecideForm,
    RateForm,
    ReasonForm,
)
from pledges.models import Pledge
from pledges.views.page import _render_detail


def _pledge_for(request: HttpRequest, pk: int, rule) -> Pledge:
    """Pledge `pk` for a reviewer's action: 404 if the user may not see it, 403 if `rule`
    (a predicate of pledges.permissions) does not let them act on it."""
    roles = permissions.roles_for_request(request)
    pledge = permissions.get_pledge_or_404(request.user, pk, roles)
    permissions.require(rule(request.user, pledge, roles))
    return pledge


def _refused(request: HttpRequest, pledge: Pledge, message: str, label: str, field: str) -> HttpResponse:
    """A refused action, shown on the pledge's page (400) with what was typed in `field`."""
    typed = request.POST.get(field, "")
    return _render_detail(request, pledge, status=400, error=message, unsaved=[(label, typed)] if typed.strip() else [])


@login_required
@require_POST
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    pledge = _pledge_for(request, pk, permissions.can_review_pledge)
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
    pledge = _pledge_for(request, pk, permissions.can_reopen_pledge)
    form = ReasonForm(request.POST)
    try:
        if not form.is_valid():
            raise services.PledgeRefused(_("Give the reason for reopening."))
        services.pledge_reopen(
            pledge=pledge, actor=request.user, reason=form.cleaned_data["reason"], client_key=posted_key(request)
        )
    except services.PledgeRefused as exc:
        return _refused(request, pledge, exc.message, _("Reason"), "reason")
    messages.success(request, _("The pledge was reopened; the member can revise it."))
    return redirect("pledges:detail", pk=pk)


@login_required
@require_POST
def rate(request: HttpRequest, pk: int) -> HttpResponse:
    pledge = _pledge_for(request, pk, permissions.can_review_pledge)
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
        return _refused(request, pledge, exc.message, _("Comment"), "comment")
    messages.success(request, _("The rating was recorded; the year is closed for this member."))
    return redirect("pledges:detail", pk=pk)


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
    pledge = _pledge_for(request, pk, permissions.can_review_pledge)
    selectors.pledge_with_answers(pledge)
    returned = selectors.return_before_resubmission(pledge)
    rows = section_changes(returned.answers, pledge.answer_list, returned.section_comments) if returned else []
    context = {"pledge": pledge, "returned": returned, "rows": rows, "changed": sum(r.changed for r in rows)}
    return render(request, "pledges/changes.html", context)
