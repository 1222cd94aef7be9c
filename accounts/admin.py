from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.models import InvitationSlip, InvitationSlipEvent, NameChange, User
from accounts.services import user_rename
from core.admin import ReadOnlyAdmin


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "full_name", "email", "phone", "is_active", "is_staff", "last_login"]
    list_filter = ["is_active", "is_staff", "is_superuser", "language"]
    search_fields = ["username", "full_name", "email", "phone"]
    ordering = ["sort_name"]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        (_("Personal info"), {"fields": ["full_name", "email", "phone"]}),
        (_("Preferences"), {"fields": ["language", "large_text", "email_notifications"]}),
        (_("Permissions"), {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        (_("Important dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["username", "full_name", "email", "password1", "password2"]}),
    ]

    def save_model(self, request, obj, form, change) -> None:
        # A changed name goes through the service that audits it (the field's validator has
        # already refused a bad one); everything else is saved as the admin does.
        if change and "full_name" in form.changed_data:
            new_name = obj.full_name
            obj.full_name = form.initial["full_name"]
            super().save_model(request, obj, form, change)
            obj.full_name = user_rename(actor=request.user, user=obj, full_name=new_name).full_name
        else:
            super().save_model(request, obj, form, change)


@admin.register(NameChange)
class NameChangeAdmin(ReadOnlyAdmin):
    """Read-only: the audit of name changes."""

    list_display = ["created_at", "user", "old_name", "new_name", "actor"]
    search_fields = ["old_name", "new_name", "user__username"]
    list_select_related = ["user", "actor"]
    readonly_fields = ["user", "old_name", "new_name", "actor", "created_at"]


@admin.register(InvitationSlip)
class InvitationSlipAdmin(ReadOnlyAdmin):
    """Read-only: printed slips (only a hash of each code is kept)."""

    list_display = ["issued_at", "user", "issued_by", "expires_at", "used_at", "revoked_at", "revoked_why"]
    search_fields = ["user__username", "user__full_name"]
    list_select_related = ["user", "issued_by"]
    readonly_fields = ["user", "issued_by", "issued_at", "expires_at", "used_at", "revoked_at", "revoked_why"]
    exclude = ["code_hash"]


@admin.register(InvitationSlipEvent)
class InvitationSlipEventAdmin(ReadOnlyAdmin):
    """Read-only: the audit of invitation slips, failed attempts included."""

    list_display = ["created_at", "action", "user", "actor", "ip", "detail"]
    list_filter = ["action"]
    search_fields = ["user__username", "user__full_name", "ip"]
    list_select_related = ["user", "actor"]
    readonly_fields = ["created_at", "action", "slip", "user", "actor", "ip", "detail"]
