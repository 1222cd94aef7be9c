"""Oversight: the approved PDFs of a cell; the old tracking pages redirect to the reports."""

import io
import zipfile

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse

from cells import report_links
from cells.models import OrgUnit
from core.filenames import content_disposition, fold_ascii, zip_entry_name
from pledges import permissions, selectors
from pledges.pdf import pledge_pdf


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
