from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node, MP_NodeManager, MP_NodeQuerySet

from core.cache import GenerationsManager, GenerationsQuerySet


class OrgUnitQuerySet(GenerationsQuerySet, MP_NodeQuerySet):
    """treebeard's (its delete keeps the tree whole), with bulk writes that bump the cache."""


class OrgUnitManager(MP_NodeManager):
    def get_queryset(self):
        return OrgUnitQuerySet(self.model, using=self._db).order_by("path")

    def move(self, node, target, pos=None):
        # The reports' counters are kept at every level of the tree: a move that did not
        # carry them along would leave the old and new ancestors' figures wrong.
        raise RuntimeError("Move units with cells.services.unit_move, which keeps the reports' counters.")

    def tree_move(self, node, target, pos=None):
        """treebeard's move, for cells.services.unit_move alone (through cells.tally.move)."""
        return super().move(node, target, pos)


class OrgUnit(MP_Node):
    """A node of the Party organisation: a committee at any level, or a cell (chi bộ).

    The tree has no fixed depth (levels were merged and dissolved in 2025). It is stored
    as a materialised path, so "everything under this committee" is one indexed
    `path LIKE 'prefix%'` query, never a walk in Python.
    """

    class Kind(models.TextChoices):
        COMMITTEE = "committee", _("Committee")
        CELL = "cell", _("Cell")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    code = models.CharField(
        _("code"),
        max_length=12,
        blank=True,
        # Certificate serials and download names are built from it: nothing else may get in.
        validators=[
            RegexValidator(
                r"^[A-Z0-9]{0,12}$",
                _("Use at most 12 capital letters A–Z and digits, without accents, spaces or other signs."),
                code="invalid_code",
            )
        ],
        help_text=_("Short code used in serial numbers, e.g. QT."),
    )
    # The place name of every document's date line ("Quảng Trị, ngày …"): minutes, pledges and
    # certificates print the one of the nearest unit up the tree that has one
    # (cells.selectors.place_of); blank everywhere up the tree prints a dotted blank.
    place = models.CharField(
        _("place name"),
        max_length=100,
        blank=True,
        help_text=_(
            "Printed on the date line of minutes, pledges and certificates, e.g. Quảng Trị or Đông Hà. "
            "Blank: the place of the committee above."
        ),
    )

    node_order_by = ["name"]
    steplen = 4

    objects = OrgUnitManager()

    class Meta:
        verbose_name = _("organisation unit")
        verbose_name_plural = _("organisation units")

    def __str__(self) -> str:
        return self.name

    @property
    def is_cell(self) -> bool:
        return self.kind == self.Kind.CELL


class Membership(models.Model):
    """A user's membership of one cell. A member has at most one active membership."""

    class Role(models.TextChoices):
        MEMBER = "member", _("Member")
        DEPUTY = "deputy", _("Deputy secretary")
        SECRETARY = "secretary", _("Secretary")

    class Status(models.TextChoices):
        OFFICIAL = "official", _("Official")
        PROBATIONARY = "probationary", _("Probationary")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("user")
    )
    cell = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("cell"))
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.MEMBER)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OFFICIAL)
    started_on = models.DateField(_("started on"))
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    end_reason = models.CharField(_("reason for ending"), max_length=200, blank=True)

    objects = GenerationsManager()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["cell_id", "user__sort_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=Q(ended_on__isnull=True), name="cells_one_active_membership_per_user"
            ),
            models.UniqueConstraint(
                fields=["cell"],
                condition=Q(ended_on__isnull=True, role="secretary"),
                name="cells_one_active_secretary_per_cell",
            ),
        ]
        indexes = [models.Index(fields=["cell", "ended_on"])]

    def __str__(self) -> str:
        return f"{self.user} – {self.cell} ({self.get_role_display()})"

    @property
    def is_active(self) -> bool:
        return self.ended_on is None

    @property
    def is_leader(self) -> bool:
        return self.role in (self.Role.SECRETARY, self.Role.DEPUTY)


class CommitteeRole(models.Model):
    """A committee officer (cán bộ Ban Tuyên giáo) over a committee node and all under it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="committee_roles",
        verbose_name=_("user"),
    )
    unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="committee_roles", verbose_name=_("committee")
    )
    title = models.CharField(_("job title"), max_length=120, blank=True)
    started_on = models.DateField(_("started on"))
    ended_on = models.DateField(_("ended on"), null=True, blank=True)

    objects = GenerationsManager()

    class Meta:
        verbose_name = _("committee role")
        verbose_name_plural = _("committee roles")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "unit"], condition=Q(ended_on__isnull=True), name="cells_one_active_role_per_unit"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.unit}"


class MembershipEvent(models.Model):
    """Append-only audit of membership changes: who did what to whose membership, when."""

    class Action(models.TextChoices):
        ADDED = "added", _("Added")
        ROLE_CHANGED = "role_changed", _("Role changed")
        ENDED = "ended", _("Ended")
        MOVED = "moved", _("Moved to another cell")

    membership = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=16, choices=Action.choices)
    detail = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("membership event")
        verbose_name_plural = _("membership events")

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.membership}"


class UnitEvent(models.Model):
    """Append-only audit of changes to the tree: who moved which unit, from where to where."""

    class Action(models.TextChoices):
        MOVED = "moved", _("Moved")

    # Kept when the unit is deleted later: the detail names it.
    unit = models.ForeignKey(OrgUnit, on_delete=models.SET_NULL, null=True, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=16, choices=Action.choices)
    detail = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("unit event")
        verbose_name_plural = _("unit events")

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.detail}"


class UnitTally(models.Model):
    """Counters kept for one unit: a cell's own figures, and at every committee above it the
    sum over its subtree (see cells.tally). Each app that reports figures has its own."""

    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="+")

    class Meta:
        abstract = True


class MemberTally(UnitTally):
    """Active members in cells under the unit (the unit itself, for a cell)."""

    members = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["unit"], name="cells_one_member_tally_per_unit")]

    def __str__(self) -> str:
        return f"{self.unit_id}: {self.members}"
