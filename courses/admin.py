"""Authoring in the Django admin, limited to the officer's own subtree.

Committee officers (is_staff) see and edit only modules whose audience they oversee; the
audience choices are their own units. Writes go through the services (Markdown rendered
once, questions locked once members have attempted the quiz).
"""

from django import forms
from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from cells.models import OrgUnit
from core.admin import ReadOnlyAdmin
from core.params import int_param
from courses import permissions, services
from courses.models import Certificate, CertificateSigner, Choice, Lesson, LessonDocument, Module, Question
from courses.validators import clean_signer_image


def _roles(request):
    return permissions.roles_for_request(request)


class SubtreeAdmin(admin.ModelAdmin):
    """Permissions from cells.permissions instead of Django's model permissions."""

    module_path = "audience"  # how to reach the module's audience from this model

    def _module_of(self, obj) -> Module | None:
        return obj if isinstance(obj, Module) else getattr(obj, "module", None)

    def has_module_permission(self, request) -> bool:
        return permissions.can_author_modules(request.user, _roles(request))

    def has_view_permission(self, request, obj=None) -> bool:
        if obj is None:
            return self.has_module_permission(request)
        module = self._module_of(obj)
        return permissions.can_author_module(request.user, module, _roles(request))

    has_change_permission = has_view_permission

    def has_add_permission(self, request) -> bool:
        return self.has_module_permission(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return _roles(request).is_superuser


class LessonInline(admin.TabularInline):
    model = Lesson
    fields = ["position", "title"]
    extra = 0
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # lessons are written on their own page (body, documents)

    def has_change_permission(self, request, obj=None) -> bool:
        return True

    def has_view_permission(self, request, obj=None) -> bool:
        return True

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class QuestionInline(admin.TabularInline):
    model = Question
    fields = ["position", "kind", "text"]
    readonly_fields = ["kind", "text"]
    extra = 0
    show_change_link = True

    def _locked(self, obj) -> bool:
        return obj is not None and obj.pk is not None and services.module_has_attempts(obj.pk)

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return not self._locked(obj)

    def has_view_permission(self, request, obj=None) -> bool:
        return True

    def has_delete_permission(self, request, obj=None) -> bool:
        return not self._locked(obj)


class ModuleForm(forms.ModelForm):
    class Meta:
        model = Module
        fields = [
            "year",
            "directive",
            "title",
            "summary",
            "audience",
            "issuer",
            "publish_from",
            "publish_until",
            "due_on",
            "pass_mark",
            "attempts_allowed",
            "questions_per_attempt",
            "show_answers",
            "certificate_enabled",
        ]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("publish_from") and cleaned.get("questions_per_attempt"):
            module = self.instance
            module.questions_per_attempt = cleaned["questions_per_attempt"]
            lessons = module.lessons.count() if module.pk else 0
            questions = module.questions.count() if module.pk else 0
            for error in services.module_publish_errors(module=module, lesson_count=lessons, question_count=questions):
                self.add_error("publish_from", error)
        return cleaned


@admin.register(Module)
class ModuleAdmin(SubtreeAdmin):
    form = ModuleForm
    list_display = ["title", "year", "directive", "audience", "publish_from", "due_on"]
    list_filter = ["year"]
    search_fields = ["title", "directive"]
    inlines = [LessonInline, QuestionInline]
    actions = ["copy_as_new_version"]
    fieldsets = [
        (None, {"fields": ["year", "directive", "title", "summary", "audience", "issuer"]}),
        (_("Publication"), {"fields": ["publish_from", "publish_until", "due_on"]}),
        (
            _("Quiz and certificate"),
            {
                "fields": [
                    "pass_mark",
                    "attempts_allowed",
                    "questions_per_attempt",
                    "show_answers",
                    "certificate_enabled",
                ]
            },
        ),
    ]

    def get_queryset(self, request):
        qs = super().get_queryset(request).select_related("audience", "issuer")
        authored = permissions.modules_authored_q(request.user, _roles(request))
        return qs if authored is None else qs.filter(authored)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in ("audience", "issuer"):
            kwargs["queryset"] = permissions.units_overseen(request.user, _roles(request)).order_by("path")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        module_id = int_param(str(object_id or ""))
        if module_id is not None and services.module_has_attempts(module_id):
            messages.warning(request, services.questions_locked_message())
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change) -> None:
        services.module_save(module=obj, actor=request.user)

    @admin.action(description=_("Copy as a new version (unpublished)"))
    def copy_as_new_version(self, request, queryset) -> None:
        for module in queryset:
            if permissions.can_author_module(request.user, module, _roles(request)):
                services.module_copy(module=module, actor=request.user)
        messages.success(request, _("Copied. Edit the new version, then publish it."))


class DocumentInline(admin.TabularInline):
    model = LessonDocument
    fields = ["title", "file"]
    extra = 1

    def has_add_permission(self, request, obj=None) -> bool:
        return True

    def has_change_permission(self, request, obj=None) -> bool:
        return True

    def has_view_permission(self, request, obj=None) -> bool:
        return True

    def has_delete_permission(self, request, obj=None) -> bool:
        return True


class ModuleChildAdmin(SubtreeAdmin):
    def get_queryset(self, request):
        qs = super().get_queryset(request).select_related("module__audience", "module__issuer")
        authored = permissions.modules_authored_q(request.user, _roles(request), via="module__")
        return qs if authored is None else qs.filter(authored)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "module":
            authored = permissions.modules_authored_q(request.user, _roles(request))
            kwargs["queryset"] = Module.objects.all() if authored is None else Module.objects.filter(authored)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Lesson)
class LessonAdmin(ModuleChildAdmin):
    list_display = ["title", "module", "position"]
    list_select_related = ["module"]
    fields = ["module", "position", "title", "body", "video_url"]
    inlines = [DocumentInline]

    def save_model(self, request, obj, form, change) -> None:
        services.lesson_save(lesson=obj)


class ChoiceFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        if any(self.errors):
            return
        correct = 0
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if not data or data.get("DELETE") or not data.get("text"):
                continue
            correct += 1 if data.get("is_correct") else 0
        errors = services.question_choice_errors(kind=self.instance.kind, correct_count=correct)
        if errors:
            raise forms.ValidationError(errors)


class ChoiceInline(admin.TabularInline):
    model = Choice
    formset = ChoiceFormSet
    fields = ["position", "text", "is_correct"]
    extra = 4

    def _locked(self, obj) -> bool:
        return obj is not None and obj.pk is not None and services.module_has_attempts(obj.module_id)

    def has_add_permission(self, request, obj=None) -> bool:
        return not self._locked(obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return not self._locked(obj)

    def has_view_permission(self, request, obj=None) -> bool:
        return True

    def has_delete_permission(self, request, obj=None) -> bool:
        return not self._locked(obj)


class QuestionForm(forms.ModelForm):
    class Meta:
        model = Question
        fields = ["module", "position", "kind", "text", "explanation"]

    def clean(self):
        cleaned = super().clean()
        module = cleaned.get("module")
        if module is not None and services.module_has_attempts(module.pk):
            raise forms.ValidationError(services.questions_locked_message())
        return cleaned


@admin.register(Question)
class QuestionAdmin(ModuleChildAdmin):
    form = QuestionForm
    list_display = ["text", "module", "kind", "position"]
    list_select_related = ["module"]
    fields = ["module", "position", "kind", "text", "explanation"]
    inlines = [ChoiceInline]

    def has_change_permission(self, request, obj=None) -> bool:
        if obj is not None and services.module_has_attempts(obj.module_id):
            return False  # shown read-only, with the reason
        return super().has_change_permission(request, obj)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        if obj is not None and services.module_has_attempts(obj.module_id):
            messages.warning(request, services.questions_locked_message())
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change) -> None:
        services.question_save(question=obj)

    def save_formset(self, request, form, formset, change) -> None:
        services.question_check_unlocked(module_id=form.instance.module_id)
        super().save_formset(request, form, formset, change)


@admin.register(Certificate)
class CertificateAdmin(ReadOnlyAdmin):
    """Read-only list for site admins; officers revoke and reissue from the site's pages."""

    list_display = ["serial", "holder_name", "module_title", "status", "issued_on"]
    list_filter = ["status"]
    search_fields = ["serial", "holder_name"]


class SignerForm(forms.ModelForm):
    """Plain file inputs (the stock widget links to the file's public MEDIA address, which
    this site never serves); each upload is decoded, checked and re-encoded as PNG."""

    remove_signature = forms.BooleanField(label=_("Remove the scanned signature"), required=False)
    remove_seal = forms.BooleanField(label=_("Remove the seal"), required=False)

    class Meta:
        model = CertificateSigner
        fields = ["unit", "title", "name", "signature", "remove_signature", "seal", "remove_seal"]
        widgets = {
            "signature": forms.FileInput(attrs={"accept": "image/png,image/jpeg"}),
            "seal": forms.FileInput(attrs={"accept": "image/png,image/jpeg"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = OrgUnit.objects.filter(kind=OrgUnit.Kind.COMMITTEE)

    def _image(self, field: str):
        upload = self.files.get(self.add_prefix(field))
        if upload is None:
            return self.cleaned_data.get(field)
        return clean_signer_image(upload)

    def clean_signature(self):
        return self._image("signature")

    def clean_seal(self):
        return self._image("seal")


@admin.register(CertificateSigner)
class CertificateSignerAdmin(admin.ModelAdmin):
    """Who signs each committee's certificates; site admins only (cells.permissions)."""

    form = SignerForm
    list_display = ["unit", "title", "name", "has_signature", "has_seal"]
    list_select_related = ["unit"]
    readonly_fields = ["images"]

    def _allowed(self, request) -> bool:
        return permissions.can_manage_certificate_signers(request.user, _roles(request))

    def has_module_permission(self, request) -> bool:
        return self._allowed(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return self._allowed(request)

    has_add_permission = has_module_permission
    has_change_permission = has_view_permission
    has_delete_permission = has_view_permission

    @admin.display(boolean=True, description=_("scanned signature"))
    def has_signature(self, obj) -> bool:
        return bool(obj.signature)

    @admin.display(boolean=True, description=_("seal"))
    def has_seal(self, obj) -> bool:
        return bool(obj.seal)

    @admin.display(description=_("Current images"))
    def images(self, obj):
        if obj is None or obj.pk is None:
            return "–"
        parts = [
            format_html(
                '<img src="{}" alt="{}" height="80">',
                reverse("courses:signer_image", args=[obj.pk, kind]),
                label,
            )
            for kind, label, present in (
                ("signature", _("scanned signature"), obj.signature),
                ("seal", _("seal"), obj.seal),
            )
            if present
        ]
        return format_html_join(" ", "{}", ((part,) for part in parts)) if parts else "–"

    def save_model(self, request, obj, form, change) -> None:
        replaced = []
        for field in ("signature", "seal"):
            old = form.initial.get(field)
            old_name = getattr(old, "name", old) or ""
            if form.cleaned_data.get(f"remove_{field}") and field not in form.files:
                setattr(obj, field, "")
            if old_name and old_name != (getattr(obj, field).name or ""):
                replaced.append(old_name)
        services.certificate_signer_save(signer=obj, replaced=replaced)
