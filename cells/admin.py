from django.contrib import admin
from treebeard.admin import TreeAdmin
from treebeard.forms import movenodeform_factory

from cells.models import CommitteeRole, Membership, MembershipEvent, OrgUnit


@admin.register(OrgUnit)
class OrgUnitAdmin(TreeAdmin):
    form = movenodeform_factory(OrgUnit)
    list_display = ["name", "kind", "code"]
    list_filter = ["kind"]
    search_fields = ["name", "code"]


class MembershipEventInline(admin.TabularInline):
    model = MembershipEvent
    extra = 0
    can_delete = False
    readonly_fields = ["action", "detail", "actor", "created_at"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "cell", "role", "status", "started_on", "ended_on"]
    list_filter = ["role", "status", ("ended_on", admin.EmptyFieldListFilter)]
    search_fields = ["user__full_name", "user__username", "cell__name"]
    raw_id_fields = ["user", "cell"]
    inlines = [MembershipEventInline]


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
