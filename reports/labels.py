"""Words shown for states, shared by the pages and the exports."""

from django.utils.translation import gettext as _

from pledges.models import Pledge, Rating
from reports import selectors


def attendance(value: str) -> str:
    return {
        selectors.TOOK_PART: _("Took part"),
        selectors.ABSENT: _("Absent with a reason"),
        selectors.NOTHING_YET: _("Nothing yet"),
    }[value]


def session_state(value: str) -> str:
    return {selectors.HELD: _("Held"), selectors.OPEN: _("Under discussion"), selectors.NOT_OPENED: _("Not opened")}[
        value
    ]


def pledge_state(value: str) -> str:
    if value == "not_started":
        return _("Not started")
    return str(Pledge.Status(value).label)


def rating(value: str) -> str:
    return str(Rating(value).label) if value else ""
