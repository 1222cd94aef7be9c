"""Strings that django-allauth and Django itself show on our pages without a Vietnamese
translation of their own (allauth ships none; Django's lacks a few, mostly in the admin), or with
one that calls the reader "bạn" where the site says "đồng chí".
Listed here so that `makemessages` keeps their translations in our catalogue, which takes
precedence over the libraries' own.

Never imported at run time; gettext_noop only marks them for extraction.
"""

from django.utils.translation import gettext_noop, ngettext_lazy

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
    # The messages of the e-mail addresses page (allauth's templates/account/messages/).
    gettext_noop("Primary email address set."),
    gettext_noop("Removed email address %(email)s."),
    gettext_noop("You cannot remove your primary email address (%(email)s)."),
    gettext_noop("You have confirmed %(email)s."),
]

DJANGO_STRINGS = [
    gettext_noop("Null characters are not allowed."),
    gettext_noop("Skip to main content"),
    gettext_noop("Toggle theme (current theme: auto)"),
    gettext_noop("Toggle theme (current theme: light)"),
    gettext_noop("Toggle theme (current theme: dark)"),
    gettext_noop("Model name"),
    gettext_noop("Add link"),
    gettext_noop("Change or view list link"),
    gettext_noop("Show counts"),
    gettext_noop("Hide counts"),
    # The password validators' help texts: Django's Vietnamese says "bạn", the site "đồng chí".
    gettext_noop("Your password can’t be too similar to your other personal information."),
    gettext_noop("Your password can’t be a commonly used password."),
    gettext_noop("Your password can’t be entirely numeric."),
]

# Django's password validators (the invitation slip's page shows them): Django's Vietnamese
# catalogue lacks this one since its wording changed.
DJANGO_PLURAL_STRINGS = [
    ngettext_lazy(
        "Your password must contain at least %(min_length)d character.",
        "Your password must contain at least %(min_length)d characters.",
        8,
    ),
    ngettext_lazy(
        "This password is too short. It must contain at least %d character.",
        "This password is too short. It must contain at least %d characters.",
        8,
    ),
]
