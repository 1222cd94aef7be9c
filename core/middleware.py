import contextlib
import ipaddress
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control

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


def _trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in network for network in settings.TRUSTED_PROXIES)


class ClientAddressMiddleware:
    """REMOTE_ADDR becomes the client's address, as far as trusted proxies vouch for it.

    The server (uvicorn with --no-proxy-headers) puts the direct peer in REMOTE_ADDR; it is
    kept as PEER_ADDR (and the header as received as FORWARDED_FOR). When the peer is in
    settings.TRUSTED_PROXIES, X-Forwarded-For is read from the right, skipping trusted
    proxies, and the first other address is the client;
    otherwise X-Forwarded-For and X-Forwarded-Proto are dropped, because the client wrote
    them. Everything that counts per address (allauth's log-in limits, the certificate
    verification limit, the pledge parking limit) reads REMOTE_ADDR after this."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        meta = request.META
        peer = meta.get("REMOTE_ADDR", "")
        meta["PEER_ADDR"] = peer
        meta["FORWARDED_FOR"] = meta.get("HTTP_X_FORWARDED_FOR", "")  # as received, for /healthz
        if _trusted(peer):
            hops = [hop.strip() for hop in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
            while hops and _trusted(hops[-1]):
                hops.pop()
            # A proxy that forwards garbage: the proxy's own address is kept.
            with contextlib.suppress(ValueError):
                if hops:
                    meta["REMOTE_ADDR"] = str(ipaddress.ip_address(hops[-1]))
        else:
            meta.pop("HTTP_X_FORWARDED_FOR", None)
            meta.pop("HTTP_X_FORWARDED_PROTO", None)
        return self.get_response(request)


DOWNLOAD_TYPES = ("application/pdf", "text/csv", "application/zip")


class PrivateCacheMiddleware:
    """`Cache-Control: private, no-store` on everything no shared cache (nginx, a proxy) and
    no browser history may keep: any response to a logged-in user, every download, and any
    page that carries a CSRF token or sets a cookie. Public pages (the certificate
    verification page, robots.txt) keep their own headers; static files never get here
    (WhiteNoise answers them further up)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if (
            (user is not None and user.is_authenticated)
            or response.get("Content-Type", "").split(";")[0].strip() in DOWNLOAD_TYPES
            or response.has_header("Content-Disposition")
            or request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
            or response.cookies
        ):
            patch_cache_control(response, private=True, no_store=True)
        return response
