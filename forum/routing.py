from django.urls import path

from forum.consumers import TopicConsumer

websocket_urlpatterns = [path("ws/forum/topics/<int:topic_id>/", TopicConsumer.as_asgi())]
