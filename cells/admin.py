from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from treebeard.admin import TreeAdmin
from treebeard.forms import movenodeform_factory

from cells import services
from cells.models import CommitteeRole, Membership, MembershipEvent, OrgUnit


@admin.register(OrgUnit)
class OrgUnitAdmin(TreeAdmin):
    form = movenodeform_factory(OrgUnit)
    list_display = ["name", "kind", "code", "place"]
    list_filter = ["kind"]
    search_fields = ["name", "code", "place"]


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


@admin.register(MembershipEvent)
class MembershipEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "membership", "action", "detail", "actor"]
    list_filter = ["action"]
    readonly_fields = ["membership", "actor", "action", "detail", "created_at"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
