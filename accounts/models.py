from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from accounts.collation import sort_key
from accounts.validators import normalize_full_name, validate_full_name
from core.cache import GenerationsQuerySet


class UserManager(DjangoUserManager):
    """Django's, with bulk writes that bump the cache (core.cache, accounts.signals)."""

    _queryset_class = GenerationsQuerySet


class User(AbstractUser):
    """A person with an account. Vietnamese names are not split into first and last."""

    first_name = None
    last_name = None
    # The name on the member's record, as the cell or the committee keeps it: printed on
    # certificates and verified publicly. Changed by a cell leader or an officer
    # (cells.services.member_rename) or an admin, each audited in NameChange; never by the
    # member. Checked by accounts.validators.
    full_name = models.CharField(_("full name"), max_length=150, validators=[validate_full_name])
    email = models.EmailField(_("email address"), blank=True)
    phone = models.CharField(_("phone number"), max_length=20, blank=True)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default="vi")
    large_text = models.BooleanField(_("large text"), default=False)
    email_notifications = models.BooleanField(_("send notifications by email"), default=True)
    # Derived from full_name on every save: Vietnamese order, given name first (collation.py).
    sort_name = models.CharField(max_length=300, editable=False, db_index=True, default="")

    REQUIRED_FIELDS = ["email", "full_name"]

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            # Log-in by e-mail needs e-mails to be unique, whatever their case.
            models.UniqueConstraint(
                Lower("email"),
                condition=~models.Q(email=""),
                name="accounts_user_email_ci_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name or self.username

    def save(self, *args, **kwargs) -> None:
        # Kept in step with full_name here, not in a service, because the admin, allauth and
        # fixtures all save users too; it is a derived column, not a side effect.
        self.full_name = normalize_full_name(self.full_name)
        self.sort_name = sort_key(self.full_name)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "full_name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "sort_name"}
        super().save(*args, **kwargs)

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.rsplit(" ", 1)[-1] if self.full_name else self.username


class NameChange(models.Model):
    """Append-only audit of changes to a person's full name: whose, from what to what, by whom."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="name_changes")
    old_name = models.CharField(max_length=150)
    new_name = models.CharField(max_length=150)
    actor = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("name change")
        verbose_name_plural = _("name changes")

    def __str__(self) -> str:
        return f"{self.old_name} → {self.new_name}"


class InvitationSlip(models.Model):
    """A printed invitation (accounts.services.slip_issue): the member opens the link in its QR
    code or types its short code (accounts.slipcodes) to set a password. Only a keyed hash of
    the code is kept. Single-use (`used_at`), expires (`expires_at`, INVITATION_SLIP_TIMEOUT),
    and a newer slip for the same person revokes this one (`revoked_at`), as does the end of
    the person's membership (accounts.services.slips_withdraw, called by cells); `revoked_why`
    says which, so whoever types the code is told why it no longer works."""

    class Revocation(models.TextChoices):
        REPLACED = "replaced", _("Replaced by a new slip")
        LEFT = "left", _("Membership ended")

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="invitation_slips")
    code_hash = models.CharField(max_length=64, unique=True, editable=False)
    issued_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    issued_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_why = models.CharField(max_length=16, choices=Revocation.choices, blank=True, default="")
    # The print form's idempotency key (core.idempotency): a double tap on "print" must not
    # print a second batch that revokes the first one the secretary is holding.
    issue_key = models.CharField(max_length=40, blank=True, default="", editable=False)

    class Meta:
        ordering = ["-issued_at", "-id"]
        verbose_name = _("invitation slip")
        verbose_name_plural = _("invitation slips")
        indexes = [models.Index(fields=["user", "-issued_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["issued_by", "issue_key", "user"],
                condition=~models.Q(issue_key=""),
                name="accounts_slip_one_per_print",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.issued_at:%Y-%m-%d})"


class InvitationSlipEvent(models.Model):
    """Append-only audit of invitation slips: each issue, revocation (by a newer slip, or
    withdrawn when the membership ended), use and failed attempt (with the address it came
    from). A wrong code matches no slip: `slip` is empty then."""

    class Action(models.TextChoices):
        ISSUED = "issued", _("Printed")
        REVOKED = "revoked", _("Replaced by a new slip")
        USED = "used", _("Used")
        WRONG = "wrong", _("Wrong code")
        EXPIRED = "expired", _("Expired code tried")
        SPENT = "spent", _("Used code tried again")
        REPLACED = "replaced", _("Replaced code tried")
        WITHDRAWN = "withdrawn", _("Withdrawn: the membership ended")
        LEFT = "left", _("Code of a member who left tried")
        CLOSED = "closed", _("Code of a disabled account tried")

    slip = models.ForeignKey(InvitationSlip, on_delete=models.PROTECT, null=True, blank=True, related_name="events")
    user = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    actor = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    action = models.CharField(max_length=16, choices=Action.choices)
    # Why, where the action needs one: the reason the membership was ended (WITHDRAWN).
    detail = models.CharField(max_length=300, blank=True, default="")
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("invitation slip event")
        verbose_name_plural = _("invitation slip events")

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.user or '-'}"
