"""Who may see or do what in courses, built on the shared role rules of `cells.permissions`.

A module's audience is a committee (or cell) and everything under it. Members of a cell in
that subtree study it; officers over the audience author and track it; officers of a unit
inside the audience see it (and track their own subtree). Everyone else: 404.

Courses' views, selectors, services and admin ask this module only; it re-exports the
shared primitives they need (`roles_for_request`, `require`, ...) so that one import names
the feature's rules.
"""

from django.db.models import Q
from django.utils import timezone

from cells.models import OrgUnit
from cells.permissions import (
    Roles,
    ancestor_paths,
    can_oversee_cell,
    leads_or_oversees_any,
    oversees_any_unit,
    oversees_unit,
    require,
    resolve_roles,
    roles_for_request,
    roles_of,
    units_overseen,
)

__all__ = [
    "Roles",
    "ancestor_paths",
    "can_add_module_in_admin",
    "can_author_for",
    "can_author_module",
    "can_author_modules",
    "can_manage_certificate_signers",
    "can_open_progress",
    "can_open_study",
    "can_revoke_certificate",
    "can_study_module",
    "can_view_attempt",
    "can_view_cell_progress",
    "can_view_certificate",
    "can_view_module",
    "can_view_signer_images",
    "modules_authored_q",
    "modules_visible_q",
    "require",
    "roles_for_request",
    "roles_of",
    "units_overseen",
]


def modules_visible_q(roles: Roles) -> Q | None:
    """A filter on courses.Module for what these roles may see; None means everything."""
    if roles.is_superuser:
        return None
    condition = Q(pk__in=[])
    if roles.membership is not None:
        now = timezone.now()
        condition |= Q(audience__path__in=ancestor_paths(roles.membership.cell.path), publish_from__lte=now) & (
            Q(publish_until__isnull=True) | Q(publish_until__gte=now)
        )
    for path in roles.officer_paths:
        condition |= Q(audience__path__startswith=path) | Q(audience__path__in=ancestor_paths(path))
    return condition


def can_view_module(user, module, roles: Roles | None = None) -> bool:
    r = resolve_roles(user, roles)
    if r.is_superuser:
        return True
    audience = module.audience.path
    if any(path.startswith(audience) or audience.startswith(path) for path in r.officer_paths):
        return True
    return r.membership is not None and module.is_published and r.membership.cell.path.startswith(audience)


def can_study_module(user, module, roles: Roles | None = None) -> bool:
    """Read lessons as a learner, take the quiz and earn the certificate: members of the audience."""
    r = resolve_roles(user, roles)
    return r.membership is not None and module.is_published and r.membership.cell.path.startswith(module.audience.path)


def can_author_module(user, module, roles: Roles | None = None) -> bool:
    """Edit a module, its lessons and questions: officers over its issuing committee, site admins."""
    return oversees_unit(user, module.issuing_unit, roles)


def modules_authored_q(user, roles: Roles | None = None, via: str = "") -> Q | None:
    """`can_author_module` as a filter on Module (with `via="module__"`, on a model that
    points to one); None means every module (a site admin)."""
    r = resolve_roles(user, roles)
    if r.is_superuser:
        return None
    units = units_overseen(user, r)
    return Q(**{f"{via}issuer__in": units}) | Q(**{f"{via}issuer__isnull": True, f"{via}audience__in": units})


def can_author_for(user, unit: OrgUnit, roles: Roles | None = None) -> bool:
    """Publish a new module to this unit's subtree."""
    return oversees_unit(user, unit, roles)


def can_author_modules(user, roles: Roles | None = None) -> bool:
    """Open the authoring admin at all (then limited to the officer's subtree): an officer
    anywhere, or a site admin."""
    return oversees_any_unit(user, roles)


def can_add_module_in_admin(user, roles: Roles | None = None) -> bool:
    """The "New study module" button: an authoring officer who can reach the admin (staff),
    or a site admin."""
    r = resolve_roles(user, roles)
    return r.is_superuser or (r.is_officer and bool(getattr(user, "is_staff", False)))


def can_open_study(user, roles: Roles | None = None) -> bool:
    """The Study menu link: members (they study) and officers and site admins (they see)."""
    r = resolve_roles(user, roles)
    return r.membership is not None or oversees_any_unit(user, r)


# The link to the reports from the module list: whoever has a cell or a subtree to follow.
can_open_progress = leads_or_oversees_any

# The cell's member x module table, reminders and certificate ZIP: its leaders, officers above.
can_view_cell_progress = can_oversee_cell

# A committee's scanned signature and seal: site admins and officers over it (the same people
# who see its report).
can_view_signer_images = oversees_unit


def can_view_certificate(user, certificate, roles: Roles | None = None) -> bool:
    """The holder, the leaders of the cell it was issued in, officers over that cell."""
    return certificate.user_id == getattr(user, "pk", None) or can_oversee_cell(user, certificate.cell, roles)


def can_revoke_certificate(user, certificate, roles: Roles | None = None) -> bool:
    """Revoke or reissue: officers over the issuing committee."""
    return oversees_unit(user, certificate.module.issuing_unit, roles)


def can_manage_certificate_signers(user, roles: Roles | None = None) -> bool:
    """Set who signs a committee's certificates and upload the scanned signature and seal:
    site admins only (a signature and seal scan is what a forger wants most)."""
    return resolve_roles(user, roles).is_superuser


def can_view_attempt(user, attempt, roles: Roles | None = None) -> bool:
    """An attempt's answers are the member's own."""
    return attempt.user_id == getattr(user, "pk", None)
