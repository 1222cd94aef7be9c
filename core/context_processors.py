from django.conf import settings
from django.http import HttpRequest

from core.links import reverse_cached


def site(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    unread = 0
    links: list[tuple[str, str]] = []
    if user is not None and user.is_authenticated:
        from cells.permissions import roles_for_request
        from core.sections import nav_links
        from notifications.selectors import unread_count

        # The bell is right on every page without JavaScript (a cached count).
        unread = unread_count(user.pk)
        links = nav_links(request, roles_for_request(request))
    return {
        "site_urls": {
            name.replace(":", "_"): reverse_cached(name)
            for name in ("home", "notifications:list", "accounts:profile", "account_logout", "account_login")
        }
        | {"set_language": reverse_cached("set_language"), "admin": reverse_cached("admin:index")},
        "SITE_NAME": "Chi bộ số",
        "unread_notifications": unread,
        "nav_links": links,
        "large_text": bool(user is not None and user.is_authenticated and user.large_text),
        "DEBUG": settings.DEBUG,
    }
