from django import forms
from django.utils.translation import gettext_lazy as _

from forum.services import MAX_TITLE_CHARS

# Length is checked by the service (which gives the message); the form only carries input.
_BODY_WIDGET = forms.Textarea(attrs={"rows": 6, "data-reply-body": ""})


class ReplyForm(forms.Form):
    body = forms.CharField(label=_("Your post"), required=False, widget=_BODY_WIDGET, strip=False)
    quote = forms.IntegerField(required=False, widget=forms.HiddenInput)


class TopicForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=MAX_TITLE_CHARS * 2, required=False)
    body = forms.CharField(label=_("Your post"), required=False, widget=_BODY_WIDGET, strip=False)


_DATETIME = {
    "widget": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    "input_formats": ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"],
}


class NoticeForm(forms.Form):
    """A meeting's notice: time, place or online link, agenda, chair and meeting secretary
    (the last two chosen among the cell's active members)."""

    meeting_at = forms.DateTimeField(label=_("Meeting time"), required=False, **_DATETIME)
    place = forms.CharField(label=_("Place"), required=False, max_length=300)
    online_url = forms.URLField(
        label=_("Online meeting link"),
        required=False,
        max_length=500,
        assume_scheme="https",
        help_text=_("A link to the online room (Vmeet, Jitsi or another service), if members join online."),
    )
    agenda = forms.CharField(label=_("Agenda"), required=False, widget=forms.Textarea(attrs={"rows": 5}))
    chair = forms.ModelChoiceField(label=_("Chair"), queryset=None, required=False)
    meeting_secretary = forms.ModelChoiceField(label=_("Meeting secretary"), queryset=None, required=False)

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["chair"].queryset = members
        self.fields["meeting_secretary"].queryset = members
        for name in ("chair", "meeting_secretary"):
            self.fields[name].label_from_instance = lambda user: user.full_name or user.username


class MeetingForm(NoticeForm):
    field_order = ["title", "meeting_at"]
    title = forms.CharField(label=_("Title"), max_length=MAX_TITLE_CHARS * 2)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["meeting_at"].required = True


class OpenSessionForm(NoticeForm):
    field_order = ["opening", "meeting_at"]
    opening = forms.CharField(
        label=_("Opening paper"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_("Markdown: **bold**, *italic*, lists, quotes and links."),
    )


class ConcludeForm(forms.Form):
    conclusion = forms.CharField(label=_("Conclusion"), required=False, widget=forms.Textarea(attrs={"rows": 10}))


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300)


class EditForm(forms.Form):
    body = forms.CharField(label=_("Your post"), required=False, widget=forms.Textarea(attrs={"rows": 8}), strip=False)


class ThemeForm(forms.Form):
    committee = forms.ModelChoiceField(label=_("Committee"), queryset=None)
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    title = forms.CharField(label=_("Title"), max_length=400)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    order = forms.IntegerField(label=_("Order"), min_value=1, max_value=99, initial=1)
    window_start = forms.DateField(label=_("Hold from"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    window_end = forms.DateField(label=_("Hold until"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, committees, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["committee"].queryset = committees


class AbsenceForm(forms.Form):
    reason = forms.CharField(label=_("Why you cannot attend"), max_length=300, required=False)


class MotionForm(forms.Form):
    text = forms.CharField(label=_("Motion"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 3}))
    options = forms.CharField(
        label=_("Options (one per line)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Leave empty for: For, Against, Abstain."),
    )
    ballot = forms.ChoiceField(
        label=_("Ballot"),
        choices=[("open", _("Open ballot: the tally is shown live")), ("secret", _("Secret ballot: counts only"))],
        initial="open",
        widget=forms.RadioSelect,
    )
