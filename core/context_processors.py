from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    unread = 0
    links: list[tuple[str, str]] = []
    if user is not None and user.is_authenticated:
        from cells.permissions import roles_for_request
        from core.sections import nav_links

        # One cheap indexed count, so the bell is right on every page without JavaScript.
        unread = user.notifications.filter(read_at__isnull=True).count()
        links = nav_links(request, roles_for_request(request))
    return {
        "SITE_NAME": "Chi bộ số",
        "unread_notifications": unread,
        "nav_links": links,
        "large_text": bool(user is not None and user.is_authenticated and user.large_text),
        "DEBUG": settings.DEBUG,
    }
