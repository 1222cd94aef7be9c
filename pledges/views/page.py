"""One pledge's page as its member and its reviewers see it, and its PDF."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from core.filenames import content_disposition
from pledges import permissions, selectors, services
from pledges.forms import (
    RateForm,
    answer_field,
)
from pledges.models import Pledge
from pledges.pdf import pledge_pdf


def _is_autosave(request: HttpRequest) -> bool:
    return request.POST.get("autosave") == "1"


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


def _summary(rows: list[dict], state: dict) -> tuple[list[tuple[str, str]], str]:
    """What the error summary at the top of the page lists (core.templatetags.error_summary):
    each refused box as (its id, its name and message), and the summary's title."""
    items = []
    decide = state.get("decide_errors") or {}
    if decide.get("comment"):
        items.append(("id_comment", f"{_('Overall comment')}: {decide['comment']}"))
    for number, row in enumerate(rows, start=1):
        label = f"{number}. {row['section'].title}"
        for key, name in (("error", "name"), ("review_error", "review_name"), ("note_error", "note_name")):
            if row[key]:
                items.append((f"id_{row[name]}", f"{label}: {row[key]}"))
    if state.get("rating_error"):
        items.append(("id_proposed_rating", f"{_('Proposed rating')}: {state['rating_error']}"))
    if decide:
        return items, _("The decision was not sent. Please check:")
    return items, state.get("error") or ""


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
    rows = _sections(
        pledge,
        texts=state.get("texts"),
        reviews=state.get("reviews"),
        errors=state.get("errors"),
        review_errors=state.get("review_errors"),
        stored=state.get("conflict", False),
        notes=state.get("decide_notes"),
        note_errors=state.get("decide_errors"),
    )
    summary_items, summary_title = _summary(rows, state)
    context = {
        "pledge": pledge,
        "roles": roles,
        "unsaved": unsaved,
        "is_owner": pledge.member_id == request.user.pk,
        "can_review": can_review,
        "resubmitted_after": selectors.return_before_resubmission(pledge) if can_review else None,
        "can_reopen": permissions.can_reopen_pledge(request.user, pledge, roles),
        "rows": rows,
        "summary_items": summary_items,
        "summary_title": summary_title,
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
        "review_refusal": services.review_window_refusal(pledge.template),
        "today": selectors.today(),
    }
    return render(request, "pledges/detail.html", context, status=status)


@login_required
def pdf(request: HttpRequest, pk: int) -> HttpResponse:
    pledge = permissions.get_pledge_or_404(request.user, pk, permissions.roles_for_request(request))
    selectors.pledge_with_answers(pledge)
    response = HttpResponse(pledge_pdf(pledge), content_type="application/pdf")
    name = pledge.member.full_name or pledge.member.username
    response["Content-Disposition"] = content_disposition(f"pledge-{pledge.year}-{name}.pdf", as_attachment=False)
    return response
