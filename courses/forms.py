from django import forms
from django.utils.translation import gettext_lazy as _

from courses import codes


class RevokeForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))
    confirm = forms.BooleanField(
        label=_("I understand: the certificate stops being valid at once, and this cannot be undone."),
        required=True,
        error_messages={"required": _("Tick the box to confirm the revocation.")},
    )

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(_("Give a reason for revoking."))
        return reason


class ReissueForm(forms.Form):
    reason = forms.CharField(label=_("Note (e.g. name corrected)"), max_length=300, required=False)


class VerifyForm(forms.Form):
    """The public look-up: the code printed under the QR, typed however it comes."""

    code = forms.CharField(
        label=_("Verification code"),
        help_text=_(
            "As printed on the certificate, e.g. 7K3M-Q9TD-X2HV-RB5W. "
            "Capital or small letters, dashes and spaces do not matter."
        ),
        error_messages={"required": _("Type the verification code printed on the certificate.")},
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false", "inputmode": "text"}
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # NUL bytes and over-long input get the one clear message below, not Django's generic ones.
        self.fields["code"].validators = []

    def clean_code(self) -> str:
        code = self.cleaned_data["code"]
        if not codes.candidates(code):
            raise forms.ValidationError(
                _(
                    "This is not a verification code. A code has 16 letters and digits in four groups, "
                    "e.g. 7K3M-Q9TD-X2HV-RB5W; older certificates carry a code of 32 characters."
                ),
                code="malformed",
            )
        return code.strip()
