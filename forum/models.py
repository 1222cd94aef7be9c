"""The cell forum: the committee's themes, each cell's topics (themed sessions and general
topics), posts with their revisions, reactions, flags, read state and the moderation audit."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cells.models import OrgUnit, UnitTally
from core.cache import GenerationsManager


class Theme(models.Model):
    """A discussion theme of the year, set by a committee for every cell below it."""

    committee = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="forum_themes", verbose_name=_("committee")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    title = models.CharField(_("title"), max_length=400)
    description = models.TextField(_("description"), blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=1)
    window_start = models.DateField(_("hold from"), null=True, blank=True)
    window_end = models.DateField(_("hold until"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # The form's idempotency key (core.idempotency): the same submission makes one theme.
    client_key = models.CharField(max_length=40, blank=True, default="", editable=False)

    objects = GenerationsManager()

    class Meta:
        verbose_name = _("theme")
        verbose_name_plural = _("themes")
        ordering = ["-year", "order", "id"]
        indexes = [models.Index(fields=["committee", "year"])]
        constraints = [
            models.UniqueConstraint(
                fields=["created_by", "client_key"], condition=~Q(client_key=""), name="forum_theme_once_per_key"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Topic(models.Model):
    """A thread in one cell's forum: a themed session (one per cell and theme) or a general topic."""

    class Kind(models.TextChoices):
        SESSION = "session", _("Themed session")
        MEETING = "meeting", _("Monthly meeting")
        GENERAL = "general", _("General topic")

    class State(models.TextChoices):
        OPEN = "open", _("Under discussion")
        CONCLUDED = "concluded", _("Concluded")

    cell = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="forum_topics", verbose_name=_("cell"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.GENERAL)
    theme = models.ForeignKey(
        Theme, on_delete=models.PROTECT, null=True, blank=True, related_name="sessions", verbose_name=_("theme")
    )
    title = models.CharField(_("title"), max_length=400)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.OPEN)
    is_pinned = models.BooleanField(_("pinned"), default=False)
    is_locked = models.BooleanField(_("locked"), default=False)
    meeting_at = models.DateTimeField(_("meeting time"), null=True, blank=True)
    # The meeting's notice (a themed session and a monthly meeting alike): where it is held,
    # or the online room (any service: the site hosts no video), and its agenda.
    place = models.CharField(_("meeting place"), max_length=300, blank=True)
    online_url = models.URLField(_("online meeting link"), max_length=500, blank=True)
    agenda = models.TextField(_("agenda"), blank=True)
    chair = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("chair"),
    )
    meeting_secretary = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("meeting secretary"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    concluded_at = models.DateTimeField(null=True, blank=True)
    last_post_at = models.DateTimeField(null=True, blank=True)
    # The number of the topic's last change to a post: creating, editing or hiding a post
    # takes the next one, in the change's transaction under the topic's row lock, so the
    # numbers have no gaps. A client that sees one missing asks for it (forum.consumers).
    seq = models.PositiveIntegerField(default=0)

    objects = GenerationsManager()

    class Meta:
        verbose_name = _("topic")
        verbose_name_plural = _("topics")
        ordering = ["-is_pinned", "-last_post_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["cell", "theme"], condition=Q(theme__isnull=False), name="forum_one_session_per_cell_theme"
            ),
        ]
        indexes = [models.Index(fields=["cell", "-last_post_at"])]

    def __str__(self) -> str:
        return self.title

    @property
    def is_session(self) -> bool:
        return self.kind == self.Kind.SESSION

    @property
    def is_meeting(self) -> bool:
        """A meeting on the record (notice, attendance, votes, minutes): a themed session or a monthly meeting."""
        return self.kind in (self.Kind.SESSION, self.Kind.MEETING)

    @property
    def is_concluded(self) -> bool:
        return self.state == self.State.CONCLUDED

    @property
    def accepts_posts(self) -> bool:
        return not self.is_locked and not self.is_concluded


class Post(models.Model):
    """One post. Its Markdown source and cleaned HTML are both stored; it is hidden, never deleted."""

    class Kind(models.TextChoices):
        REPLY = "reply", _("Reply")
        OPENING = "opening", _("Opening paper")
        CONCLUSION = "conclusion", _("Conclusion")

    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, related_name="posts")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="forum_posts")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.REPLY)
    body_source = models.TextField()
    body_html = models.TextField()
    # Lower case, no Vietnamese diacritics: what search compares against on any database.
    search_text = models.TextField(blank=True)
    quoted = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    agree_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    hidden_reason = models.CharField(max_length=300, blank=True)
    # The topic's change number (Topic.seq) of this post's last change: created, edited or hidden.
    seq = models.PositiveIntegerField(default=0)
    # The form's idempotency key (core.idempotency): a reply, a new topic's first post, an
    # opening paper or a conclusion sent twice is stored once, and the repeat finds it.
    client_key = models.CharField(max_length=40, blank=True, default="", editable=False)

    objects = GenerationsManager()

    class Meta:
        verbose_name = _("post")
        verbose_name_plural = _("posts")
        ordering = ["id"]
        indexes = [models.Index(fields=["topic", "id"]), models.Index(fields=["topic", "author"])]
        constraints = [
            models.UniqueConstraint(fields=["topic", "seq"], name="forum_one_post_per_change"),
            models.UniqueConstraint(
                fields=["author", "client_key"], condition=~Q(client_key=""), name="forum_post_once_per_key"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.author}"

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None


class PostRevision(models.Model):
    """The text of a post before an edit; the secretary can read every one."""

    post = models.ForeignKey(Post, on_delete=models.PROTECT, related_name="revisions")
    body_source = models.TextField()
    body_html = models.TextField()
    written_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"revision of #{self.post_id}"


class Reaction(models.Model):
    class Kind(models.TextChoices):
        AGREE = "agree", _("Agree")

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="reactions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.AGREE)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = GenerationsManager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["post", "user", "kind"], name="forum_one_reaction_per_kind")]

    def __str__(self) -> str:
        return f"{self.kind} #{self.post_id}"


class Flag(models.Model):
    """A member's report of a post to the secretary; resolved, never deleted."""

    post = models.ForeignKey(Post, on_delete=models.PROTECT, related_name="flags")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("reason"), max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolution = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["post", "user"], condition=Q(resolved_at__isnull=True), name="forum_one_open_flag_per_user"
            ),
        ]

    def __str__(self) -> str:
        return f"flag on #{self.post_id}"


class ReadState(models.Model):
    """How far a user has read a topic: the highest post id seen."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="read_states")
    last_read_post_id = models.BigIntegerField(default=0)

    objects = GenerationsManager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "topic"], name="forum_one_read_state")]

    def __str__(self) -> str:
        return f"{self.user_id} read {self.topic_id} to #{self.last_read_post_id}"


class Minutes(models.Model):
    """That a meeting was concluded: its number and its attendance counts. The PDF itself is
    made on each download (forum.minutes), so it never keeps a post that was hidden since.

    The number (Số 03-BB/CB) counts the cell's minutes of one year, in the order their
    meetings were first concluded; it is given once, at the first conclusion, and kept through
    a reopening and a second conclusion. The counts are forum.selectors.attendance_count's,
    written at the conclusion and after every correction of the roll."""

    topic = models.OneToOneField(Topic, on_delete=models.PROTECT, related_name="minutes")
    cell = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    number = models.PositiveIntegerField()
    participants = models.PositiveIntegerField(default=0)  # present
    excused = models.PositiveIntegerField(default=0)  # absent with a reason
    absentees = models.PositiveIntegerField(default=0)  # absent, with a reason or without
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["cell", "year", "number"], name="forum_one_minutes_number_per_cell_year")
        ]

    def __str__(self) -> str:
        return f"minutes of {self.topic_id}"

    @property
    def absent_without_reason(self) -> int:
        return self.absentees - self.excused

    @property
    def reference(self) -> str:
        """ "Số 03-BB/CB": the document's number as a Party document prints it (Hướng dẫn
        36-HD/VPTW: from 01; BB a biên bản, CB the issuing cell)."""
        return f"Số {self.number:02d}-BB/CB"


class ModerationEvent(models.Model):
    """Append-only audit of what leaders did in a forum, and of session state changes."""

    class Action(models.TextChoices):
        OPENED = "opened", _("Session opened")
        CONCLUDED = "concluded", _("Session concluded")
        REOPENED = "reopened", _("Session reopened")
        PINNED = "pinned", _("Pinned")
        UNPINNED = "unpinned", _("Unpinned")
        LOCKED = "locked", _("Locked")
        UNLOCKED = "unlocked", _("Unlocked")
        HIDDEN = "hidden", _("Post hidden")
        FLAG_RESOLVED = "flag_resolved", _("Flag resolved")
        REMINDED = "reminded", _("Reminder sent")
        SCHEDULED = "scheduled", _("Meeting scheduled")
        MEETING_CHANGED = "meeting_changed", _("Meeting details changed")
        ATTENDANCE = "attendance", _("Attendance recorded")
        MOTION_OPENED = "motion_opened", _("Vote opened")
        MOTION_CLOSED = "motion_closed", _("Vote closed")

    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, related_name="moderation_events")
    post = models.ForeignKey(Post, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=16, choices=Action.choices)
    detail = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # The form's idempotency key (core.idempotency): a reminder round or a reopening sent twice counts once.
    client_key = models.CharField(max_length=40, blank=True, default="", editable=False)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["actor", "client_key"], condition=~Q(client_key=""), name="forum_moderation_once_per_key"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.topic}"


class Absence(models.Model):
    """A member's word, before the meeting, that they cannot attend, with the reason."""

    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, related_name="absences")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("reason"), max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)
    client_key = models.CharField(max_length=40, blank=True, default="", editable=False)

    objects = GenerationsManager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["topic", "user"], name="forum_one_absence_per_member")]

    def __str__(self) -> str:
        return f"{self.user_id} absent from {self.topic_id}"


class Attendance(models.Model):
    """The secretary's roll call (điểm danh) for one member of one meeting."""

    class Status(models.TextChoices):
        PRESENT = "present", _("Present")
        EXCUSED = "excused", _("Absent with a reason")
        ABSENT = "absent", _("Absent without a reason")

    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, related_name="attendance")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("attendance"), max_length=16, choices=Status.choices)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    objects = GenerationsManager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["topic", "user"], name="forum_one_attendance_per_member")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.status} at {self.topic_id}"


class Motion(models.Model):
    """A vote (biểu quyết) the meeting's secretary opens during a meeting.

    `counts` holds one number per option, kept under the motion's row lock as ballots come
    in. For a secret ballot it is the only place a choice leaves a trace: the Ballot row
    records that the member voted, never what."""

    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, related_name="motions")
    text = models.CharField(_("motion"), max_length=1000)
    options = models.JSONField(default=list)
    counts = models.JSONField(default=list)
    secret = models.BooleanField(_("secret ballot"), default=False)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    client_key = models.CharField(max_length=40, blank=True, default="", editable=False)

    objects = GenerationsManager()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["opened_by", "client_key"], condition=~Q(client_key=""), name="forum_motion_once_per_key"
            ),
        ]

    def __str__(self) -> str:
        return self.text

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None


class Ballot(models.Model):
    """That a member voted on a motion; the choice only for an open ballot (NULL when secret)."""

    motion = models.ForeignKey(Motion, on_delete=models.PROTECT, related_name="ballots")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    choice = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    client_key = models.CharField(max_length=40, blank=True, default="", editable=False)

    objects = GenerationsManager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["motion", "user"], name="forum_one_ballot_per_member")]

    def __str__(self) -> str:
        return f"{self.user_id} voted on {self.motion_id}"


class SessionTally(UnitTally):
    """Themed sessions of one theme in cells under the unit: concluded (held) and opened but
    not concluded. Kept by forum.services (cells.tally)."""

    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="+")
    held = models.IntegerField(default=0)
    open = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["unit", "theme"], name="forum_one_session_tally")]


class MeetingTally(UnitTally):
    """Monthly meetings concluded (held) in cells under the unit, by the year of the meeting."""

    year = models.PositiveSmallIntegerField()
    held = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["unit", "year"], name="forum_one_meeting_tally")]
