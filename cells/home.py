from django.utils.translation import gettext as _

from cells.permissions import oversees_any_unit
from core.links import reverse_cached


def nav_links(request, roles) -> list[tuple[str, str]]:
    links = []
    if roles.membership is not None:
        links.append((_("My cell"), reverse_cached("cells:unit", roles.membership.cell_id)))
    if oversees_any_unit(request.user, roles):
        links.append((_("Organisation"), reverse_cached("cells:tree")))
    return links
