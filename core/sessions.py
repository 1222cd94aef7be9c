"""The session engine (settings.SESSION_ENGINE = "core.sessions"): Django's cached_db, whose
cached copy of the session may arrive with the request's cache generations in one round
trip (core.cache.request_scope); otherwise it reads as Django's does. A save or delete of
the session drops that copy, so a later load in the same request reads afresh."""

from django.contrib.sessions.backends.cached_db import SessionStore as CachedDbSessionStore

from core.cache import prefetched_session


class SessionStore(CachedDbSessionStore):
    def load(self):
        data = prefetched_session(self.cache_key)
        if data is not None:
            return data
        return super().load()

    def save(self, must_create=False):
        if self.session_key:
            prefetched_session(self.cache_key)
        super().save(must_create=must_create)

    def delete(self, session_key=None):
        key = session_key or self.session_key
        if key:
            prefetched_session(self.cache_key_prefix + key)
        super().delete(session_key)
