"""The one check of a person's full name, used by every path that writes one: the member-add
form and the CSV import (cells.imports.validate_rows), the secretary's rename
(cells.forms.MemberNameForm), the admin (the model field's validator) and the services
(accounts.services). `User.save` normalises once more as a last guard.

A name is stored in NFC with single ASCII spaces. Refused, with a message saying which
character: bidirectional controls (they make "Ấn" display as another name), any other
control or format character (zero-width spaces and joiners, soft hyphens, byte-order
marks), line separators, private-use and unassigned code points, and a name with no letter
at all (only spaces or invisible characters).
"""

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

BIDI_CONTROLS = frozenset(
    [chr(c) for c in range(0x202A, 0x202F)] + [chr(c) for c in range(0x2066, 0x206A)] + ["\u200e", "\u200f", "\u061c"]
)
# Cc control, Cf format, Cs surrogate, Co private use, Cn unassigned, Zl/Zp line/paragraph separators.
REFUSED_CATEGORIES = frozenset(["Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"])


def normalize_full_name(value: str) -> str:
    """NFC, runs of any whitespace as one space, no spaces at the ends."""
    return " ".join(unicodedata.normalize("NFC", value or "").split())


def clean_full_name(value: str) -> str:
    """The name as it is stored, or ValidationError with a message for the person typing it."""
    name = normalize_full_name(value)
    if not any(unicodedata.category(ch).startswith("L") for ch in name):
        raise ValidationError(
            _("Enter the full name in letters; it cannot be only spaces or invisible characters."), code="empty"
        )
    for ch in name:
        code = f"U+{ord(ch):04X}"
        if ch in BIDI_CONTROLS:
            raise ValidationError(
                _(
                    "The name contains a hidden character that changes the direction of the text (%(code)s). "
                    "Please type the name again without it."
                ),
                code="bidi",
                params={"code": code},
            )
        if unicodedata.category(ch) in REFUSED_CATEGORIES:
            raise ValidationError(
                _(
                    "The name contains an invisible or control character (%(code)s). "
                    "Please type the name again without it."
                ),
                code="control",
                params={"code": code},
            )
    return name


def validate_full_name(value: str) -> None:
    """The model field's validator (the admin's forms run it)."""
    clean_full_name(value)


_PHONE_SEPARATORS = re.compile(r"[\s.\-()]+")
_PHONE = re.compile(r"^0\d{9,10}$")


def clean_phone(value: str) -> str:
    """A Vietnamese phone number, checked loosely and stored as dialled at home: spaces, dots,
    dashes and brackets dropped, +84 or 84 written as 0; then 0 and 9 or 10 digits (mobile
    numbers have 10 digits, landlines 11). Empty stays empty."""
    text = _PHONE_SEPARATORS.sub("", value or "")
    if not text:
        return ""
    if text.startswith("+84"):
        text = "0" + text[3:]
    elif text.startswith("84") and len(text) in (11, 12):
        text = "0" + text[2:]
    if not _PHONE.match(text):
        raise ValidationError(
            _("This is not a Vietnamese phone number. Write it as you dial it, for example 0912 345 678."),
            code="phone",
        )
    return text
