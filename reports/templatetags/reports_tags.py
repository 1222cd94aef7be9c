from django import template
from django.utils.html import format_html

from reports import labels

register = template.Library()


@register.simple_tag
def bar(share) -> str:
    """A share as a small bar drawn on the server (SVG, no script, no style attribute) followed
    by its text: "37% (12/32)". The bar is decoration; the text is what is read out."""
    return format_html(
        '<span class="bar-figure"><svg class="bar" viewBox="0 0 100 8" preserveAspectRatio="none" aria-hidden="true"'
        ' focusable="false"><rect class="bar-bg" width="100" height="8"></rect>'
        '<rect class="bar-fill" width="{}" height="8"></rect></svg> <span>{}% ({}/{})</span></span>',
        share.percent,
        share.percent,
        share.part,
        share.whole,
    )


register.filter("attendance", labels.attendance)
register.filter("session_state", labels.session_state)
register.filter("pledge_state", labels.pledge_state)
register.filter("rating_label", labels.rating)
