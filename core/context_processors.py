"""The site shell's own values (names of pages outside any app, the site's name). What the
shell shows about a user (the menu, the bell, large text) comes from the apps that own that
data: cells.context_processors, notifications.context_processors, accounts.context_processors
(config.settings lists them)."""

from django.conf import settings
from django.http import HttpRequest

from core.links import reverse_cached


def site(request: HttpRequest) -> dict:
    return {
        "site_urls": {
            name.replace(":", "_"): reverse_cached(name) for name in ("home", "account_logout", "account_login")
        }
        | {"set_language": reverse_cached("set_language"), "admin": reverse_cached("admin:index")},
        "SITE_NAME": "Chi bộ số",
        "DEBUG": settings.DEBUG,
    }
