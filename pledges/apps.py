from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PledgesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "pledges"
    verbose_name = _("Pledges")

    def ready(self) -> None:
        from cells import hooks, tally
        from pledges import services
        from pledges.models import PledgeTally

        tally.register(PledgeTally, ("year",), services.tally_figures)

        for hook, fn in (
            (hooks.on_membership_moved, services.pledges_follow_move),
            (hooks.on_member_joined, services.tally_member_joined),
            (hooks.on_member_left, services.tally_member_left),
        ):
            if fn not in hook:
                hook.append(fn)
