"""The one error type services raise when they refuse: `ServiceError`, a `ValidationError`.

A service refuses with a message for the user ("Only a submitted pledge can be approved."),
optionally a `code` and `errors` (field or section -> message, for a form to mark). Being a
`ValidationError`, it is what Django forms and the admin already show; views show it with
`user_message(error)` (a flash message or an inline error), the same way in every app. Each app may
subclass it for the cases its views answer differently (pledges.services.StaleVersion).
"""

from django.core.exceptions import ValidationError


class ServiceError(ValidationError):
    """A refusal, with a message for the user; `errors` maps fields to messages when given."""

    def __init__(self, message: str, errors: dict | None = None, *, code: str | None = None):
        super().__init__(message, code=code)
        self.errors = errors or {}


def user_message(error: ValidationError) -> str:
    """What to show the user for a refusal: its messages in one line."""
    return " ".join(error.messages)
