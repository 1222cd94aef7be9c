"""The main menu: each app's `home.nav_links` (core.sections), given the user's roles once."""

from django.http import HttpRequest

from cells.permissions import roles_for_request
from core.sections import nav_links


def menu(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_links": []}
    return {"nav_links": nav_links(request, roles_for_request(request))}
