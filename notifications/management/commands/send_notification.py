from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from notifications.services import notification_send


class Command(BaseCommand):
    help = (
        "Send a notification to one user, as the site would: stored, pushed live to their open "
        "sockets and e-mailed. Live delivery from this separate process needs REDIS_URL (the "
        "in-memory channel layer only reaches sockets of its own process); the bell catches up "
        "on the next page load or reconnect either way."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument("message")
        parser.add_argument("--url", default="", help="Link the notification opens, e.g. /cells/3/.")
        parser.add_argument("--kind", default="announcement")
        parser.add_argument("--no-email", action="store_true", help="Do not e-mail it.")

    def handle(self, *args, username: str, message: str, url: str, kind: str, no_email: bool, **options) -> None:
        try:
            user = get_user_model().objects.get(username=username, is_active=True)
        except get_user_model().DoesNotExist:
            raise CommandError(f"No active user {username!r}.") from None
        if not message.strip():
            raise CommandError("The message is empty.")
        notification = notification_send(user=user, kind=kind, message=message, url=url, email=not no_email)
        self.stdout.write(f"Sent notification {notification.pk} to {user.username}.")
