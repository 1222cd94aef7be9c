import datetime
import logging
from dataclasses import dataclass

from allauth.account.models import EmailAddress
from allauth.account.utils import user_pk_to_url_str
from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from accounts import slipcodes
from accounts.models import InvitationSlip, InvitationSlipEvent, NameChange, User
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


# --- Invitation slips (printed; accounts.slipcodes, accounts.models.InvitationSlip) -----------


@dataclass(frozen=True)
class IssuedSlip:
    user: User
    code: str  # the only time the code exists in clear: it goes on the printed slip
    slip: InvitationSlip


class SlipsAlreadyIssued(Exception):
    """This print form was sent before (a double tap): its slips exist and are not replaced."""


def slip_issue(*, actor: User | None, users: list[User], ip: str | None = None, key: str = "") -> list[IssuedSlip]:
    """A new slip for each of `users`; any earlier slip of theirs still open is revoked (a
    new slip is also how a member who forgot the password gets back in). Whether the actor
    may is decided by the caller (cells.permissions.slip_candidates). Audited. `key` is the
    form's idempotency key (core.idempotency.posted_key): sent again, SlipsAlreadyIssued and
    nothing changes, also when both arrive at once (the unique constraint)."""
    now = timezone.now()
    expires = now + datetime.timedelta(seconds=settings.INVITATION_SLIP_TIMEOUT)
    user_ids = [user.pk for user in users]
    if key and InvitationSlip.objects.filter(issued_by=actor, issue_key=key).exists():
        raise SlipsAlreadyIssued
    try:
        return _slip_issue(actor=actor, users=users, ip=ip, key=key, now=now, expires=expires, user_ids=user_ids)
    except IntegrityError:
        if key and InvitationSlip.objects.filter(issued_by=actor, issue_key=key).exists():
            raise SlipsAlreadyIssued from None
        raise


def _slip_issue(*, actor, users, ip, key, now, expires, user_ids) -> list[IssuedSlip]:
    with transaction.atomic():
        open_slips = list(
            InvitationSlip.objects.select_for_update()
            .filter(user_id__in=user_ids, used_at__isnull=True, revoked_at__isnull=True)
            .values_list("pk", "user_id")
        )
        if open_slips:
            InvitationSlip.objects.filter(pk__in=[pk for pk, _ in open_slips]).update(
                revoked_at=now, revoked_why=InvitationSlip.Revocation.REPLACED
            )
        # Four queries whatever the number of slips. Two equal codes among 60-bit random ones
        # are all but impossible; the unique hash would refuse them (IntegrityError, nothing
        # written, the secretary prints again).
        codes = [slipcodes.new_code() for _ in users]
        slips = InvitationSlip.objects.bulk_create(
            [
                InvitationSlip(
                    user=user, code_hash=slipcodes.code_hash(code), issued_by=actor, expires_at=expires, issue_key=key
                )
                for user, code in zip(users, codes, strict=True)
            ]
        )
        issued = [
            IssuedSlip(user=user, code=code, slip=slip) for user, code, slip in zip(users, codes, slips, strict=True)
        ]
        InvitationSlipEvent.objects.bulk_create(
            [
                InvitationSlipEvent(
                    slip_id=pk, user_id=user_id, actor=actor, action=InvitationSlipEvent.Action.REVOKED, ip=ip
                )
                for pk, user_id in open_slips
            ]
            + [
                InvitationSlipEvent(
                    slip=item.slip, user=item.user, actor=actor, action=InvitationSlipEvent.Action.ISSUED, ip=ip
                )
                for item in issued
            ]
        )
    return issued


def slips_withdraw(*, actor: User | None, user: User, reason: str) -> int:
    """Close the user's open slips because they are no longer a member of the cell that
    printed them, or now hold a role no slip may open (called by cells.services when a
    membership ends or moves, and when a committee role is given): whoever finds the slip
    must not set a password with it. One audit row per slip, with the reason the
    membership ended. Used and expired slips are left as they are. Returns how many."""
    now = timezone.now()
    with transaction.atomic():
        open_ids = list(
            InvitationSlip.objects.select_for_update()
            .filter(user=user, used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now)
            .values_list("pk", flat=True)
        )
        if not open_ids:
            return 0
        InvitationSlip.objects.filter(pk__in=open_ids).update(
            revoked_at=now, revoked_why=InvitationSlip.Revocation.LEFT
        )
        InvitationSlipEvent.objects.bulk_create(
            [
                InvitationSlipEvent(
                    slip_id=pk,
                    user=user,
                    actor=actor,
                    action=InvitationSlipEvent.Action.WITHDRAWN,
                    detail=(reason or "")[:300],
                )
                for pk in open_ids
            ]
        )
    return len(open_ids)


class SlipRefused(Exception):
    """The code cannot be used; `action` is the InvitationSlipEvent action recorded."""

    def __init__(self, action: str):
        super().__init__(action)
        self.action = action


def slip_find(*, raw_code: object, ip: str | None) -> InvitationSlip:
    """The open slip `raw_code` stands for, or SlipRefused (wrong, used, expired, replaced or
    withdrawn code, or a disabled account), each failure audited with the address."""
    code = slipcodes.normalize(raw_code)
    slip = None
    if code is not None:
        slip = InvitationSlip.objects.select_related("user").filter(code_hash=slipcodes.code_hash(code)).first()
    action = _slip_problem(slip)
    if action is not None:
        InvitationSlipEvent.objects.create(slip=slip, user=slip.user if slip else None, action=action, ip=ip)
        raise SlipRefused(action)
    return slip


def _slip_problem(slip: InvitationSlip | None) -> str | None:
    Action = InvitationSlipEvent.Action
    if slip is None:
        return Action.WRONG
    if slip.used_at is not None:
        return Action.SPENT
    if not slip.user.is_active:
        return Action.CLOSED
    if slip.user.is_staff or slip.user.is_superuser:  # made staff after it was printed
        return Action.LEFT
    if slip.revoked_at is not None:
        return Action.LEFT if slip.revoked_why == InvitationSlip.Revocation.LEFT else Action.REPLACED
    if slip.expires_at <= timezone.now():
        return Action.EXPIRED
    return None


def slip_redeem(*, slip: InvitationSlip, password: str, phone: str, ip: str | None) -> User:
    """Use the slip: set the password (and the phone number when one is given), once. A new
    password ends every other session of the user: Django's session hash changes, and
    accounts.signals closes their sockets (`access.changed`)."""
    with transaction.atomic():
        slip = InvitationSlip.objects.select_for_update().select_related("user").get(pk=slip.pk)
        action = _slip_problem(slip)
        if action is not None:  # used a moment ago, in another tab
            InvitationSlipEvent.objects.create(slip=slip, user=slip.user, action=action, ip=ip)
            raise SlipRefused(action)
        user = slip.user
        user.set_password(password)
        fields = ["password"]
        if phone:
            user.phone = phone
            fields.append("phone")
        user.save(update_fields=fields)
        slip.used_at = timezone.now()
        slip.save(update_fields=["used_at"])
        InvitationSlipEvent.objects.create(slip=slip, user=user, action=InvitationSlipEvent.Action.USED, ip=ip)
    return user
