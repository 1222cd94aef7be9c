"""Every WebSocket route of the site. Each app lists its own; this joins them."""

from notifications.routing import websocket_urlpatterns as notification_routes

websocket_urlpatterns = [*notification_routes]
