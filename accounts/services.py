import logging

from allauth.account.models import EmailAddress
from allauth.account.utils import user_pk_to_url_str
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from accounts.models import NameChange, User
from accounts.tokens import TokenGenerator
from accounts.validators import clean_full_name

logger = logging.getLogger(__name__)


def invitation_url(user: User) -> str:
    """A one-time link to set a password: allauth's reset-from-key link with an invitation
    token (accounts.tokens), which stops working once used and after INVITATION_TIMEOUT."""
    path = reverse(
        "account_reset_password_from_key",
        kwargs={"uidb36": user_pk_to_url_str(user), "key": TokenGenerator().make_invitation_token(user)},
    )
    return settings.SITE_URL + path


def invitation_send(*, user: User, cell_name: str, invited_by: User | None) -> None:
    """E-mail the invitation after the surrounding transaction commits."""

    def send() -> None:
        with translation.override(user.language):
            context = {
                "user": user,
                "cell_name": cell_name,
                "invited_by": invited_by,
                "url": invitation_url(user),
                "days": max(1, settings.INVITATION_TIMEOUT // 86400),
                "site_url": settings.SITE_URL,
            }
            subject = render_to_string("accounts/email/invitation_subject.txt", context).strip()
            body = render_to_string("accounts/email/invitation_message.txt", context)
        try:
            send_mail(settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + subject, body, None, [user.email])
        except Exception:  # the account exists; the secretary can resend from the member list
            logger.exception("could not send the invitation to user %s", user.pk)

    transaction.on_commit(send)


def user_create_invited(*, username: str, full_name: str, email: str, phone: str = "") -> User:
    """A new account with no usable password: the invitation link sets one."""
    user = User(username=username, full_name=clean_full_name(full_name), email=email, phone=phone)
    user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    return user


def user_update_profile(
    *, user: User, email: str, phone: str, language: str, large_text: bool, email_notifications: bool
) -> User:
    """What a person changes about themselves. Not their full name: that is the record's
    (user_rename)."""
    with transaction.atomic():
        user.email = email
        user.phone = phone
        user.language = language
        user.large_text = large_text
        user.email_notifications = email_notifications
        user.save(update_fields=["email", "phone", "language", "large_text", "email_notifications"])
        # allauth keeps its own rows of addresses (a password reset adds one). An address the
        # user has given up must no longer log in or receive password-reset links.
        EmailAddress.objects.filter(user=user).exclude(email__iexact=email).delete()
    return user


def user_rename(*, actor: User | None, user: User, full_name: str) -> User:
    """Change the name on a person's record (printed on their certificates from now on), with
    an audit row. Whether the actor may is decided by the caller: a cell leader or an officer
    through cells.services.member_rename, or an admin. Raises ValidationError for a name
    accounts.validators refuses; an unchanged name writes nothing."""
    name = clean_full_name(full_name)
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if name == user.full_name:
            return user
        NameChange.objects.create(user=user, old_name=user.full_name, new_name=name, actor=actor)
        user.full_name = name
        user.save(update_fields=["full_name"])
    return user
