"""The error summary tag (core.templatetags.error_summary) on its own: what it lists, links and
escapes. The pages that use it are tested over HTTP in each app."""

from django import forms
from django.template import Context, Template


class _Form(forms.Form):
    name = forms.CharField(label="Tên")
    choice = forms.ChoiceField(label="Chọn", choices=[("a", "A")], widget=forms.RadioSelect)
    token = forms.CharField(widget=forms.HiddenInput)

    def clean(self):
        raise forms.ValidationError("Lỗi chung <b>")


def _render(*args: str, **context) -> str:
    return Template("{% load error_summary %}{% error_summary " + " ".join(args) + " %}").render(Context(context))


def test_a_form_that_was_not_sent_or_passed_shows_nothing():
    assert _render("form", form=_Form()) == ""
    assert _render("form other", form=_Form(), other=None) == ""


def test_each_error_links_to_its_field_and_hidden_ones_are_listed_without_a_link():
    html = _render("form", form=_Form({"name": "", "choice": "z"}))
    assert html.startswith('<div class="errorlist-box error-summary" role="alert" id="error-summary"')
    assert 'tabindex="-1" autofocus' in html
    assert html.index("Lỗi chung &lt;b&gt;") < html.index('href="#id_name"')  # escaped, first
    assert '<a href="#id_name">Tên: ' in html and '<a href="#id_choice_0">Chọn: ' in html  # a radio's first box
    assert html.count("<a ") == 2 and html.count("<li>") == 4  # the hidden token's error has no link


def test_pairs_and_a_title_for_hand_made_forms():
    html = _render("items title=title", items=[("id_x", "<i>x</i>"), ("", "y")], title="Chưa lưu <3")
    assert "<strong>Chưa lưu &lt;3</strong>" in html
    assert '<li><a href="#id_x">&lt;i&gt;x&lt;/i&gt;</a></li><li>y</li>' in html
    assert _render("items", items={}) == ""
