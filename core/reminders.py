"""The one reminder throttle: a leader's round of reminders, once an hour per thing reminded of.

Each app keeps its own audit row of every round (courses.CourseReminder per cell and module,
pledges.PledgeReminder per cell and year, forum's REMINDED ModerationEvent per session) and
names its key by the query that finds the last round's time; `next_at(last)` says when the
next round may go and `check(last)` refuses with `RemindTooSoon` until then. The service calls
`check` inside its transaction with the cell row locked, so two clicks cannot both send.
"""

import datetime

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from core.errors import ServiceError

REMIND_EVERY = datetime.timedelta(hours=1)


class RemindTooSoon(ServiceError):
    """A round was sent less than REMIND_EVERY ago; `next_at` says when the next may go."""

    def __init__(self, next_at: datetime.datetime):
        super().__init__(
            _("Reminders were already sent in the last hour; they can be sent again after %(time)s.")
            % {"time": formats.time_format(timezone.localtime(next_at), "H:i")},
            code="too_soon",
        )
        self.next_at = next_at


def next_at(last: datetime.datetime | None) -> datetime.datetime | None:
    """When the next round may be sent after one sent at `last`, or None if it may be now."""
    if last is None or timezone.now() >= last + REMIND_EVERY:
        return None
    return last + REMIND_EVERY


def check(last: datetime.datetime | None) -> None:
    """Refuse (RemindTooSoon) while the last round is less than REMIND_EVERY old."""
    if (when := next_at(last)) is not None:
        raise RemindTooSoon(when)
