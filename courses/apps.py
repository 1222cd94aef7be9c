from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoursesConfig(AppConfig):
    name = "courses"
    verbose_name = _("Study modules")

    def ready(self) -> None:
        from cells import hooks, tally
        from courses import services
        from courses.models import ModuleTally
        from courses.services.tallies import tally_figures

        tally.register(ModuleTally, ("module_id",), tally_figures)

        for hook, fn in (
            (hooks.on_member_joined, services.tally_member_joined),
            (hooks.on_member_left, services.tally_member_left),
        ):
            if fn not in hook:
                hook.append(fn)
