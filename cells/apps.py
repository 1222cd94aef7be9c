from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CellsConfig(AppConfig):
    name = "cells"
    verbose_name = _("Organisation")

    def ready(self) -> None:
        from cells import signals  # noqa: F401  (connects the cache bumps)
