"""Cached HTML with holes: the parts of a page that are the same for many requests are
rendered once with markers where the per-request values go, then filled per request.

A marker is `hole<secret><name>`: letters and digits only, so escaping leaves it intact, and
derived from SECRET_KEY, so it is the same in every process sharing a cache and no user can
type one into a post or a title to have it filled. `fill` replaces all markers in one pass;
the values put in are never scanned again.
"""

import hashlib
import re
from collections.abc import Callable
from functools import cache

from django.conf import settings
from django.utils.safestring import SafeString, mark_safe


@cache
def _secret() -> str:
    return hashlib.sha256(b"chibo-holes:" + settings.SECRET_KEY.encode()).hexdigest()[:20]


@cache
def _pattern() -> re.Pattern:
    return re.compile(f"hole{_secret()}([a-z_]+)")


def hole(name: str) -> SafeString:
    """The marker for `name` (lower-case letters and underscores)."""
    return mark_safe(f"hole{_secret()}{name}")


def fill(text: str, values: dict[str, str | Callable[[], str]]) -> str:
    """`text` with every marker replaced by its value (already escaped where it must be); a
    callable value is called for each marker, so each gets a value of its own. Markers not
    in `values` are left as they are."""

    def value(match: re.Match) -> str:
        found = values.get(match.group(1))
        if found is None:
            return match.group(0)
        return found() if callable(found) else found

    return _pattern().sub(value, text)
