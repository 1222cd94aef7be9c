"""Tracking: a cell's table of pledges with reminders and the approved PDFs, a committee's counts."""

import io
import zipfile

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cells.models import OrgUnit
from core.csvutil import csv_response
from core.errors import ServiceError, user_message
from core.filenames import content_disposition, fold_ascii, zip_entry_name
from core.idempotency import posted_key
from core.params import year_param
from pledges import permissions, selectors, services
from pledges.models import Pledge
from pledges.pdf import pledge_pdf


def _year(request: HttpRequest, unit: OrgUnit) -> tuple[int | None, list[int]]:
    years = selectors.years_for_unit(unit)
    year = year_param(request.GET.get("year"), default=years[0] if years else None)
    return year, years


def _cell(request: HttpRequest, pk: int) -> OrgUnit:
    """The cell whose pledge table is asked for: hidden -> 404, visible but not for this -> 403."""
    roles = permissions.roles_for_request(request)
    cell = permissions.get_unit_or_404(request.user, pk, roles)
    if not cell.is_cell:
        raise Http404
    permissions.require(permissions.can_track_pledges(request.user, cell, roles))
    return cell


@login_required
def tracking(request: HttpRequest, pk: int) -> HttpResponse:
    roles = permissions.roles_for_request(request)
    cell = _cell(request, pk)
    year, years = _year(request, cell)
    template = selectors.template_for_cell(cell, year) if year else None
    rows = selectors.cell_tracking(cell, template, year) if year else []
    visible = {r.pledge.pk for r in rows if r.pledge and permissions.can_view_pledge(request.user, r.pledge, roles)}
    return render(
        request,
        "pledges/tracking.html",
        {
            "cell": cell,
            "year": year,
            "years": years,
            "template": template,
            "rows": rows,
            "visible": visible,
            "behind": sum(1 for r in rows if r.state in selectors.BEHIND),
            "can_remind": permissions.can_remind_pledges(request.user, cell, roles),
            "remind_next_at": services.pledges_remind_next_at(cell=cell, year=year) if year else None,
            "behind_others": sum(
                1 for r in rows if r.state in selectors.BEHIND and r.membership.user_id != request.user.pk
            ),
            "approved": sum(
                1 for r in rows if r.state in (Pledge.Status.APPROVED, Pledge.Status.REVIEWED, Pledge.Status.RATED)
            ),
        },
    )


@login_required
@require_POST
def remind(request: HttpRequest, pk: int) -> HttpResponse:
    roles = permissions.roles_for_request(request)
    cell = _cell(request, pk)
    permissions.require(permissions.can_remind_pledges(request.user, cell, roles))
    year = year_param(request.POST.get("year"))
    if year is None:
        raise Http404
    template = selectors.template_for_cell(cell, year)
    if template is None:
        raise Http404
    try:
        # One round per cell and year per hour: a double click must not spam members.
        count = services.pledges_remind(
            actor=request.user, cell=cell, template=template, client_key=posted_key(request)
        )
    except ServiceError as exc:  # core.reminders.RemindTooSoon: a round less than an hour ago
        messages.error(request, user_message(exc))
    else:
        messages.success(request, _("Reminders sent: %(n)d.") % {"n": count})
    return redirect(f"{reverse('pledges:tracking', args=[pk])}?year={year}")


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


def _committee_unit(request: HttpRequest, pk: int) -> OrgUnit:
    roles = permissions.roles_for_request(request)
    unit = permissions.get_unit_or_404(request.user, pk, roles)
    if unit.is_cell:
        raise Http404
    permissions.require(permissions.can_view_pledge_counts(request.user, unit, roles))
    return unit


@login_required
def committee(request: HttpRequest, pk: int) -> HttpResponse:
    unit = _committee_unit(request, pk)
    year, years = _year(request, unit)
    counts = (
        selectors.committee_counts(request.user, unit, year, permissions.roles_for_request(request)) if year else []
    )
    totals = {
        k: sum(getattr(c, k) for c in counts)
        for k in ("members", "started", "submitted", "approved", "rated", "overdue")
    }
    return render(
        request,
        "pledges/committee.html",
        {"unit": unit, "year": year, "years": years, "counts": counts, "totals": totals},
    )


@login_required
def committee_csv(request: HttpRequest, pk: int, year: int) -> HttpResponse:
    unit = _committee_unit(request, pk)
    counts = selectors.committee_counts(request.user, unit, year, permissions.roles_for_request(request))
    header = [_("Cell"), _("Members"), _("Started"), _("Submitted"), _("Approved"), _("Rated"), _("Overdue")]
    rows = [[c.cell.name, c.members, c.started, c.submitted, c.approved, c.rated, c.overdue] for c in counts]
    return csv_response(f"pledges-{year}-{unit.pk}.csv", header, rows)
