from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CellsConfig(AppConfig):
    name = "cells"
    verbose_name = _("Organisation")

    def ready(self) -> None:
        from cells import services, signals, tally  # noqa: F401  (signals connects the cache bumps)
        from cells.models import MemberTally

        tally.register(MemberTally, (), services.member_figures)
