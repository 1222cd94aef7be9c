from django import forms
from django.utils.translation import gettext_lazy as _


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
