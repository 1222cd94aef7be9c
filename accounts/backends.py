"""Authentication backends whose `get_user` (run on every request with a session) is cached.

Django loads the logged-in user from the database on each request. Here the row comes from
the cache under the user's generation (`core.cache`), which `accounts.signals` bumps on
every save or delete of the user: a changed password, a deactivation or a new name is seen
by the next request. Logging in still checks the password against the database.
"""

from allauth.account.auth_backends import AuthenticationBackend as AllauthAuthenticationBackend
from django.contrib.auth.backends import ModelBackend as DjangoModelBackend

from core.cache import versioned

USER_TIMEOUT = 300  # seconds; the longest a change made where no bump reaches could linger


class CachedUserMixin:
    def get_user(self, user_id):
        try:
            pk = int(user_id)
        except (TypeError, ValueError):
            return None
        parent = super()
        return versioned(f"auth:user:{pk}", (f"user:{pk}",), lambda: parent.get_user(pk), USER_TIMEOUT)


class ModelBackend(CachedUserMixin, DjangoModelBackend):
    """Username and password, as Django's ModelBackend."""


class AuthenticationBackend(CachedUserMixin, AllauthAuthenticationBackend):
    """allauth's login by username or e-mail address."""
