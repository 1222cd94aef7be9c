import asyncio
import ipaddress
import logging

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.templatetags.static import static
from django.views.decorators.cache import never_cache

logger = logging.getLogger(__name__)


def _database_ok() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


async def _channel_layer_ok() -> None:
    layer = get_channel_layer()
    if layer is None:
        raise RuntimeError("no channel layer configured")
    channel = await layer.new_channel()
    await layer.send(channel, {"type": "health.ping"})
    message = await asyncio.wait_for(layer.receive(channel), timeout=2)
    if message.get("type") != "health.ping":
        raise RuntimeError("unexpected message")


def _local_peer(request: HttpRequest) -> bool:
    """A request made on this machine, not through a proxy: the direct peer (not a forwarded
    address) is loopback, and no proxy added an X-Forwarded-For on the way."""
    meta = request.META
    if meta.get("FORWARDED_FOR") or meta.get("HTTP_X_FORWARDED_FOR") or meta.get("HTTP_FORWARDED"):
        return False
    try:
        return ipaddress.ip_address(meta.get("PEER_ADDR", meta.get("REMOTE_ADDR", ""))).is_loopback
    except ValueError:
        return False


@never_cache
async def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database and a channel-layer round trip work, 503 otherwise. Which part
    failed (and its error's type) is told only to this machine and to staff; the world gets
    the status alone."""
    checks: dict[str, str] = {}
    try:
        await sync_to_async(_database_ok)()
        checks["database"] = "ok"
    except Exception as exc:
        logger.warning("healthz: database failed: %s", exc)
        checks["database"] = f"error: {type(exc).__name__}"
    try:
        await _channel_layer_ok()
        checks["channel_layer"] = "ok"
    except Exception as exc:
        logger.warning("healthz: channel layer failed: %s", exc)
        checks["channel_layer"] = f"error: {type(exc).__name__}"
    healthy = all(value == "ok" for value in checks.values())
    body: dict = {"status": "ok" if healthy else "error"}
    if _local_peer(request) or (await request.auser()).is_staff:
        body["checks"] = checks
    return JsonResponse(body, status=200 if healthy else 503)


def robots_txt(request: HttpRequest) -> HttpResponse:
    # A private organisation's site: nothing here is for search engines.
    return HttpResponse("User-agent: *\nDisallow: /\n", content_type="text/plain")


def favicon(request: HttpRequest) -> HttpResponse:
    # Browsers ask for /favicon.ico whatever the page says; send them to the real icon
    # (a temporary redirect: the static file's hashed name changes with its content).
    return redirect(static("img/favicon.svg"))
