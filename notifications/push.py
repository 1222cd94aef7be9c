"""Web Push (RFC 8030, payload encrypted per RFC 8291, VAPID per RFC 8292) with pywebpush.

`notification_send` calls `push_notification` after its transaction commits: every in-site
notification (mentions, meeting notices, reminders, pledges returned or approved,
certificates issued) reaches the phones where the member turned pushes on. The payload is
JSON: {"title", "body", "url"}, shown by core/sw.js. Keys come from settings
(VAPID_PUBLIC_KEY, VAPID_PRIVATE_KEY, VAPID_SUBJECT; `manage.py make_vapid_keys` makes a
pair); without them nothing is pushed. A subscription answered 404 or 410 is deleted.
"""

import json
import logging

from django.conf import settings

logger = logging.getLogger(__name__)
TIMEOUT = 5  # seconds per push service request


def enabled() -> bool:
    return bool(settings.VAPID_PUBLIC_KEY and settings.VAPID_PRIVATE_KEY)


def push_notification(notification) -> int:
    """Push one stored notification to each of its user's subscriptions; returns how many
    the push services accepted."""
    from pywebpush import WebPushException, webpush

    from notifications.models import PushSubscription

    if not enabled():
        return 0
    payload = json.dumps(
        {"title": "Chi bộ số", "body": notification.message, "url": notification.url or "/notifications/"},
        ensure_ascii=False,
    )
    sent = 0
    for subscription in PushSubscription.objects.filter(user_id=notification.user_id):
        info = {"endpoint": subscription.endpoint, "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth}}
        try:
            webpush(
                info,
                data=payload,
                vapid_private_key=settings.VAPID_PRIVATE_KEY,
                vapid_claims={"sub": settings.VAPID_SUBJECT},
                ttl=24 * 3600,
                timeout=TIMEOUT,
            )
            sent += 1
        except WebPushException as exc:
            status = getattr(exc.response, "status_code", None)
            if status in (404, 410):  # the browser unsubscribed or the subscription expired
                PushSubscription.objects.filter(pk=subscription.pk).delete()
            else:
                logger.warning("push to subscription %s failed: %s", subscription.pk, exc)
        except Exception:  # the in-site notification stands whatever the push service does
            logger.exception("push to subscription %s failed", subscription.pk)
    return sent
