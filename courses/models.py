import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.validators import normalize_full_name
from cells.models import OrgUnit, UnitTally
from courses import codes
from courses.validators import validate_pdf, validate_video_url


class Module(models.Model):
    """A study module (chuyên đề học tập) published by a committee to its whole subtree."""

    year = models.PositiveSmallIntegerField(_("year"))
    directive = models.CharField(_("directive"), max_length=120, help_text=_("For example: Chỉ thị 05-CT/TW"))
    title = models.CharField(_("Title"), max_length=300)
    summary = models.TextField(_("summary"), blank=True, help_text=_("Markdown."))
    summary_html = models.TextField(blank=True, editable=False)
    audience = models.ForeignKey(
        OrgUnit,
        on_delete=models.PROTECT,
        related_name="course_modules",
        verbose_name=_("audience"),
        help_text=_("The committee publishing the module; every cell under it studies it."),
    )
    issuer = models.ForeignKey(
        OrgUnit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="issued_course_modules",
        verbose_name=_("issuing committee"),
        help_text=_("Named on certificates and in their serial numbers. Empty: the audience's committee."),
    )
    publish_from = models.DateTimeField(_("published from"), null=True, blank=True)
    publish_until = models.DateTimeField(_("published until"), null=True, blank=True)
    due_on = models.DateField(_("due date"), null=True, blank=True)
    pass_mark = models.PositiveSmallIntegerField(
        _("pass mark (%)"), default=80, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    attempts_allowed = models.PositiveSmallIntegerField(_("attempts allowed"), default=0, help_text=_("0 = unlimited"))
    questions_per_attempt = models.PositiveSmallIntegerField(
        _("questions per attempt"), default=10, validators=[MinValueValidator(1)]
    )
    show_answers = models.BooleanField(_("show answers after an attempt"), default=True)
    certificate_enabled = models.BooleanField(_("issue certificates"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("study module")
        verbose_name_plural = _("study modules")
        ordering = ["-year", "title", "id"]

    def __str__(self) -> str:
        return self.title_with_year

    @property
    def title_with_year(self) -> str:
        """The title, followed by the year unless the title already names it ("… năm 2020")."""
        if self.year and str(self.year) not in self.title:
            return f"{self.title} ({self.year})"
        return self.title

    @property
    def is_published(self) -> bool:
        now = timezone.now()
        return (
            self.publish_from is not None
            and self.publish_from <= now
            and (self.publish_until is None or now <= self.publish_until)
        )

    @property
    def issuing_unit(self) -> OrgUnit:
        return self.issuer if self.issuer_id else self.audience

    def clean(self) -> None:
        if self.publish_from and self.publish_until and self.publish_until < self.publish_from:
            raise ValidationError({"publish_until": _("The end of publication comes before its start.")})
        if self.issuer_id and self.audience_id and not self.audience.path.startswith(self.issuer.path):
            raise ValidationError({"issuer": _("The audience must be within the issuing committee's subtree.")})


class Lesson(models.Model):
    module = models.ForeignKey(Module, on_delete=models.CASCADE, related_name="lessons", verbose_name=_("module"))
    position = models.PositiveSmallIntegerField(_("position"), default=1)
    title = models.CharField(_("Title"), max_length=300)
    body = models.TextField(_("text"), blank=True, help_text=_("Markdown."))
    body_html = models.TextField(blank=True, editable=False)
    video_url = models.URLField(_("video link"), blank=True, validators=[validate_video_url])

    class Meta:
        verbose_name = _("lesson")
        verbose_name_plural = _("lessons")
        ordering = ["module_id", "position", "id"]

    def __str__(self) -> str:
        return self.title

    @property
    def numbered_in_title(self) -> bool:
        """The author numbered it ("Bài 1. …", "2) …"): the page must not number it again."""
        return bool(LESSON_NUMBER.match(self.title))


LESSON_NUMBER = re.compile(
    r"^\s*(?:(?:bài|phần|chương|lesson|part)\s+(?:[0-9]+|[ivxlc]+)\b|[0-9]+\s*[.:)\-–])", re.IGNORECASE
)


def _document_path(instance: "LessonDocument", filename: str) -> str:
    # The stored name never comes from the uploader: no path tricks, no guessable names.
    import secrets

    return f"courses/documents/{instance.lesson.module_id}/{secrets.token_hex(16)}.pdf"


class LessonDocument(models.Model):
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="documents", verbose_name=_("lesson"))
    title = models.CharField(_("Title"), max_length=200)
    file = models.FileField(_("PDF file"), upload_to=_document_path, validators=[validate_pdf])
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["lesson_id", "id"]

    def __str__(self) -> str:
        return self.title


class Question(models.Model):
    class Kind(models.TextChoices):
        SINGLE = "single", _("Single choice")
        MULTIPLE = "multiple", _("Multiple choice")

    module = models.ForeignKey(Module, on_delete=models.CASCADE, related_name="questions", verbose_name=_("module"))
    position = models.PositiveSmallIntegerField(_("position"), default=1)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.SINGLE)
    text = models.TextField(_("question"))
    explanation = models.TextField(_("explanation"), blank=True, help_text=_("Shown in the review."))

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["module_id", "position", "id"]

    def __str__(self) -> str:
        return self.text[:80]


class Choice(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices", verbose_name=_("question"))
    position = models.PositiveSmallIntegerField(_("position"), default=1)
    text = models.CharField(_("answer"), max_length=500)
    is_correct = models.BooleanField(_("correct"), default=False)

    class Meta:
        verbose_name = _("answer choice")
        verbose_name_plural = _("answer choices")
        ordering = ["question_id", "position", "id"]

    def __str__(self) -> str:
        return self.text[:80]


class LessonRead(models.Model):
    """A member has read a lesson (marked it, or reached its end)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="reads")
    read_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "lesson"], name="courses_one_read_per_lesson")]

    def __str__(self) -> str:
        return f"{self.user_id} read {self.lesson_id}"


class ModuleProgress(models.Model):
    """One member's summary for one module, kept by the services so tracking reads one row."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="course_progress")
    module = models.ForeignKey(Module, on_delete=models.CASCADE, related_name="progress")
    lessons_read = models.PositiveSmallIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(default=0)
    best_score = models.PositiveSmallIntegerField(null=True, blank=True)
    passed_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "module"], name="courses_one_progress_per_module")]

    def __str__(self) -> str:
        return f"{self.user_id} on {self.module_id}"


class Attempt(models.Model):
    """One go at the quiz. The questions drawn are stored, so a reload shows the same ones."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="quiz_attempts")
    module = models.ForeignKey(Module, on_delete=models.PROTECT, related_name="attempts")
    number = models.PositiveSmallIntegerField()
    question_ids = models.JSONField(default=list)
    answers = models.JSONField(default=dict, blank=True)  # {"question id": [choice ids]}
    started_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    correct = models.PositiveSmallIntegerField(null=True, blank=True)
    score = models.PositiveSmallIntegerField(null=True, blank=True)  # percent
    passed = models.BooleanField(null=True)
    # Idempotency keys (core.idempotency) of the form that started this attempt and of the
    # submission that graded it: the same Start or Submit sent again finds this attempt (never
    # a second one) and is answered as the first was.
    start_key = models.CharField(max_length=40, blank=True, default="", editable=False)
    submit_key = models.CharField(max_length=40, blank=True, default="", editable=False)

    class Meta:
        ordering = ["module_id", "user_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["user", "module", "number"], name="courses_attempt_number_unique"),
            models.UniqueConstraint(
                fields=["user", "start_key"], condition=~Q(start_key=""), name="courses_attempt_started_once_per_key"
            ),
            # At most one open attempt per member and module, even when two starts race.
            models.UniqueConstraint(
                fields=["user", "module"], condition=Q(submitted_at__isnull=True), name="courses_one_open_attempt"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.module} #{self.number}"

    @property
    def is_graded(self) -> bool:
        return self.submitted_at is not None


class Certificate(models.Model):
    """A giấy chứng nhận. Everything printed is a snapshot taken when it was issued."""

    class Status(models.TextChoices):
        VALID = "valid", _("Valid")
        REVOKED = "revoked", _("Revoked")
        REPLACED = "replaced", _("Replaced")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="certificates")
    module = models.ForeignKey(Module, on_delete=models.PROTECT, related_name="certificates")
    cell = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    is_current = models.BooleanField(default=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.VALID)
    serial = models.CharField(max_length=40, unique=True)
    code = models.CharField(max_length=64, unique=True)
    holder_name = models.CharField(max_length=150)
    module_title = models.CharField(max_length=300)
    directive = models.CharField(max_length=120)
    issuer_name = models.CharField(max_length=200)
    # The committee above the issuer (first line of the header) and who signed, as they were
    # when issued; blank on certificates issued before signers were kept (space to sign by hand).
    superior_name = models.CharField(max_length=200, blank=True, default="")
    signer_title = models.CharField(max_length=100, blank=True, default="")
    signer_name = models.CharField(max_length=150, blank=True, default="")
    place = models.CharField(max_length=100, blank=True)
    issued_on = models.DateField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=500, blank=True)
    replaced_by = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True, related_name="replaces")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        ordering = ["-issued_on", "-id"]
        constraints = [
            # Exactly one current certificate per member and module: the race-proof guarantee.
            models.UniqueConstraint(
                fields=["user", "module"], condition=Q(is_current=True), name="courses_one_current_certificate"
            ),
        ]

    def __str__(self) -> str:
        return self.serial

    @property
    def code_display(self) -> str:
        """The verification code as printed and typed: four groups of four (courses.codes)."""
        return codes.display(self.code)

    @property
    def name_matches_record(self) -> bool:
        """Whether the printed name is still the name on the holder's record. Names are kept by
        the cell (accounts.validators, cells.services.member_rename); a certificate issued
        before that, or before a correction, may carry another: the verification page then
        says it does not vouch for the name, until an officer or admin reissues it."""
        return normalize_full_name(self.holder_name) == normalize_full_name(self.user.full_name)


def _signer_image_path(instance: "CertificateSigner", filename: str) -> str:
    # Never the uploader's name; always PNG, because the upload is decoded and re-encoded.
    import secrets

    return f"courses/signers/{instance.unit_id}/{secrets.token_hex(16)}.png"


class CertificateSigner(models.Model):
    """Who signs a committee's certificates "T/M BAN THƯỜNG VỤ", set by a site admin. The
    optional scanned signature and seal are decoded, checked and re-encoded as PNG on upload
    (courses.validators.clean_signer_image), kept under MEDIA_ROOT and shown only through
    a view that checks permission (never as public files)."""

    unit = models.OneToOneField(
        OrgUnit, on_delete=models.CASCADE, related_name="+", verbose_name=_("issuing committee")
    )
    title = models.CharField(
        _("signer's title"), max_length=100, help_text=_("Printed above the signature, e.g. PHÓ BÍ THƯ.")
    )
    name = models.CharField(_("signer's full name"), max_length=150)
    signature = models.FileField(_("scanned signature"), upload_to=_signer_image_path, blank=True)
    seal = models.FileField(_("seal"), upload_to=_signer_image_path, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("certificate signer")
        verbose_name_plural = _("certificate signers")
        ordering = ["unit__path"]

    def __str__(self) -> str:
        return f"{self.unit}: {self.title} {self.name}"


class CertificateEvent(models.Model):
    """Append-only audit of certificates: issued, revoked, reissued."""

    class Action(models.TextChoices):
        ISSUED = "issued", _("Issued")
        REVOKED = "revoked", _("Revoked")
        REISSUED = "reissued", _("Reissued")

    certificate = models.ForeignKey(Certificate, on_delete=models.PROTECT, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=10, choices=Action.choices)
    detail = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.certificate_id}"


class CourseReminder(models.Model):
    """Append-only: one row per round of reminders a leader sent for a cell and module. Kept in
    the database (not the cache) so the once-an-hour limit holds across processes and restarts."""

    cell = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="+")
    module = models.ForeignKey(Module, on_delete=models.CASCADE, related_name="reminders")
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recipients = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    # The form's idempotency key (core.idempotency): the same click sent again is this round.
    client_key = models.CharField(max_length=40, blank=True, default="", editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["cell", "module", "-created_at"], name="courses_reminder_recent")]
        constraints = [
            models.UniqueConstraint(
                fields=["sent_by", "client_key"], condition=~Q(client_key=""), name="courses_reminder_once_per_key"
            ),
        ]
        verbose_name = _("course reminder")
        verbose_name_plural = _("course reminders")

    def __str__(self) -> str:
        return f"{self.cell} {self.module_id} {self.created_at:%Y-%m-%d %H:%M}"


class ModuleTally(UnitTally):
    """Active members of cells under the unit, inside the module's audience, who completed it.
    Kept by courses.services (cells.tally)."""

    module = models.ForeignKey(Module, on_delete=models.CASCADE, related_name="+")
    completed = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["unit", "module"], name="courses_one_module_tally")]
