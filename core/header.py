"""The site header (brand, bell, menu, account and language forms), cached per user.

It is rendered on every page and depends only on who is asking: their name, roles (the
menu), unread count and language. It is kept per user under their generations (core.cache)
with holes for the two per-request values, the CSRF token and the current path; the page
itself shows `{% site_header %}` (core.templatetags.site).
"""

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from core.cache import versioned
from core.holes import fill, hole

TEMPLATE = "_site_header.html"
HEADER_TIMEOUT = 600


def site_header(request, csrf_token) -> SafeString:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        context = {"csrf_token": csrf_token, "next_path": request.get_full_path()}
        return mark_safe(render_to_string(TEMPLATE, context, request))

    def build() -> str:
        return render_to_string(TEMPLATE, {"csrf_token": hole("csrf"), "next_path": hole("next")}, request)

    key = f"site:header:{user.pk}:{translation.get_language()}"
    html = versioned(key, (f"user:{user.pk}", "org", f"notes:{user.pk}"), build, HEADER_TIMEOUT)
    values = {"csrf": escape(str(csrf_token)), "next": escape(request.get_full_path())}
    return mark_safe(fill(html, values))
