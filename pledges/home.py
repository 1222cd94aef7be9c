from django.urls import reverse
from django.utils.translation import gettext as _


def nav_links(request, roles) -> list[tuple[str, str]]:
    links = []
    if roles.membership is not None:
        links.append((_("My pledge"), reverse("pledges:mine")))
        if roles.membership.is_leader:
            links.append((_("Pledge review"), reverse("pledges:queue")))
    for path in roles.officer_paths[:1]:
        from cells.models import OrgUnit

        unit = OrgUnit.objects.filter(path=path).only("pk").first()
        if unit is not None:
            links.append((_("Pledges overview"), reverse("pledges:committee", args=[unit.pk])))
            links.append((_("Pledge templates"), reverse("pledges:templates")))
    return links
