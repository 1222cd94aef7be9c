"""One-click reminders from a cell's overview, through each feature's own reminder service.

The reports app writes nothing of its own, and each feature throttles its own reminders to one
round an hour (courses and pledges per cell, with RemindTooSoon; the forum per session, with a
ValidationError that the view shows).
"""

from django.utils.translation import gettext as _

from courses import services as courses_services
from forum import services as forum_services
from pledges import services as pledges_services


class RemindRefused(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def remind_missing(*, actor, overview, item: str, client_key: str = "") -> int:
    """Remind every member of the overview's cell still missing `item` ("theme:<id>",
    "module:<id>" or "pledge"); returns how many were reminded. The same form sent again
    (its idempotency key, `client_key`) reminds nobody twice and returns the same count."""
    for column in overview.themes:
        if column.key == item:
            return _remind_theme(actor, column, client_key)
    for column in overview.modules:
        if column.key == item:
            return courses_services.reminders_send(
                actor=actor, cell=overview.cell, module=column.module, client_key=client_key
            )
    if item == "pledge" and overview.pledge_template is not None:
        behind = [line.membership.user for line in overview.lines if "pledge" in line.missing]
        try:
            return pledges_services.pledges_remind(
                actor=actor, cell=overview.cell, template=overview.pledge_template, behind=behind, client_key=client_key
            )
        except pledges_services.RemindTooSoon as exc:
            raise RemindRefused(exc.message) from None
    raise RemindRefused(_("There is nothing to remind about for that item."))


def _remind_theme(actor, column, client_key: str) -> int:
    session = column.session
    if session is None or session.is_concluded:
        raise RemindRefused(_("Members can be reminded only while the session is under discussion."))
    return forum_services.participation_remind(actor=actor, topic=session, client_key=client_key)
