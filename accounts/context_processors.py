"""The account's own preferences on every page: large text, and the link to the profile."""

from django.http import HttpRequest

from core.links import reverse_cached


def account(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    return {
        "large_text": bool(user is not None and user.is_authenticated and user.large_text),
        "profile_url": reverse_cached("accounts:profile"),
    }
