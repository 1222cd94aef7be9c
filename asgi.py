"""The one ASGI entry point: HTTP goes to Django, WebSockets to Channels consumers.

Serve with `uvicorn asgi:application`.

HTTP_THREADS (settings) chooses how HTTP reaches Django inside this one process:
- N > 0: Django's WSGI handler on a fixed pool of N threads (a2wsgi). A page runs start to end
  in one reused thread, so its database connection is kept (SQLite) or taken from and given
  back to the pool (PostgreSQL) without Django's per-request async-to-thread hops.
- 0: Django's ASGI handler (every request in a fresh thread).
WebSockets are ASGI either way.
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from django.core.asgi import get_asgi_application

# Django must be set up before anything imports models (consumers do).
django_asgi_app = get_asgi_application()

import asyncio  # noqa: E402

from asgiref.sync import SyncToAsync  # noqa: E402
from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402

from config.routing import websocket_urlpatterns  # noqa: E402
from core.sockets import SameOriginValidator  # noqa: E402


class ThreadPoolHTTP:
    """HTTP through Django's WSGI handler on `threads` reused threads (a2wsgi).

    Each thread is told which event loop is the server's (as asgiref does for its own
    threads), so `async_to_sync` in a view, such as a live event sent on commit, runs on
    that loop: the in-memory channel layer's queues belong to it."""

    def __init__(self, threads: int) -> None:
        from a2wsgi import WSGIMiddleware
        from django.core.wsgi import get_wsgi_application

        self.django = get_wsgi_application()
        self.pool = WSGIMiddleware(self.in_thread, workers=threads)
        self.loop: asyncio.AbstractEventLoop | None = None

    async def __call__(self, scope, receive, send) -> None:
        self.loop = asyncio.get_running_loop()
        await self.pool(scope, receive, send)

    def in_thread(self, environ, start_response):
        local = SyncToAsync.threadlocal
        if getattr(local, "main_event_loop", None) is not self.loop:
            local.main_event_loop = self.loop
            local.main_event_loop_pid = os.getpid()
        return self.django(environ, start_response)


http_app = ThreadPoolHTTP(settings.HTTP_THREADS) if settings.HTTP_THREADS else django_asgi_app

application = ProtocolTypeRouter(
    {
        "http": http_app,
        "websocket": SameOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)

# Everything loaded so far (Django, the apps, the URLconf) lives as long as the process: move
# it out of the collector's sight. A full collection then walks only what requests and sockets
# made since; here it walked everything every few seconds, a pause of 40-70 ms that every
# live delivery in flight waited for (Python's docs, gc.freeze).
import gc  # noqa: E402

from django.urls import get_resolver  # noqa: E402

get_resolver().url_patterns  # noqa: B018  (load the URLconf and the views now)
gc.collect()  # what start-up left as garbage goes first, not into the frozen set
gc.freeze()
