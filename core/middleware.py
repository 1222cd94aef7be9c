import contextlib
import hashlib
import ipaddress
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import translation
from django.utils.cache import patch_cache_control

from core.cache import cached_page, check_epoch, request_scope, start_recording, stop_recording, store_page
from core.idempotency import renew_keys


class CacheGenerationsMiddleware:
    """One snapshot of the cache generations per request (core.cache): each is fetched at
    most once, several in one round trip where they are asked for together, and with the
    session's data, every generation the session's previous request read (one round trip for
    a reader's next page, core.cache.request_scope). Just below static files (which read
    neither) and above everything else, so the session, the user and the roles read through
    it too. On the embedded default it first looks whether another process bumped (one
    os.stat, core.cache.check_epoch)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        check_epoch()
        with request_scope(_session_key(request)):
            return self.get_response(request)


def _session_key(request: HttpRequest) -> str | None:
    """The session cookie's value when it has the shape of Django's session keys."""
    key = request.COOKIES.get(settings.SESSION_COOKIE_NAME, "")
    return key if 8 <= len(key) <= 64 and key.isascii() and key.isalnum() else None


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


class OutboxOwnerMiddleware:
    """What a device kept offline (static/js/outbox.js) is sent later, by a page or the
    worker, with whatever session the browser then holds; each item names the account it was
    typed under (`X-Chibo-User`). If another account is logged in by then (a shared phone, a
    session that expired without a logout), the request is answered 409 `{"owner": false}`
    before any view runs, so one member's text is never stored under another's name; the
    device keeps it for its owner's next login."""

    HEADER = "HTTP_X_CHIBO_USER"

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        owner = request.META.get(self.HEADER)
        user = getattr(request, "user", None)
        if owner is not None and user is not None and user.is_authenticated and owner != str(user.pk):
            return JsonResponse({"ok": False, "owner": False}, status=409)
        return self.get_response(request)


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


class PageCacheMiddleware:
    """A logged-in reader's GET pages, kept for their session under the generations each one
    read (core.cache, "Pages"): a reload with nothing changed is the stored page.

    Stored only when the rendering was an ordinary read: GET, logged in, a 200 HTML page that
    set no cookie, wrote no row, changed nothing in the session and showed no message.
    The key is the user, their session (its key and contents), their CSRF cookie (the token in
    the page's forms stays theirs), the language, the host and the full path: nothing crosses
    users or sessions. A page with messages waiting is rendered as usual. Each serving
    gives the forms fresh idempotency keys (core.idempotency.renew_keys). Innermost, so the
    language is active and the view's own checks ran on the stored rendering; a hit skips
    the view, so every rule a view applies must read what it decides on from the database
    or a generation (time is bounded by core.cache.PAGE_TIMEOUT)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            response = self.get_response(request)
        finally:
            stop_recording()
        recording = getattr(request, "_page_recording", None)
        if recording is None:
            return response
        recording, digest = recording
        html = response.get("Content-Type", "").startswith("text/html") and not response.streaming
        if (
            html
            and response.status_code == 200
            and _sets_no_new_cookie(request, response)
            and not recording.wrote
            and not request.session.modified
            and not _has_messages(request)
        ):
            headers = tuple((name, value) for name, value in response.items() if name != "Content-Length")
            store_page(digest, (response.content.decode(response.charset), headers))
        return response

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> HttpResponse | None:
        digest = _page_digest(request)
        if digest is None or _has_messages(request):
            return None
        page = cached_page(digest)
        if page is not None:
            body, headers = page
            return HttpResponse(renew_keys(body), headers=dict(headers))
        request._page_recording = (start_recording(), digest)
        return None


def _sets_no_new_cookie(request: HttpRequest, response: HttpResponse) -> bool:
    """True unless the response sets a cookie; the CSRF cookie set again with the value the
    reader sent (views under `csrf_protect`, the admin's) is no new cookie."""
    name = settings.CSRF_COOKIE_NAME
    return all(key == name and morsel.value == request.COOKIES.get(name) for key, morsel in response.cookies.items())


def _has_messages(request: HttpRequest) -> bool:
    storage = getattr(request, "_messages", None)
    return storage is not None and (storage.used or len(storage) > 0)


def _page_digest(request: HttpRequest) -> str | None:
    """The page's key for this reader, or None when the request is not one to cache."""
    if request.method != "GET" or request.headers.get("X-Requested-With"):
        return None
    csrf = request.COOKIES.get(settings.CSRF_COOKIE_NAME)
    if not csrf or settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return None  # no session (robots.txt, a visitor) or no CSRF cookie yet
    user = getattr(request, "user", None)
    session = getattr(request, "session", None)
    if user is None or not user.is_authenticated or session is None or not session.session_key:
        return None
    parts = (
        user.pk,
        session.session_key,
        sorted(session.items()),
        csrf,
        translation.get_language(),
        request.scheme,
        request.get_host(),
        request.get_full_path(),
        request.headers.get("Accept", ""),
    )
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:40]
