"""The short codes printed on invitation slips (accounts.models.InvitationSlip).

A code is 12 characters of Crockford's base32 (0-9 and A-Z without I, L, O, U), 60 random
bits, shown in three groups of four: ``7K3M-Q9TD-X2HV``. People type it in any case, with or
without the dashes or spaces; I and L read as 1 and O as 0, so a misread letter still works
(the same rules as certificate codes, courses/codes.py).

Only a keyed hash of the code is stored (`code_hash`, HMAC-SHA256 under SECRET_KEY): the
database alone does not give the codes away. Why 60 bits is enough for a public form: wrong
codes are limited per IP address (SLIP_FAILURE_LIMIT per SLIP_FAILURE_WINDOW, accounts.views);
ten thousand addresses guessing without pause for the 14 days a slip lives make about
1.3 x 10^8 (2^27) guesses; against ten thousand live slips (2^13) the chance that any guess
hits is 2^(27 + 13 - 60) = 2^-20, about one in a million.
"""

import re
import secrets

from django.utils.crypto import salted_hmac

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 12
GROUP = 4
MAX_INPUT = 64
_CODE = re.compile(rf"^[{ALPHABET}]{{{LENGTH}}}$")
_SEPARATORS = re.compile(r"[\s\-_.·–—]+")
_LOOK_ALIKES = str.maketrans({"I": "1", "L": "1", "O": "0"})


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def display(code: str) -> str:
    """``7K3MQ9TDX2HV`` -> ``7K3M-Q9TD-X2HV``."""
    return "-".join(code[i : i + GROUP] for i in range(0, len(code), GROUP))


def normalize(raw: object) -> str | None:
    """The code `raw` stands for (any case, separators ignored, look-alikes folded), or None
    when it cannot be one. Never raises."""
    if not isinstance(raw, str):
        return None
    text = raw.strip()
    if not text or len(text) > MAX_INPUT or not text.isprintable():
        return None
    folded = _SEPARATORS.sub("", text).upper().translate(_LOOK_ALIKES)
    return folded if _CODE.match(folded) else None


def code_hash(code: str) -> str:
    return salted_hmac("chibo.accounts.slipcodes", code, algorithm="sha256").hexdigest()
