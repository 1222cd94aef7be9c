from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.validators import clean_full_name
from cells.imports import MemberRow, validate_rows
from cells.models import Membership, OrgUnit


class MemberAddForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=150)
    email = forms.EmailField(
        label=_("Email"),
        required=False,
        help_text=_(
            "The invitation to set a password is sent here. "
            "Leave it empty for a member without email: you then print an invitation slip."
        ),
    )
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        required=False,
        help_text=_("Leave empty to have one suggested from the name."),
    )
    phone = forms.CharField(label=_("Phone number"), max_length=20, required=False)
    role = forms.ChoiceField(label=_("Role"), choices=Membership.Role.choices, initial=Membership.Role.MEMBER)
    status = forms.ChoiceField(label=_("Status"), choices=Membership.Status.choices, initial=Membership.Status.OFFICIAL)

    def __init__(self, *args, cell=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.cell = cell

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        row = MemberRow(
            line=1,
            full_name=data["full_name"].strip(),
            username=data["username"].strip(),
            email=data["email"].strip(),
            phone=data["phone"].strip(),
            role=data["role"],
            status=data["status"],
        )
        validate_rows([row], cell=self.cell)
        for message in row.errors:
            self.add_error(None, message)
        self.row = row
        return data


class MemberImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("Columns: Họ và tên, Email, and optionally Tên đăng nhập, Điện thoại, Vai trò, Trạng thái."),
    )


class MembershipRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Membership.Role.choices)
    status = forms.ChoiceField(label=_("Status"), choices=Membership.Status.choices)


class MemberNameForm(forms.Form):
    full_name = forms.CharField(
        label=_("Full name"),
        max_length=150,
        help_text=_("As on the member's Party records. Certificates issued from now on carry this name."),
    )

    def clean_full_name(self) -> str:
        return clean_full_name(self.cleaned_data["full_name"])


class MembershipEndForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200, help_text=_("Kept in the membership's history."))


class MembershipMoveForm(forms.Form):
    to_cell = forms.ModelChoiceField(label=_("Move to cell"), queryset=OrgUnit.objects.none())

    def __init__(self, *args, cells, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_cell"].queryset = cells
