from django.urls import reverse
from django.utils.translation import gettext as _


def nav_links(request, roles) -> list[tuple[str, str]]:
    links = []
    if roles.membership is not None:
        links.append((_("My cell"), reverse("cells:unit", args=[roles.membership.cell_id])))
    if roles.is_officer or roles.is_superuser:
        links.append((_("Organisation"), reverse("cells:tree")))
    return links
