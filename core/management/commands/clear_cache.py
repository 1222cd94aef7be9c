from django.core.cache import cache
from django.core.management.base import BaseCommand

from core.cache import touch_epoch


class Command(BaseCommand):
    help = (
        "Empty the shared cache (sessions stay in the database). Run it after restoring the "
        "database from a backup, so no page part cached from the lost history is shown. On the "
        "embedded default it tells the running server to forget its cached values (core.cache)."
    )

    def handle(self, *args, **options) -> None:
        cache.clear()
        touch_epoch(now=True)  # the LocMem cache is the server's own memory: tell it through the epoch file
        self.stdout.write("The cache is empty.")
