from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PledgesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "pledges"
    verbose_name = _("Pledges")

    def ready(self) -> None:
        from cells import hooks
        from pledges import services

        if services.pledges_follow_move not in hooks.on_membership_moved:
            hooks.on_membership_moved.append(services.pledges_follow_move)
