"""Pledge templates, written by committee officers."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from cells.models import OrgUnit
from core.idempotency import posted_key
from pledges import permissions, selectors, services
from pledges.forms import (
    SectionFormSet,
    TemplateForm,
)
from pledges.models import DEFAULT_SECTIONS


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
