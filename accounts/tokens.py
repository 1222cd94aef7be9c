"""The one-time links that set a password, with two lifetimes.

allauth's reset-from-key link serves both a password reset and an invitation (an invited
account has no usable password yet). Both tokens hash the password, the last log-in and the
e-mail, so either stops working once used. A reset link lives PASSWORD_RESET_TIMEOUT (an
hour: whoever asks is at their mailbox now); an invitation INVITATION_TIMEOUT (three days:
the secretary sends it, the member may read mail only at the weekend, and the secretary can
send it again from the member's page). An invitation token is "inv_" + a token under its own
salt, so neither kind passes for the other and a reset token never lives three days.
ACCOUNT_PASSWORD_RESET_TOKEN_GENERATOR points allauth here.
"""

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.utils.crypto import constant_time_compare
from django.utils.http import base36_to_int

INVITATION_MARK = "inv_"  # never in a reset token (base 36 and hex digits, one "-")


class EmailAwareTokens(PasswordResetTokenGenerator):
    """Like allauth's EmailAwarePasswordResetTokenGenerator, the token also hashes the
    account's e-mail addresses (a changed address voids it); restated here because
    allauth.account.forms imports this module while it loads."""

    def _make_hash_value(self, user, timestamp) -> str:
        from allauth.account.models import EmailAddress

        value = super()._make_hash_value(user, timestamp)
        emails = {user.email} - {None, ""}
        emails.update(EmailAddress.objects.filter(user_id=user.pk).values_list("email", flat=True))
        return value + "|".join(sorted(emails))


class _InvitationTokens(EmailAwareTokens):
    key_salt = "chibo.accounts.tokens.invitation"

    def check_token(self, user, token) -> bool:
        try:
            ts = base36_to_int(token.split("-")[0])
        except ValueError:
            return False
        if not any(
            constant_time_compare(self._make_token_with_timestamp(user, ts, secret), token)
            for secret in [self.secret, *self.secret_fallbacks]
        ):
            return False
        return self._num_seconds(self._now()) - ts <= settings.INVITATION_TIMEOUT


class TokenGenerator(EmailAwareTokens):
    """Reset tokens as allauth makes them (PASSWORD_RESET_TIMEOUT); invitation tokens from
    make_invitation_token (INVITATION_TIMEOUT). check_token accepts either."""

    def make_invitation_token(self, user) -> str:
        return INVITATION_MARK + _InvitationTokens().make_token(user)

    def check_token(self, user, token) -> bool:
        if user and token and token.startswith(INVITATION_MARK):
            return _InvitationTokens().check_token(user, token[len(INVITATION_MARK) :])
        return super().check_token(user, token)
