"""Bump a user's notification generation (core.cache) whenever their notifications change."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from core.cache import bump
from notifications.models import Notification


@receiver(post_save, sender=Notification, dispatch_uid="notifications_saved")
@receiver(post_delete, sender=Notification, dispatch_uid="notifications_deleted")
def notification_changed(sender, instance: Notification, **kwargs) -> None:
    bump(f"notes:{instance.user_id}")
