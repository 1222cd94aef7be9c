from django.utils.translation import gettext as _

from core.links import reverse_cached
from courses import permissions


def nav_links(request, roles) -> list[tuple[str, str]]:
    links = []
    if permissions.can_open_study(request.user, roles):
        links.append((_("Study"), reverse_cached("courses:list")))
    return links


def home_section(request, roles) -> dict | None:
    """Members see the modules they still have to finish, nearest due date first."""
    if roles.membership is None:
        return None
    from courses.selectors import COMPLETED, member_modules

    rows = [row for row in member_modules(request.user, roles) if row.state != COMPLETED]
    if not rows:
        return None
    rows.sort(key=lambda row: (row.module.due_on is None, row.module.due_on or 0))
    return {"template": "courses/_home_section.html", "rows": rows[:3], "more": len(rows) > 3}
