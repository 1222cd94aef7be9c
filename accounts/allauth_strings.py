"""Strings that django-allauth shows on our pages, listed so `makemessages` keeps their
Vietnamese translations in our catalogue (allauth ships no Vietnamese of its own).

Never imported at run time; gettext_noop only marks them for extraction.
"""

from django.utils.translation import gettext_noop

ALLAUTH_STRINGS = [
    gettext_noop("Password"),
    gettext_noop("Password (again)"),
    gettext_noop("Current Password"),
    gettext_noop("New Password"),
    gettext_noop("New Password (again)"),
    gettext_noop("Remember Me"),
    gettext_noop("Username"),
    gettext_noop("Username or email"),
    gettext_noop("Email"),
    gettext_noop("Email address"),
    gettext_noop("You must type the same password each time."),
    gettext_noop("This account is currently inactive."),
    gettext_noop("The email address and/or password you specified are not correct."),
    gettext_noop("The username and/or password you specified are not correct."),
    gettext_noop("Please type your current password."),
    gettext_noop("Incorrect password."),
    gettext_noop("Invalid or expired key."),
    gettext_noop("Invalid login."),
    gettext_noop("The password reset token was invalid."),
    gettext_noop("Too many failed login attempts. Try again later."),
    gettext_noop("The email address is not assigned to any user account."),
    gettext_noop("Too many failed attempts. Try again later."),
]
