"""Where the old per-app tracking pages went: permanent redirects into /reports/.

Forum tracking, study progress and the pledge tables now live in the reports app's unit
report. Their old addresses answer with a permanent redirect to the matching report (or its
CSV), but only after the same permission check as the report: a persona refused there gets
the same 404 or 403 here, never a redirect that would tell them the unit exists.
Features link to the report by URL name only; none imports the reports app.
"""

from django.http import Http404, HttpRequest, HttpResponsePermanentRedirect
from django.urls import reverse

from cells import permissions

TARGETS = {"page": "reports:unit", "csv": "reports:unit_csv"}


def _year_query(year) -> str:
    raw = str(year or "").strip()
    return f"?year={raw}" if raw.isascii() and raw.isdigit() and len(raw) <= 4 else ""


def report_redirect(request: HttpRequest, pk: int, *, kind: str = "", target: str = "page", year=None):
    """To /reports/units/<pk>/ (or its export.csv), keeping a plain year; kind "cell" or
    "committee" keeps the old page's 404 for the other kind of unit."""
    roles = permissions.roles_for_request(request)
    unit = permissions.get_unit_or_404(request.user, pk, roles)  # as reports.permissions
    permissions.require(permissions.can_follow_unit(request.user, unit, roles))
    if (kind == "cell" and not unit.is_cell) or (kind == "committee" and unit.is_cell):
        raise Http404
    url = reverse(TARGETS[target], args=[unit.pk])
    return HttpResponsePermanentRedirect(url + _year_query(year or request.GET.get("year")))


def reports_start_redirect(request: HttpRequest):
    """To /reports/ for those it opens somewhere for; 404 for everyone else, as before."""
    roles = permissions.roles_for_request(request)
    if not permissions.leads_or_oversees_any(request.user, roles):  # reports' can_open_reports
        raise Http404
    return HttpResponsePermanentRedirect(reverse("reports:start") + _year_query(request.GET.get("year")))
