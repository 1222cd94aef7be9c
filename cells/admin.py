from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponse, HttpResponseBadRequest
from django.utils.translation import gettext as _
from treebeard.admin import TreeAdmin
from treebeard.forms import movenodeform_factory

from cells import services
from cells.models import CommitteeRole, Membership, MembershipEvent, OrgUnit, UnitEvent
from core.admin import ReadOnlyAdmin

CHILD_POSITIONS = {"first-child", "last-child", "sorted-child"}


class OrgUnitForm(movenodeform_factory(OrgUnit)):
    """treebeard's form, except that a unit changing place goes through
    cells.services.unit_move (which keeps the reports' counters and audits the move), with the
    admin as actor (`OrgUnitAdmin.save_model`). Siblings are kept sorted by name, so only the
    new parent matters: "child of X" is X, "sibling of X" is X's parent."""

    actor = None  # set by OrgUnitAdmin.get_form

    def _new_parent(self, ref: OrgUnit | None, position: str) -> OrgUnit | None:
        if ref is None:
            return None
        if position in CHILD_POSITIONS:
            return ref
        return OrgUnit.objects.get_parent(ref)

    def clean(self):
        data = super().clean()
        if "treebeard_position" in data:
            parent = self._new_parent(data.get("treebeard_ref_node"), data["treebeard_position"])
            # The unit as it will be: its kind as typed (a cell may not go to the top level).
            unit = OrgUnit(pk=self.instance.pk, path=self.instance.path, kind=data.get("kind") or self.instance.kind)
            try:
                services.unit_move_check(unit=unit, parent=parent)
            except ValidationError as exc:
                self.add_error("treebeard_ref_node", exc)
        return data

    def save(self, commit=True):
        ref = self.cleaned_data.pop("treebeard_ref_node", None)
        position = self.cleaned_data.pop("treebeard_position")
        parent = self._new_parent(ref, position)
        manager = OrgUnit.objects
        if self.instance._state.adding:
            # A new unit holds no figures: added where it belongs, sorted by name.
            if parent is None:
                self.instance = manager.add_root(instance=self.instance)
            else:
                self.instance = manager.add_child(parent, instance=self.instance)
            return forms.ModelForm.save(self, commit=False)  # the admin saves it again, and its m2m
        current = manager.get_parent(self.instance)
        renamed = "name" in self.changed_data  # siblings are sorted by name
        self.instance = forms.ModelForm.save(self, commit=False)
        if renamed or (current and current.pk) != (parent and parent.pk):
            self.instance.save()
            self.instance = services.unit_move(actor=self.actor, unit=self.instance, parent=parent)
        return self.instance


@admin.register(OrgUnit)
class OrgUnitAdmin(TreeAdmin):
    form = OrgUnitForm
    list_display = ["name", "kind", "code", "place"]
    list_filter = ["kind"]
    search_fields = ["name", "code", "place"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"actor": request.user})

    def move_node(self, request):
        """The tree's drag and drop, through cells.services.unit_move like the form."""
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied

        class MoveForm(forms.Form):
            node = forms.ModelChoiceField(queryset=OrgUnit.objects.all())
            target = forms.ModelChoiceField(queryset=OrgUnit.objects.all())
            relation = forms.ChoiceField(choices=(("child", "child"), ("sibling", "sibling")))

        form = MoveForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Invalid form data provided"))
            return HttpResponseBadRequest("Invalid form data provided")
        node, target = form.cleaned_data["node"], form.cleaned_data["target"]
        if not self.has_change_permission(request, node):
            messages.error(request, _("You do not have permission to change this object."))
            raise PermissionDenied
        child = form.cleaned_data["relation"] == "child"
        parent = target if child else OrgUnit.objects.get_parent(target)
        try:
            with transaction.atomic():
                services.unit_move(actor=request.user, unit=node, parent=parent)
        except ValidationError as exc:
            # The page reloads on an error and shows this message.
            messages.error(request, " ".join(exc.messages))
            return HttpResponseBadRequest(" ".join(exc.messages))
        messages.info(request, _("%(unit)s moved under %(parent)s.") % {"unit": node.name, "parent": parent or "—"})
        return HttpResponse("OK")


class MembershipEventInline(admin.TabularInline):
    model = MembershipEvent
    extra = 0
    can_delete = False
    readonly_fields = ["action", "detail", "actor", "created_at"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    """Admin edits go through the same services as the app, so they are audited and an
    ended membership loses its live access too."""

    list_display = ["user", "cell", "role", "status", "started_on", "ended_on"]
    list_filter = ["role", "status", ("ended_on", admin.EmptyFieldListFilter)]
    search_fields = ["user__full_name", "user__username", "cell__name"]
    raw_id_fields = ["user", "cell"]
    inlines = [MembershipEventInline]

    def get_readonly_fields(self, request, obj=None):
        # A membership's person and cell never change; moving makes a new membership.
        return ["user", "cell", "started_on"] if obj is not None else []

    def save_model(self, request, obj, form, change) -> None:
        try:
            if not change:
                created = services.membership_add(
                    actor=request.user,
                    user=obj.user,
                    cell=obj.cell,
                    role=obj.role,
                    status=obj.status,
                    started_on=obj.started_on,
                )
                obj.pk = created.pk
                return
            old = Membership.objects.get(pk=obj.pk)
            if old.role != obj.role or old.status != obj.status:
                services.membership_change_role(actor=request.user, membership=old, role=obj.role, status=obj.status)
            if old.ended_on is None and obj.ended_on is not None:
                services.membership_end(
                    actor=request.user, membership=old, reason=obj.end_reason, ended_on=obj.ended_on
                )
        except ValidationError as exc:
            # save_model cannot re-show the form; report and leave the row as it was.
            self.message_user(request, " ".join(exc.messages), level=messages.ERROR)


@admin.register(CommitteeRole)
class CommitteeRoleAdmin(admin.ModelAdmin):
    list_display = ["user", "unit", "title", "started_on", "ended_on"]
    search_fields = ["user__full_name", "user__username", "unit__name"]
    raw_id_fields = ["user", "unit"]


@admin.register(UnitEvent)
class UnitEventAdmin(ReadOnlyAdmin):
    """The audit of the tree's changes: read-only."""

    list_display = ["created_at", "unit", "action", "detail", "actor"]
    list_filter = ["action"]
    readonly_fields = ["unit", "actor", "action", "detail", "created_at"]


@admin.register(MembershipEvent)
class MembershipEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "membership", "action", "detail", "actor"]
    list_filter = ["action"]
    readonly_fields = ["membership", "actor", "action", "detail", "created_at"]
