from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from core.cache import check_epoch, request_scope


class CacheGenerationsMiddleware:
    """One snapshot of the cache generations per request (core.cache): each is fetched at
    most once, several in one round trip where a view prefetches them. First in the list,
    so the session, the user and the roles read through it too. On the embedded default it
    first looks whether another process bumped (one os.stat, core.cache.check_epoch)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        check_epoch()
        with request_scope():
            return self.get_response(request)


class PrivatePagesMiddleware:
    """A logged-in member's pages say `Cache-Control: private`: a shared cache (a proxy) never
    keeps them; only the member's own browser does (its service worker, core/pwa.py)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not response.has_header("Cache-Control"):
            response["Cache-Control"] = "private"
        return response
