"""The session engine (settings.SESSION_ENGINE = "core.sessions"): Django's cached_db, whose
cached copy of the session may arrive with the request's cache generations in one round
trip (core.cache.request_scope); otherwise it reads as Django's does."""

from django.contrib.sessions.backends.cached_db import SessionStore as CachedDbSessionStore

from core.cache import prefetched_session


class SessionStore(CachedDbSessionStore):
    def load(self):
        data = prefetched_session(self.cache_key)
        if data is not None:
            return data
        return super().load()
