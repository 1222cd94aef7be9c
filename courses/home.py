from django.urls import reverse
from django.utils.translation import gettext as _


def nav_links(request, roles) -> list[tuple[str, str]]:
    links = []
    if roles.membership is not None or roles.is_officer or roles.is_superuser:
        links.append((_("Study"), reverse("courses:list")))
    if (roles.membership is not None and roles.membership.is_leader) or roles.is_officer:
        links.append((_("Study progress"), reverse("courses:progress")))
    return links
