import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from core.events import publish_on_commit, user_group
from notifications.models import Notification, PushSubscription, render
from notifications.push import enabled as push_enabled
from notifications.push import push_after_commit
from notifications.selectors import unread_count_now

logger = logging.getLogger(__name__)


def _email(notification: Notification) -> None:
    user = notification.user
    with translation.override(user.language):
        context = {"notification": notification, "user": user, "site_url": settings.SITE_URL}
        # A header may not contain a line break (Django refuses the whole mail): one line.
        subject = settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + " ".join(notification.message.split())[:120]
        body = render_to_string("notifications/email.txt", context)
    try:
        send_mail(subject, body, None, [user.email])
    except Exception:  # the in-app notification stands even when mail is down
        logger.exception("could not e-mail notification %s", notification.pk)


def notification_send(
    *,
    user,
    kind: str,
    message: str = "",
    msgid: str = "",
    params: dict | None = None,
    url: str = "",
    email: bool = True,
) -> Notification:
    """Store a notification, push it live to the user's sockets after commit, and e-mail it
    when the user has an address and wants e-mail.

    Give either the finished `message`, or a `msgid` marked with gettext_noop and its `params`
    (JSON values): then the list shows it in the reader's language whenever it is read, and the
    live event, e-mail and push carry it in the recipient's language at send time."""
    params = params or {}
    if msgid:
        with translation.override(user.language or "vi"):
            message = render(msgid, params)
    with transaction.atomic():
        notification = Notification.objects.create(
            user=user, kind=kind, message=message[:500], msgid=msgid, params=params, url=url
        )
        publish_on_commit(
            user_group(user.pk),
            {
                "type": "notification.created",
                "id": notification.pk,
                "kind": kind,
                "message": notification.message,
                "url": url,
                "unread": unread_count_now(user.pk),
            },
        )
        if email and user.email and user.email_notifications:
            transaction.on_commit(lambda: _email(notification))
        if push_enabled():
            push_after_commit(notification)
    return notification


def push_subscribe(*, user, endpoint: str, p256dh: str, auth: str) -> PushSubscription:
    """Turn pushes on for one browser (the same endpoint again updates it, for this user)."""
    with transaction.atomic():
        subscription, _created = PushSubscription.objects.update_or_create(
            endpoint=endpoint, defaults={"user": user, "p256dh": p256dh, "auth": auth}
        )
    return subscription


def push_unsubscribe(*, user, endpoint: str) -> int:
    """Turn pushes off for one browser of this user's."""
    with transaction.atomic():
        deleted, _rows = PushSubscription.objects.filter(user=user, endpoint=endpoint).delete()
    return deleted


def notifications_mark_read(*, user, ids: list[int] | None = None) -> int:
    """Mark the user's notifications read (all of them, or those with these ids)."""
    with transaction.atomic():
        qs = Notification.objects.filter(user=user, read_at__isnull=True)
        if ids is not None:
            qs = qs.filter(pk__in=ids)
        count = qs.update(read_at=timezone.now())
        publish_on_commit(user_group(user.pk), {"type": "notification.read", "unread": unread_count_now(user.pk)})
    return count
