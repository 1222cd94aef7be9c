from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ForumConfig(AppConfig):
    name = "forum"
    verbose_name = _("Forum")

    def ready(self) -> None:
        from cells import tally
        from forum import services, signals  # noqa: F401  (signals connects the cache bumps)
        from forum.models import MeetingTally, SessionTally

        tally.register(SessionTally, ("theme_id",), services.session_figures)
        tally.register(MeetingTally, ("year",), services.meeting_figures)
