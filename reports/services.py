"""One-click reminders from a cell's overview, through each feature's own reminder service;
and the recount of the reports' counters from the raw rows (`recount_all`).

The reports app writes nothing of its own. Each feature's service chooses whom to remind and
applies the one reminder throttle (core.reminders: a round an hour per cell and module, cell
and year, or session); its refusal is a core.errors.ServiceError, which the view shows.
"""

from django.utils.translation import gettext as _

from cells import services as cells_services
from core.errors import ServiceError
from courses import services as courses_services
from forum import services as forum_services
from pledges import services as pledges_services


class RemindRefused(ServiceError):
    """Nothing to remind about: an unknown item, or a session no longer under discussion."""


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
        return pledges_services.pledges_remind(
            actor=actor, cell=overview.cell, template=overview.pledge_template, client_key=client_key
        )
    raise RemindRefused(_("There is nothing to remind about for that item."))


def _remind_theme(actor, column, client_key: str) -> int:
    session = column.session
    if session is None or session.is_concluded:
        raise RemindRefused(_("Members can be reminded only while the session is under discussion."))
    return forum_services.participation_remind(actor=actor, topic=session, client_key=client_key)


def recount_all() -> int:
    """Rebuild every feature's counters (cells.tally) from the raw rows, in one transaction:
    after a restore, a bulk load (seed_demo, seed_scale) or to repair. Returns the rows written."""
    from django.db import transaction

    with transaction.atomic():
        return sum(
            rebuild()
            for rebuild in (
                cells_services.tally_rebuild,
                forum_services.tally_rebuild,
                courses_services.tally_rebuild,
                pledges_services.tally_rebuild,
            )
        )
