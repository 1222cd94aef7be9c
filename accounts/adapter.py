from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.http import HttpRequest


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # Registration is closed: people join by invitation from their secretary or committee.
        return False

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        # The password-reset e-mail says how long its link lives (accounts/tokens.py).
        context = {**context, "hours": max(1, settings.PASSWORD_RESET_TIMEOUT // 3600)}
        super().send_mail(template_prefix, email, context)
