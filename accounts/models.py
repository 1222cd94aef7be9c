from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.db import models
from django.db.models.functions import Lower
from django.dispatch import Signal
from django.utils.translation import gettext_lazy as _

from accounts.collation import sort_key

# Sent by `UserQuerySet.update` (and so by `bulk_update`) with `user_ids` and the `fields`
# written: a bulk write saves no instance and sends no post_save, and accounts.signals must
# still bump caches and end the sockets of users whose password or active flag changed.
users_updated = Signal()


class UserQuerySet(models.QuerySet):
    def update(self, **kwargs):
        user_ids = list(self.values_list("pk", flat=True))
        rows = super().update(**kwargs)
        if user_ids:
            users_updated.send(sender=self.model, user_ids=user_ids, fields=frozenset(kwargs))
        return rows


class UserManager(DjangoUserManager.from_queryset(UserQuerySet)):
    pass


class User(AbstractUser):
    """A person with an account. Vietnamese names are not split into first and last."""

    first_name = None
    last_name = None
    full_name = models.CharField(_("full name"), max_length=150)
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
        self.sort_name = sort_key(self.full_name)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "full_name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "sort_name"}
        super().save(*args, **kwargs)

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.rsplit(" ", 1)[-1] if self.full_name else self.username
