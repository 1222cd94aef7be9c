"""The Django admin for pledges. Templates are written through the services (the lock on
started templates, the Markdown rendering of the introduction); stored HTML is never a form
field anywhere (`editable=False` on every *_html)."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from pledges import services
from pledges.models import Pledge, PledgeEvent, PledgeTemplate, TemplateSection

SERVICE_FIELDS = ("title", "intro", "has_year_end_review", "due_on", "review_opens_on", "review_closes_on")


def _started(template: PledgeTemplate | None) -> bool:
    return template is not None and template.pk is not None and template.pledges.exists()


class SectionInline(admin.TabularInline):
    model = TemplateSection
    extra = 0

    # Once a member has started a pledge, the form must not change under them: read-only.
    def has_add_permission(self, request, obj=None) -> bool:
        return not _started(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return not _started(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return not _started(obj) and super().has_delete_permission(request, obj)


class PledgeTemplateAdminForm(forms.ModelForm):
    class Meta:
        model = PledgeTemplate
        fields = ["unit", "year", *SERVICE_FIELDS]

    def clean(self):
        data = super().clean()
        if _started(self.instance) and self.changed_data:
            raise forms.ValidationError(
                _("Members have already started pledges on this template, so it cannot be changed.")
            )
        unit = data.get("unit")
        if self.instance.pk is None and unit is not None and unit.is_cell:
            raise forms.ValidationError(_("A pledge template belongs to a committee, not to a cell."))
        return data


@admin.register(PledgeTemplate)
class PledgeTemplateAdmin(admin.ModelAdmin):
    form = PledgeTemplateAdminForm
    list_display = ["title", "year", "unit", "due_on"]
    inlines = [SectionInline]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["unit", "year"] if not _started(obj) else ["unit", "year", *SERVICE_FIELDS]

    def save_model(self, request, obj, form, change) -> None:
        fields = {name: form.cleaned_data[name] for name in SERVICE_FIELDS if name in form.cleaned_data}
        if change and not form.changed_data:
            saved = obj
        elif change:
            saved = services.template_update(actor=request.user, template=obj, **fields)
        else:
            # No sections here: the inline below writes the ones typed on the page.
            saved = services.template_create(
                actor=request.user,
                unit=form.cleaned_data["unit"],
                year=form.cleaned_data["year"],
                sections=[],
                **fields,
            )
        obj.pk = saved.pk
        obj._state.adding = False
        obj.refresh_from_db()


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
