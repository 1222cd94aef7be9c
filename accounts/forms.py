from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User


class ProfileForm(forms.ModelForm):
    current_password = forms.CharField(
        label=_("Current password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=_("Needed only when you change your email address."),
    )

    class Meta:
        model = User
        # Not full_name: the name on the record is changed by the cell's secretary or an admin.
        fields = ["email", "phone", "language", "large_text", "email_notifications"]
        help_texts = {
            "large_text": _("Show every page with larger letters and buttons."),
            "email_notifications": _("Also send notifications to my email address."),
        }

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip()
        if email and User.objects.filter(email__iexact=email).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(_("This email address already belongs to another account."))
        return email

    def clean(self):
        data = super().clean()
        # The e-mail receives password-reset links: changing it takes the password, so a
        # borrowed or stolen session cannot take the account over.
        if "email" in self.changed_data and "email" not in self.errors:
            password = data.get("current_password") or ""
            if not self.instance.check_password(password):
                self.add_error("current_password", _("Enter your current password to change your email address."))
        data.pop("current_password", None)
        return data
