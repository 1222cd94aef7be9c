from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    unread = 0
    if user is not None and user.is_authenticated:
        # One cheap indexed count, so the bell is right on every page without JavaScript.
        unread = user.notifications.filter(read_at__isnull=True).count()
    return {
        "SITE_NAME": "Chi bộ số",
        "unread_notifications": unread,
        "large_text": bool(user is not None and user.is_authenticated and user.large_text),
        "DEBUG": settings.DEBUG,
    }
