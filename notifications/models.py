from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.cache import GenerationsManager


def render(msgid: str, params: dict) -> str:
    """A notification's words in the active language: its message id (marked with
    gettext_noop where it is sent) translated, then filled with its parameters.

    A parameter may itself be worded in the reader's language:
    - {"msgid": "..."} (a label such as a rating) is translated;
    - {"msgid": "...", "params": {...}} is a piece rendered the same way (its own parameters
      may be pieces too);
    - {"parts": [...], "sep": ". "} joins its parts (plain strings or pieces) with `sep`,
      so a message with optional pieces (the meeting notice) needs one message id per piece,
      not one per combination."""
    if not params:
        return gettext(msgid)
    return gettext(msgid) % {key: _value(value) for key, value in params.items()}


def _value(value):
    if not isinstance(value, dict):
        return value
    if "parts" in value:
        return str(value.get("sep", " ")).join(str(_value(part)) for part in value["parts"])
    if "msgid" in value:
        return render(value["msgid"], value.get("params") or {})
    return value


class Notification(models.Model):
    """Something a user should know. Kept after it is read; never deleted by the app."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("user")
    )
    kind = models.CharField(_("kind"), max_length=40)
    # The text as worded for the recipient when sent (what e-mail, push and the live event
    # carried); shown as is for rows with no message id (those stored before it existed).
    message = models.CharField(_("message"), max_length=500)
    # The untranslated message id and its parameters: the list renders them in the reader's
    # language of the moment, so a member who switches language reads old notifications in it.
    msgid = models.CharField(_("message id"), max_length=300, blank=True)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    objects = GenerationsManager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"]), models.Index(fields=["user", "-created_at"])]

    def __str__(self) -> str:
        return self.message

    @property
    def text(self) -> str:
        """The notification in the active language (the stored text for old rows, or when its
        message id no longer takes these parameters)."""
        if not self.msgid:
            return self.message
        try:
            return render(self.msgid, self.params)[:500]
        except (KeyError, TypeError, ValueError):
            return self.message

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class PushSubscription(models.Model):
    """One browser's Web Push subscription (notifications/push.py). The member turns pushes on
    in their preferences on each phone; a subscription the push service says is gone (404/410)
    is deleted."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_subscriptions")
    endpoint = models.URLField(max_length=1000, unique=True)
    p256dh = models.CharField(max_length=200)
    auth = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("push subscription")
        verbose_name_plural = _("push subscriptions")

    def __str__(self) -> str:
        return f"{self.user_id} {self.endpoint[:60]}"
