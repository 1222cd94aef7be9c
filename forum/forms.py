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


class OpenSessionForm(forms.Form):
    opening = forms.CharField(
        label=_("Opening paper"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_("Markdown: **bold**, *italic*, lists, quotes and links."),
    )
    meeting_at = forms.DateTimeField(
        label=_("Meeting time (optional)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"],
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
