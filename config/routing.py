"""Every WebSocket route of the site. Each app lists its own; this joins them."""

from forum.routing import websocket_urlpatterns as forum_routes
from notifications.routing import websocket_urlpatterns as notification_routes

websocket_urlpatterns = [*notification_routes, *forum_routes]
