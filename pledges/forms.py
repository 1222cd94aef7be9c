from django import forms
from django.utils.translation import gettext_lazy as _

from pledges.models import Rating

MAX_TEXT = 20000


def answer_field(prefix: str, section_id: int) -> str:
    return f"{prefix}-{section_id}"


class AnswersForm(forms.Form):
    """One textarea per section (`answer-<section id>`), plus the version the page was based on."""

    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args, sections=(), prefix_name: str = "answer", **kwargs):
        super().__init__(*args, **kwargs)
        self.prefix_name = prefix_name
        self.section_ids = [s.pk for s in sections]
        for s in sections:
            self.fields[answer_field(prefix_name, s.pk)] = forms.CharField(
                required=False, max_length=MAX_TEXT, strip=False, widget=forms.Textarea
            )

    def texts(self) -> dict[int, str]:
        return {sid: self.cleaned_data.get(answer_field(self.prefix_name, sid)) or "" for sid in self.section_ids}

    def raw_texts(self) -> dict[int, str]:
        """What was posted, valid or not: shown back so that nothing typed is lost."""
        return {sid: self.data.get(answer_field(self.prefix_name, sid), "") for sid in self.section_ids}


class SelfReviewForm(AnswersForm):
    proposed_rating = forms.ChoiceField(choices=[("", "—"), *Rating.choices], required=False)


class DecideForm(forms.Form):
    comment = forms.CharField(required=False, max_length=MAX_TEXT, strip=False, widget=forms.Textarea)

    def __init__(self, *args, sections=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.section_ids = [s.pk for s in sections]
        for s in sections:
            self.fields[answer_field("note", s.pk)] = forms.CharField(
                required=False, max_length=MAX_TEXT, strip=False, widget=forms.Textarea
            )

    def notes(self) -> dict[int, str]:
        return {sid: self.cleaned_data.get(answer_field("note", sid)) or "" for sid in self.section_ids}


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=MAX_TEXT, strip=False, widget=forms.Textarea)


class RateForm(forms.Form):
    rating = forms.ChoiceField(label=_("Rating"), choices=Rating.choices)
    comment = forms.CharField(
        label=_("Comment"), required=False, max_length=MAX_TEXT, strip=False, widget=forms.Textarea
    )
