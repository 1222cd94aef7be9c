"""Bump a topic's cache generation (core.cache) whenever anything its page shows is saved or
deleted, here or in the admin. Services that change rows with queryset updates bump it
themselves (forum.services)."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from core.cache import bump
from forum.models import Post, Reaction, Theme, Topic


@receiver(post_save, sender=Topic, dispatch_uid="forum_topic_saved")
@receiver(post_delete, sender=Topic, dispatch_uid="forum_topic_deleted")
def topic_changed(sender, instance: Topic, **kwargs) -> None:
    bump(f"topic:{instance.pk}")


@receiver(post_save, sender=Post, dispatch_uid="forum_post_saved")
@receiver(post_delete, sender=Post, dispatch_uid="forum_post_deleted")
def post_changed(sender, instance: Post, **kwargs) -> None:
    bump(f"topic:{instance.topic_id}")


@receiver(post_save, sender=Reaction, dispatch_uid="forum_reaction_saved")
@receiver(post_delete, sender=Reaction, dispatch_uid="forum_reaction_deleted")
def reaction_changed(sender, instance: Reaction, **kwargs) -> None:
    bump(f"topic:{instance.post.topic_id}")


@receiver(post_save, sender=Theme, dispatch_uid="forum_theme_saved")
@receiver(post_delete, sender=Theme, dispatch_uid="forum_theme_deleted")
def theme_changed(sender, instance: Theme, **kwargs) -> None:
    bump("org")  # cached topics carry their theme; themes change a few times a year
