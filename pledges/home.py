from django.utils.translation import gettext as _

from core.links import reverse_cached
from pledges import permissions


def nav_links(request, roles) -> list[tuple[str, str]]:
    links = []
    if roles.membership is not None:
        links.append((_("My pledge"), reverse_cached("pledges:mine")))
        if permissions.can_review_pledges(request.user, roles.membership.cell, roles):
            links.append((_("Pledge review"), reverse_cached("pledges:queue")))
    if roles.officer_paths:
        links.append((_("Pledge templates"), reverse_cached("pledges:templates")))
    return links


def home_section(request, roles) -> dict | None:
    """The member's pledge for the current year and, for leaders, how many wait for review."""
    from pledges import selectors
    from pledges.models import Pledge

    if roles.membership is None:
        return None
    template = selectors.template_for_cell(roles.membership.cell)
    if template is None:
        return None
    pledge = Pledge.objects.filter(member=request.user, year=template.year).first()
    leader = permissions.can_review_pledges(request.user, roles.membership.cell, roles)
    waiting = selectors.review_queue(request.user, roles).count() if leader else None
    return {
        "template": "pledges/_home_section.html",
        "pledge_template": template,
        "pledge": pledge,
        "waiting": waiting,
        "overdue": selectors.today() > template.due_on and not (pledge and pledge.was_submitted),
    }
