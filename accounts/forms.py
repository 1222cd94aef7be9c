from django import forms
from django.forms.utils import ErrorDict
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.validators import clean_phone


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


class SlipRedeemForm(forms.Form):
    """The public page of the invitation slip: the code (typed, or from the QR code's link),
    a new password twice and, if the member wants, a phone number. The password is checked
    against the settings' validators by the view, once the code names the account."""

    code = forms.CharField(
        label=_("Code on the slip"),
        max_length=64,
        help_text=_(
            "12 letters and digits, for example 7K3M-Q9TD-X2HV. Capital or small letters, with or without dashes."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}),
    )
    password1 = forms.CharField(
        label=_("New password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    password2 = forms.CharField(
        label=_("New password (again)"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    phone = forms.CharField(
        label=_("Phone number (optional)"),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )

    def clean_phone(self) -> str:
        return clean_phone(self.cleaned_data["phone"])

    def refuse(self, field: str | None, message: str) -> None:
        """add_error that also works on the unbound form of a GET (the QR code's link)."""
        if not self.is_bound and self._errors is None:
            self._errors = ErrorDict()
            self.cleaned_data = {}
        self.add_error(field, message)

    def clean(self):
        data = super().clean()
        if data.get("password1") and data.get("password2") and data["password1"] != data["password2"]:
            self.add_error("password2", _("The two passwords are not the same."))
        return data
