from django.urls import reverse
from django.utils.translation import gettext as _

from core.links import reverse_cached
from forum.models import Topic


def nav_links(request, roles) -> list[tuple[str, str]]:
    links = []
    if roles.membership is not None:
        links.append((_("Forum"), reverse_cached("forum:home")))
    return links


def home_section(request, roles) -> dict | None:
    if roles.membership is None:
        return None
    open_sessions = Topic.objects.filter(
        cell_id=roles.cell_id, kind=Topic.Kind.SESSION, state=Topic.State.OPEN
    ).order_by("-id")[:5]
    return {
        "template": "forum/_home_section.html",
        "open_sessions": list(open_sessions),
        "forum_url": reverse("forum:home"),
        "forum_label": _("Go to the cell's forum"),
    }
