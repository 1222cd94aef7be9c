import base64
import binascii

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import pdf as slips_pdf
from accounts import selectors as account_selectors
from accounts.services import SlipsAlreadyIssued, slip_issue
from cells import permissions, selectors, services
from cells.forms import (
    MemberAddForm,
    MemberImportForm,
    MemberNameForm,
    MembershipEndForm,
    MembershipMoveForm,
    MembershipRoleForm,
)
from cells.imports import parse_members_csv
from cells.models import Membership, OrgUnit
from core.filenames import content_disposition, fold_ascii
from core.idempotency import posted_key
from core.ratelimit import client_ip
from core.sections import home_sections


@login_required
def home(request: HttpRequest) -> HttpResponse:
    roles = permissions.roles_for_request(request)
    context = {"roles": roles}
    if roles.membership is not None:
        cell = roles.membership.cell
        context.update(
            cell=cell,
            cell_counts=selectors.cell_counts(cell),
            leaders=selectors.cell_members(cell).exclude(role=Membership.Role.MEMBER),
            can_manage=permissions.can_manage_members(request.user, cell, roles),
        )
    if permissions.oversees_any_unit(request.user, roles):
        # Only the top units: the whole subtree is on the tree page, the figures in the reports.
        context["overseen"] = selectors.overseen_tops(roles)
    context["sections"] = home_sections(request, roles)
    return render(request, "cells/home.html", context)


@login_required
def my_cell(request: HttpRequest) -> HttpResponse:
    roles = permissions.roles_for_request(request)
    if roles.membership is None:
        raise Http404
    return redirect("cells:unit", pk=roles.membership.cell_id)


@login_required
def unit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    roles = permissions.roles_for_request(request)
    unit = permissions.get_unit_or_404(request.user, pk, roles)
    # Breadcrumbs only to units this user may open: an officer's links stop at their committee.
    ancestors = [a for a in selectors.unit_ancestors(unit) if permissions.can_view_unit(request.user, a, roles)]
    context = {"unit": unit, "ancestors": ancestors, "roles": roles}
    context["shows_breadcrumbs"] = permissions.oversees_any_unit(request.user, roles)
    if unit.is_cell:
        can_manage = permissions.can_manage_members(request.user, unit, roles)
        context.update(
            members=selectors.cell_members(unit),
            counts=selectors.cell_counts(unit),
            can_manage=can_manage,
            can_move=permissions.can_move_members(request.user, unit, roles=roles),
            past_members=selectors.cell_past_members(unit)[:50] if can_manage else [],
        )
        return render(request, "cells/cell_detail.html", context)
    context["tree"] = selectors.unit_tree(request.user, roles, root=unit)
    return render(request, "cells/committee_detail.html", context)


@login_required
def tree(request: HttpRequest) -> HttpResponse:
    roles = permissions.roles_for_request(request)
    if not permissions.oversees_any_unit(request.user, roles):
        raise Http404
    return render(request, "cells/tree.html", {"tree": selectors.unit_tree(request.user, roles)})


def _managed_cell(request: HttpRequest, pk: int) -> OrgUnit:
    roles = permissions.roles_for_request(request)
    unit = permissions.get_unit_or_404(request.user, pk, roles)
    if not unit.is_cell:
        raise Http404
    permissions.require(permissions.can_manage_members(request.user, unit, roles))
    return unit


@login_required
def member_add(request: HttpRequest, pk: int) -> HttpResponse:
    cell = _managed_cell(request, pk)
    form = MemberAddForm(request.POST or None, cell=cell)
    if request.method == "POST" and form.is_valid():
        try:
            membership = services.member_invite(actor=request.user, cell=cell, row=form.row)
        except (ValidationError, IntegrityError) as exc:
            form.add_error(None, exc.messages if isinstance(exc, ValidationError) else _("Please try again."))
        else:
            if not membership.user.email:
                messages.success(
                    request,
                    _("%(name)s was added. Without an email address, print an invitation slip for them.")
                    % {"name": membership.user.full_name},
                )
                return redirect(reverse("cells:member_slips", args=[cell.pk]) + f"?member={membership.pk}")
            messages.success(
                request,
                _("%(name)s was added; an invitation was sent to %(email)s.")
                % {"name": membership.user.full_name, "email": membership.user.email},
            )
            return redirect("cells:unit", pk=cell.pk)
    return render(request, "cells/member_add.html", {"cell": cell, "form": form})


@login_required
def member_import(request: HttpRequest, pk: int) -> HttpResponse:
    """Upload, preview, confirm. The confirm step re-reads the same file from a hidden
    field and checks every row again, so nothing stale is imported."""
    cell = _managed_cell(request, pk)
    form = MemberImportForm()
    result = None
    payload = ""
    if request.method == "POST":
        if "payload" in request.POST:
            try:
                data = base64.b64decode(request.POST["payload"], validate=True)
            except (binascii.Error, ValueError):
                data = b""
            result = parse_members_csv(data, unit=cell)
            if result.ok:
                try:
                    imported = services.members_import(actor=request.user, cell=cell, rows=result.rows)
                except (ValidationError, IntegrityError):
                    messages.error(request, _("The list changed while importing; nothing was imported. Try again."))
                else:
                    messages.success(request, _("%(n)d members were imported and invited.") % {"n": len(imported)})
                    return redirect("cells:unit", pk=cell.pk)
        else:
            form = MemberImportForm(request.POST, request.FILES)
            if form.is_valid():
                data = form.cleaned_data["file"].read()
                result = parse_members_csv(data, unit=cell)
                if result.ok:
                    payload = base64.b64encode(data).decode("ascii")
    return render(
        request, "cells/member_import.html", {"cell": cell, "form": form, "result": result, "payload": payload}
    )


def _managed_membership(request: HttpRequest, pk: int):
    roles = permissions.roles_for_request(request)
    membership = permissions.get_membership_or_404(request.user, pk, roles)
    permissions.require(permissions.can_manage_membership(request.user, membership, roles))
    return membership, roles


@login_required
def membership_edit(request: HttpRequest, pk: int) -> HttpResponse:
    membership, roles = _managed_membership(request, pk)
    initial = {"role": membership.role, "status": membership.status}
    role_form = MembershipRoleForm(request.POST if request.POST.get("action") == "role" else None, initial=initial)
    end_form = MembershipEndForm(request.POST if request.POST.get("action") == "end" else None)
    name_form = MemberNameForm(
        request.POST if request.POST.get("action") == "name" else None, initial={"full_name": membership.user.full_name}
    )
    can_move = permissions.can_move_members(request.user, membership.cell, roles=roles)
    move_form = MembershipMoveForm(
        request.POST if request.POST.get("action") == "move" else None,
        cells=permissions.cells_managed(request.user, roles).exclude(pk=membership.cell_id).order_by("path"),
    )
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "move":
            # Checked before the form: a leader's empty cell list would otherwise
            # answer a plain "invalid choice" instead of refusing.
            permissions.require(can_move)
        if action == "name":
            permissions.require(permissions.can_rename_member(request.user, membership, roles))
        try:
            if action == "name" and name_form.is_valid():
                services.member_rename(
                    actor=request.user, membership=membership, full_name=name_form.cleaned_data["full_name"]
                )
                messages.success(request, _("The name was changed."))
                return redirect("cells:membership", pk=membership.pk)
            if action == "role" and role_form.is_valid():
                services.membership_change_role(actor=request.user, membership=membership, **role_form.cleaned_data)
                messages.success(request, _("The role was changed."))
                return redirect("cells:unit", pk=membership.cell_id)
            if action == "end" and end_form.is_valid():
                services.membership_end(
                    actor=request.user, membership=membership, reason=end_form.cleaned_data["reason"]
                )
                messages.success(request, _("The membership was ended."))
                return redirect("cells:unit", pk=membership.cell_id)
            if action == "move" and move_form.is_valid():
                to_cell = move_form.cleaned_data["to_cell"]
                permissions.require(permissions.can_move_members(request.user, membership.cell, to_cell, roles))
                services.membership_move(actor=request.user, membership=membership, to_cell=to_cell)
                messages.success(request, _("The member was moved to %(cell)s.") % {"cell": to_cell.name})
                return redirect("cells:unit", pk=to_cell.pk)
        except IntegrityError:
            # A rule the database enforces (one secretary per cell) lost a race with another
            # change made a moment ago: say so instead of failing.
            messages.error(request, _("Someone changed this cell at the same moment. Please try again."))
        except ValidationError as exc:
            # Shown in the error summary at the top (core.templatetags.error_summary) and
            # above the form it refused, whose typed values stay.
            refused = {"name": name_form, "role": role_form, "end": end_form, "move": move_form}.get(action)
            if refused is not None and refused.is_bound:
                refused.add_error(None, exc)
            else:
                messages.error(request, " ".join(exc.messages))
    return render(
        request,
        "cells/membership_edit.html",
        {
            "membership": membership,
            "role_form": role_form,
            "end_form": end_form,
            "name_form": name_form,
            "name_changes": selectors.name_changes(membership.user),
            "move_form": move_form if can_move else None,
            "history": selectors.membership_history(membership, request.user, roles),
        },
    )


@login_required
@require_POST
def invitation_resend(request: HttpRequest, pk: int) -> HttpResponse:
    membership, _roles = _managed_membership(request, pk)
    try:
        services.invitation_resend(actor=request.user, membership=membership)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The invitation was sent again to %(email)s.") % {"email": membership.user.email})
    return redirect("cells:membership", pk=membership.pk)


@login_required
def member_slips(request: HttpRequest, pk: int) -> HttpResponse:
    """Print invitation slips (accounts.pdf) for members chosen from the cell's list; by
    default those who have never logged in or have no password. A new slip replaces the
    member's earlier one, which is how a member who forgot the password gets back in."""
    roles = permissions.roles_for_request(request)
    cell = permissions.get_unit_or_404(request.user, pk, roles)
    if not cell.is_cell:
        raise Http404
    permissions.require(permissions.can_print_slips(request.user, cell, roles))
    candidates = permissions.slip_candidates(request.user, cell, roles)
    error = ""
    if request.method == "POST":
        chosen = set(request.POST.getlist("member"))
        members = [m for m in candidates if str(m.pk) in chosen]
        if members:
            try:
                issued = slip_issue(
                    actor=request.user,
                    users=[m.user for m in members],
                    ip=client_ip(request),
                    key=posted_key(request),
                )
            except SlipsAlreadyIssued:
                # A double tap: the first answer (the PDF being printed) stays the valid one.
                messages.info(
                    request,
                    _(
                        "These slips were printed a moment ago: use the PDF you received. "
                        "To print new ones (they replace those), print again from this page."
                    ),
                )
                return redirect("cells:member_slips", pk=cell.pk)
            data = slips_pdf.slips_pdf(issued, cell_name=cell.name)
            response = HttpResponse(data, content_type="application/pdf")
            day = timezone.localdate().isoformat()
            response["Content-Disposition"] = content_disposition(f"phieu-moi-{fold_ascii(cell.name)}-{day}.pdf")
            return response
        error = _("Choose at least one member to print a slip for.")
    elif "member" in request.GET:  # from a member's page: that member only
        chosen = set(request.GET.getlist("member"))
    else:
        chosen = {str(m.pk) for m in candidates if not m.user.has_usable_password() or m.user.last_login is None}
    latest = account_selectors.latest_slips([m.user_id for m in candidates])
    now = timezone.now()
    rows = []
    for m in candidates:
        slip = latest.get(m.user_id)
        state = ""
        if slip is not None:
            if slip.used_at:
                state = "used"
            elif slip.revoked_at:
                state = "replaced"
            elif slip.expires_at <= now:
                state = "expired"
            else:
                state = "open"
        rows.append({"membership": m, "checked": str(m.pk) in chosen, "slip": slip, "state": state})
    # For the error summary (core.templatetags.error_summary): a link to the first box to tick.
    first_box = f"slip-member-{rows[0]['membership'].pk}" if rows else ""
    errors = [(first_box, error)] if error else []
    return render(
        request,
        "cells/member_slips.html",
        {"cell": cell, "rows": rows, "errors": errors},
        status=400 if error else 200,
    )
