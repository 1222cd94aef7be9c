from django.contrib import admin

from pledges.models import Pledge, PledgeEvent, PledgeTemplate, TemplateSection


class SectionInline(admin.TabularInline):
    model = TemplateSection
    extra = 0


@admin.register(PledgeTemplate)
class PledgeTemplateAdmin(admin.ModelAdmin):
    list_display = ["title", "year", "unit", "due_on"]
    inlines = [SectionInline]


@admin.register(Pledge)
class PledgeAdmin(admin.ModelAdmin):
    list_display = ["member", "year", "cell", "status"]
    list_filter = ["year", "status"]
    readonly_fields = [f.name for f in Pledge._meta.fields]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(PledgeEvent)
class PledgeEventAdmin(admin.ModelAdmin):
    list_display = ["pledge", "action", "actor", "created_at"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
