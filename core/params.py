"""Reading numbers and text that arrive in a URL or a form, for every view.

`str.isdigit()` accepts "²" and "١٢" (int() refuses the first and reads the second), and
int() accepts " 3" and a hundred digits that no database column holds; a NUL byte in a
string stops PostgreSQL. Views read such input through these helpers only, so that odd
input means "not given", never a 500.
"""

import re

_DIGITS = re.compile(r"[0-9]{1,18}")
MAX_ID = 2**63 - 1  # PostgreSQL's bigint, SQLite's integer


def int_param(value, *, default=None, minimum: int = 0, maximum: int = MAX_ID):
    """`value` (a str from request.GET/POST, a URL or a socket) as an int when it is ASCII
    digits only and within [minimum, maximum]; otherwise `default`."""
    if not isinstance(value, str) or not _DIGITS.fullmatch(value):
        return default
    number = int(value)
    return number if minimum <= number <= maximum else default


def year_param(value, default=None):
    """A calendar year typed in a URL or a form."""
    return int_param(value, default=default, minimum=1900, maximum=9999)


def text_param(value, *, max_length: int = 200) -> str:
    """Free text from a URL (a search query): at most `max_length` characters, without NUL
    (which no text column on PostgreSQL accepts and nobody types)."""
    if not isinstance(value, str):
        return ""
    return value.replace("\x00", "")[:max_length]
