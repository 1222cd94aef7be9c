"""The error summary at the top of a refused form (issue 13: a refused form reloads at the top
of the page, and its errors could be thousands of pixels below).

    {% load error_summary %}
    {% error_summary form %}                      one Django form
    {% error_summary name_form end_form %}        several on one page (only the bound ones count)
    {% error_summary form formset %}              a formset's forms too
    {% error_summary items title=message %}       (field id, message) pairs, for a hand-made form

It renders nothing when there is nothing to say. Otherwise an alert box, one line per error,
each linking to its field (`#id_...`), with `autofocus` and `tabindex="-1"`, so the browser
moves the focus (and a screen reader's reading) to it without JavaScript (site.js adds
nothing: its size budget, core/tests/test_pwa.py, has no room left). Put it right under the
page's <h1>, above the form. A page has at most one.
"""

from collections.abc import Iterable

from django import forms, template
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _

register = template.Library()


def _form_items(form: forms.BaseForm) -> list[tuple[str, str]]:
    if not form.is_bound or not form.errors:  # a form that was not sent has nothing to say
        return []
    items = [("", str(message)) for message in form.non_field_errors()]
    for bound in form:
        if not bound.errors:
            continue
        # A group of radio buttons or boxes has no one id: the link goes to its first box.
        # A hidden field has nothing to jump to: its message is listed as it is.
        field_id = "" if bound.is_hidden else bound.id_for_label or _first_box(bound)
        for message in bound.errors:
            items.append((field_id, f"{bound.label}: {message}" if field_id else str(message)))
    return items


def _first_box(bound: forms.BoundField) -> str:
    for widget in bound.subwidgets:
        return widget.id_for_label or ""
    return ""


def _pairs(source) -> list[tuple[str, str]]:
    pairs = source.items() if hasattr(source, "items") else source
    return [(str(field_id or ""), str(message)) for field_id, message in pairs]


@register.simple_tag
def error_summary(*sources: forms.BaseForm | forms.BaseFormSet | Iterable, title: str = "") -> str:
    items: list[tuple[str, str]] = []
    for source in sources:
        if isinstance(source, forms.BaseForm):
            items += _form_items(source)
        elif isinstance(source, forms.BaseFormSet):
            if source.is_bound:
                items += [("", str(message)) for message in source.non_form_errors()]
                for form in source:
                    items += _form_items(form)
        elif source:
            items += _pairs(source)
    if not items:
        return ""
    lines = format_html_join(
        "",
        "<li>{}</li>",
        (
            (format_html('<a href="#{}">{}</a>', field_id, message) if field_id else message,)
            for field_id, message in items
        ),
    )
    return format_html(
        '<div class="errorlist-box error-summary" role="alert" id="error-summary" tabindex="-1" autofocus>'
        "<p><strong>{}</strong></p><ul>{}</ul></div>",
        title or _("This was not sent. Please correct the following:"),
        lines,
    )
