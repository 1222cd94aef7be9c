from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["full_name", "email", "phone", "language", "large_text", "email_notifications"]
        help_texts = {
            "large_text": _("Show every page with larger letters and buttons."),
            "email_notifications": _("Also send notifications to my email address."),
        }

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip()
        if email and User.objects.filter(email__iexact=email).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(_("This email address already belongs to another account."))
        return email
