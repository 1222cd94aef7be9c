"""Yearly pledges: the committee's template, each member's pledge, and its audit trail.

A pledge moves draft -> submitted -> (returned -> submitted)* -> approved -> reviewed -> rated;
every move is an append-only PledgeEvent. The `version` counter makes every save a
compare-and-set, so a save from an older page (a second tab) is refused, never merged.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cells.models import OrgUnit, UnitTally

DEFAULT_SECTIONS = [
    "Tư tưởng chính trị",
    "Phẩm chất đạo đức, lối sống",
    "Thực hiện chức trách, nhiệm vụ được giao",
    "Ý thức tổ chức kỷ luật, tinh thần trách nhiệm nêu gương",
    "Việc làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh",
    "Kế hoạch, biện pháp thực hiện",
]


class Rating(models.TextChoices):
    # The four official levels; the Vietnamese wording comes from the catalogue.
    EXCELLENT = "excellent", _("Completed duties excellently")
    GOOD = "good", _("Completed duties well")
    DONE = "done", _("Completed duties")
    NOT_DONE = "not_done", _("Did not complete duties")


class PledgeTemplate(models.Model):
    """The form for one year, for every cell under `unit` (a committee)."""

    unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="pledge_templates", verbose_name=_("committee")
    )
    year = models.PositiveIntegerField(_("year"))
    title = models.CharField(_("form title"), max_length=300)
    intro = models.TextField(_("introduction"), blank=True)
    intro_html = models.TextField(blank=True, editable=False)  # rendered from intro by the service
    has_year_end_review = models.BooleanField(_("year-end review"), default=True)
    due_on = models.DateField(_("pledges due on"))
    review_opens_on = models.DateField(_("year-end review opens on"), null=True, blank=True)
    review_closes_on = models.DateField(_("year-end review closes on"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # The form's idempotency key (core.idempotency): the same submission creates it once.
    client_key = models.CharField(max_length=40, blank=True, default="", editable=False)

    class Meta:
        verbose_name = _("pledge template")
        verbose_name_plural = _("pledge templates")
        ordering = ["-year", "unit__path"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "year"], name="pledges_one_template_per_unit_year"),
            models.UniqueConstraint(
                fields=["created_by", "client_key"], condition=~Q(client_key=""), name="pledges_template_once_per_key"
            ),
        ]

    def __str__(self) -> str:
        return self.title_with_year

    @property
    def names_year(self) -> bool:
        """Whether the title already says the year ("… năm 2020"): then it is not repeated."""
        return str(self.year) in self.title

    @property
    def title_with_year(self) -> str:
        return self.title if self.names_year else f"{self.title} ({self.year})"


class TemplateSection(models.Model):
    template = models.ForeignKey(PledgeTemplate, on_delete=models.CASCADE, related_name="sections")
    order = models.PositiveIntegerField(_("order"))
    title = models.CharField(_("section title"), max_length=300)
    guidance = models.TextField(_("guidance"), blank=True)
    required = models.BooleanField(_("required"), default=True)
    min_length = models.PositiveIntegerField(_("minimum length"), default=0)

    class Meta:
        ordering = ["template_id", "order", "id"]
        verbose_name = _("template section")
        verbose_name_plural = _("template sections")

    def __str__(self) -> str:
        return self.title


class Pledge(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        RETURNED = "returned", _("Returned for revision")
        APPROVED = "approved", _("Approved")
        REVIEWED = "reviewed", _("Self-reviewed")
        RATED = "rated", _("Rated")

    EDITABLE = (Status.DRAFT, Status.RETURNED)

    template = models.ForeignKey(PledgeTemplate, on_delete=models.PROTECT, related_name="pledges")
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="pledges", verbose_name=_("member")
    )
    # The cell the member belonged to when starting: its leaders review this pledge.
    cell = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="pledges", verbose_name=_("cell"))
    year = models.PositiveIntegerField(_("year"))
    status = models.CharField(_("pledge status"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    version = models.PositiveIntegerField(default=1)
    # Which page made the latest version by a save (its random per-page token and the page's
    # save counter), blank after any other change: lets that page's own later save, sent while
    # the previous one was still in flight, through the version check (see services._check_version).
    save_token = models.CharField(max_length=64, blank=True, editable=False)
    save_seq = models.PositiveIntegerField(default=0, editable=False)
    # The idempotency key (core.idempotency) of the form POST that saved the latest version,
    # blank after any other change: that very POST sent again is answered, not refused as stale.
    save_key = models.CharField(max_length=40, blank=True, default="", editable=False)
    # Word-shingle hashes of all answers, kept for the near-identical check (no text re-read).
    fingerprint = models.JSONField(default=list, blank=True)
    proposed_rating = models.CharField(_("proposed rating"), max_length=16, choices=Rating.choices, blank=True)
    rating = models.CharField(_("rating"), max_length=16, choices=Rating.choices, blank=True)
    rating_comment = models.TextField(_("comment"), blank=True)
    rating_comment_html = models.TextField(blank=True, editable=False)
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    rated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("pledge")
        verbose_name_plural = _("pledges")
        ordering = ["-year", "member__sort_name"]
        constraints = [models.UniqueConstraint(fields=["member", "year"], name="pledges_one_per_member_year")]
        indexes = [models.Index(fields=["cell", "year", "status"])]

    def __str__(self) -> str:
        return f"{self.member} – {self.year}"

    @property
    def is_editable(self) -> bool:
        return self.status in self.EDITABLE

    @property
    def was_submitted(self) -> bool:
        return self.submitted_at is not None


class PledgeAnswer(models.Model):
    pledge = models.ForeignKey(Pledge, on_delete=models.CASCADE, related_name="answers")
    section = models.ForeignKey(TemplateSection, on_delete=models.PROTECT, related_name="answers")
    text = models.TextField(blank=True)
    html = models.TextField(blank=True, editable=False)
    review_text = models.TextField(blank=True)
    review_html = models.TextField(blank=True, editable=False)

    class Meta:
        ordering = ["section__order", "section_id"]
        constraints = [models.UniqueConstraint(fields=["pledge", "section"], name="pledges_one_answer_per_section")]

    def __str__(self) -> str:
        return f"{self.pledge} – {self.section}"


class PledgeEvent(models.Model):
    """Append-only: one row per transition, with who, when and why. Never updated or deleted."""

    class Action(models.TextChoices):
        STARTED = "started", _("Draft started")
        SUBMITTED = "submitted", _("Submitted")
        RESUBMITTED = "resubmitted", _("Resubmitted")
        RETURNED = "returned", _("Returned for revision")
        APPROVED = "approved", _("Approved")
        REOPENED = "reopened", _("Reopened")
        REVIEWED = "reviewed", _("Year-end self-review submitted")
        RATED = "rated", _("Rated")
        MOVED = "moved", _("Moved to another cell")

    pledge = models.ForeignKey(Pledge, on_delete=models.PROTECT, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=16, choices=Action.choices)
    comment = models.TextField(blank=True)
    comment_html = models.TextField(blank=True, editable=False)
    # [{"section": id, "title": ..., "text": ..., "html": ...}] for comments on particular sections.
    section_comments = models.JSONField(default=list, blank=True)
    # Approved: the approver's role in the cell as it was then, as its code (cells.models.
    # Membership.Role: secretary or deputy), worded in the cell's confirmation block (pledges.pdf).
    actor_role = models.CharField(max_length=200, blank=True, default="")
    # Returned: the answers as they were returned ([{"section": id, "title": ..., "text": ...}]),
    # so the reviewer sees what changed when the pledge comes back.
    answers = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # The idempotency key (core.idempotency) of the form POST that made this transition: the
    # same POST sent again finds it and changes nothing.
    client_key = models.CharField(max_length=40, blank=True, default="", editable=False)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("pledge event")
        verbose_name_plural = _("pledge events")
        constraints = [
            models.UniqueConstraint(
                fields=["actor", "client_key"], condition=~Q(client_key=""), name="pledges_event_once_per_key"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.pledge}"


class PledgeReminder(models.Model):
    """Append-only: one row per round of reminders a leader sent for a cell and year. Kept in
    the database (not the cache) so the once-an-hour limit holds across processes and restarts."""

    cell = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recipients = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    # The form's idempotency key (core.idempotency): the same click sent again is this round.
    client_key = models.CharField(max_length=40, blank=True, default="", editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["cell", "year", "-created_at"], name="pledges_reminder_recent")]
        constraints = [
            models.UniqueConstraint(
                fields=["sent_by", "client_key"], condition=~Q(client_key=""), name="pledges_reminder_once_per_key"
            ),
        ]
        verbose_name = _("pledge reminder")
        verbose_name_plural = _("pledge reminders")

    def __str__(self) -> str:
        return f"{self.cell} {self.year} {self.created_at:%Y-%m-%d %H:%M}"


class PledgeTally(UnitTally):
    """The year's pledges of active members, in their current cell, under the unit: started
    (any state), handed in (submitted, approved, self-reviewed or rated: not a draft, not
    returned), submitted (ever), approved (or further), rated, and one count per rating. Kept
    by pledges.services (cells.tally). Overdue is not a counter (it depends on the day): the
    reports read it as members minus handed in, where the pledge form's due date has passed."""

    year = models.PositiveIntegerField()
    started = models.IntegerField(default=0)
    handed_in = models.IntegerField(default=0)
    submitted = models.IntegerField(default=0)
    approved = models.IntegerField(default=0)
    rated = models.IntegerField(default=0)
    rating_excellent = models.IntegerField(default=0)
    rating_good = models.IntegerField(default=0)
    rating_done = models.IntegerField(default=0)
    rating_not_done = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["unit", "year"], name="pledges_one_tally_per_unit_year")]
