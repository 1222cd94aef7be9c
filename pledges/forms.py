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

    def raw_notes(self) -> dict[int, str]:
        """What was posted for each section, valid or not: put back in the boxes on an error."""
        return {sid: self.data.get(answer_field("note", sid), "") for sid in self.section_ids}

    def notes(self) -> dict[int, str]:
        return {sid: self.cleaned_data.get(answer_field("note", sid)) or "" for sid in self.section_ids}


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=MAX_TEXT, strip=False, widget=forms.Textarea)


class RateForm(forms.Form):
    rating = forms.ChoiceField(label=_("Rating"), choices=Rating.choices)
    comment = forms.CharField(
        label=_("Comment"), required=False, max_length=MAX_TEXT, strip=False, widget=forms.Textarea
    )


class TemplateForm(forms.Form):
    unit = forms.ModelChoiceField(label=_("Committee"), queryset=None)
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    title = forms.CharField(label=_("Title"), max_length=300)
    intro = forms.CharField(label=_("Introduction"), required=False, max_length=MAX_TEXT, widget=forms.Textarea)
    has_year_end_review = forms.BooleanField(label=_("Includes a year-end self-review"), required=False, initial=True)
    due_on = forms.DateField(label=_("Pledges due on"), widget=forms.DateInput(attrs={"type": "date"}))
    review_opens_on = forms.DateField(
        label=_("Year-end review opens on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    review_closes_on = forms.DateField(
        label=_("Year-end review closes on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units

    def clean(self):
        data = super().clean()
        opens, closes = data.get("review_opens_on"), data.get("review_closes_on")
        if opens and closes and closes < opens:
            self.add_error("review_closes_on", _("The review cannot close before it opens."))
        return data


class SectionForm(forms.Form):
    title = forms.CharField(label=_("Section title"), max_length=300, required=False)
    guidance = forms.CharField(
        label=_("Guidance"), required=False, max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 2})
    )
    required = forms.BooleanField(label=_("Required"), required=False, initial=True)
    min_length = forms.IntegerField(label=_("Minimum length (characters)"), min_value=0, max_value=MAX_TEXT, initial=0)


# absolute_max: a posted TOTAL_FORMS of 10**30 builds at most this many forms (Django's
# default is max_num + 1000, seconds of work per request).
SectionFormSet = forms.formset_factory(SectionForm, extra=2, max_num=30, absolute_max=30)
