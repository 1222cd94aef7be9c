"""Certificate verification codes: short, readable, typed in any case.

A new code is 16 characters of Crockford's base32 (0-9 and A-Z without I, L, O, U), 80 random
bits, stored without separators and shown in four groups: ``7K3M-Q9TD-X2HV-RB5W``. People type
it in any case, with or without the dashes or spaces; I and L read as 1, O as 0 (Crockford's
rule for the look-alikes), so a misread letter still finds the certificate.

Why 80 bits is enough for a public, unauthenticated look-up: the verify endpoint answers at
most 30 look-ups a minute per IP address (courses.views.VERIFY_LIMIT). Even ten thousand
addresses guessing without pause for a year make about 1.6 x 10^11 (2^37) guesses; against a
million issued certificates (2^20) the chance that any guess hits any certificate is
2^(37 + 20 - 80) = 2^-23, about one in eight million. 80 bits is also far beyond a birthday
collision in a million codes (about 2^-41), and `code` is unique in the database anyway.

Codes issued before (32 characters of URL-safe base64, case-sensitive) stay in the database and
keep verifying: they are looked up exactly as printed.
"""

import re
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 16
GROUP = 4
_NEW = re.compile(rf"^[{ALPHABET}]{{{LENGTH}}}$")
_OLD = re.compile(r"^[A-Za-z0-9_-]{32}$")
_SEPARATORS = re.compile(r"[\s\-_.·–—]+")
_LOOK_ALIKES = str.maketrans({"I": "1", "L": "1", "O": "0"})
MAX_INPUT = 64


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def is_new_style(code: str) -> bool:
    return bool(_NEW.match(code))


def display(code: str) -> str:
    """A stored code as people read it: new codes in groups of four, old ones as they are."""
    if is_new_style(code):
        return "-".join(code[i : i + GROUP] for i in range(0, LENGTH, GROUP))
    return code


def candidates(raw: object) -> list[str]:
    """The stored codes that `raw` (typed, scanned or taken from an address) may stand for,
    most exact first; empty when it cannot be a code (too long, control characters such as
    NUL, letters outside both alphabets). Never raises."""
    if not isinstance(raw, str):
        return []
    text = raw.strip()
    if not text or len(text) > MAX_INPUT or not text.isprintable():
        return []
    found = []
    if _OLD.match(text):
        found.append(text)  # an old code, case-sensitive, exactly as printed
    folded = _SEPARATORS.sub("", text).upper().translate(_LOOK_ALIKES)
    if _NEW.match(folded) and folded not in found:
        found.append(folded)
    return found
