from django.core.cache import cache
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Empty the shared cache (sessions stay in the database). Run it after restoring the "
        "database from a backup, so no page part cached from the lost history is shown."
    )

    def handle(self, *args, **options) -> None:
        cache.clear()
        self.stdout.write("The cache is empty.")
