"""Reminders from a cell's leaders to the members who have not completed a module."""

import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext_noop

from cells.models import Membership, OrgUnit
from core import reminders
from courses import permissions
from courses.models import (
    CourseReminder,
    Module,
    ModuleProgress,
)
from courses.services.certificates import _notify


def _last_reminded(*, cell: OrgUnit, module: Module) -> datetime.datetime | None:
    """The courses' key for the reminder throttle (core.reminders): the cell and module."""
    return CourseReminder.objects.filter(cell=cell, module=module).values_list("created_at", flat=True).first()


def reminders_next_at(*, cell: OrgUnit, module: Module) -> datetime.datetime | None:
    """When reminders for the cell and module may be sent again, or None if they may be now."""
    return reminders.next_at(_last_reminded(cell=cell, module=module))


def reminders_send(*, actor, cell: OrgUnit, module: Module, client_key: str = "") -> int:
    """Remind every active member of the cell who has not completed the module, never the
    leader who sends it. Once an hour per cell and module (core.reminders.RemindTooSoon otherwise)."""
    if not permissions.can_view_cell_progress(actor, cell):
        raise PermissionDenied
    done = set(
        ModuleProgress.objects.filter(module=module, completed_at__isnull=False).values_list("user_id", flat=True)
    )
    members = [
        m.user
        for m in Membership.objects.filter(cell=cell, ended_on__isnull=True).select_related("user")
        if m.user_id not in done and m.user_id != actor.pk
    ]
    url = reverse("courses:module", args=[module.pk])

    # Rendered in each reader's language when shown (notifications.models.Notification.text).
    if module.due_on:
        msgid = gettext_noop("Reminder: please finish the study module “%(title)s”. Due %(date)s.")
        params = {"title": module.title, "date": module.due_on.strftime("%d/%m/%Y")}
    else:
        msgid = gettext_noop("Reminder: please finish the study module “%(title)s”.")
        params = {"title": module.title}

    with transaction.atomic():
        OrgUnit.objects.select_for_update().filter(pk=cell.pk).first()  # one round at a time per cell
        if client_key and (done := CourseReminder.objects.filter(sent_by=actor, client_key=client_key).first()):
            return done.recipients  # this very click, sent again
        reminders.check(_last_reminded(cell=cell, module=module))
        CourseReminder.objects.create(
            cell=cell, module=module, sent_by=actor, recipients=len(members), client_key=client_key
        )
        for user in members:
            _notify(user, kind="courses.reminder", msgid=msgid, params=params, url=url, email=True)
    return len(members)
