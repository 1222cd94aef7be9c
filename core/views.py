import asyncio
import logging

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
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


@never_cache
async def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database and a channel-layer round trip work; 503 naming what failed."""
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
    return JsonResponse({"status": "ok" if healthy else "error", "checks": checks}, status=200 if healthy else 503)


def robots_txt(request: HttpRequest) -> HttpResponse:
    # A private organisation's site: nothing here is for search engines.
    return HttpResponse("User-agent: *\nDisallow: /\n", content_type="text/plain")
