import importlib

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction


class Command(BaseCommand):
    help = "Create the demo organisation, accounts and content. Safe to run again: nothing is duplicated."

    def handle(self, *args, **options) -> None:
        # Each app may have a `demo` module with `seed(stdout)`; they run in INSTALLED_APPS
        # order, so an app's demo can rely on those of the apps it depends on.
        for config in apps.get_app_configs():
            try:
                module = importlib.import_module(f"{config.name}.demo")
            except ModuleNotFoundError as exc:
                if exc.name != f"{config.name}.demo":
                    raise
                continue
            with transaction.atomic():
                module.seed(self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo data is ready."))
