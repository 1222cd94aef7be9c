from django import template
from django.middleware.csrf import get_token
from django.template.loader import render_to_string

from core.header import TEMPLATE
from core.header import site_header as header_html
from core.holes import hole

register = template.Library()


@register.simple_tag(takes_context=True)
def site_header(context):
    """The header for this request; a hole when the page around it is itself being cached
    for many readers (the view fills it, see forum.views)."""
    if context.get("page_skeleton"):
        return hole("header")
    request = context.get("request")
    if request is None:  # a page rendered outside a request: no user, no forms to protect
        return render_to_string(TEMPLATE, {"csrf_token": "", "next_path": "/"})
    return header_html(request, context.get("csrf_token") or get_token(request))
