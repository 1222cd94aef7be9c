"""`reverse` for the links every page shows, computed once per process.

Django's `reverse` costs tens of microseconds; the header, the menu and each post's action
links need about twenty per page. A URL depends only on its name, arguments, the script
prefix and the URLconf, which are all part of the memo's key.
"""

from functools import lru_cache

from django.urls import get_script_prefix, get_urlconf, reverse


@lru_cache(maxsize=4096)
def _reverse(name: str, args: tuple, prefix: str, urlconf) -> str:
    return reverse(name, args=args, urlconf=urlconf)


def reverse_cached(name: str, *args) -> str:
    return _reverse(name, args, get_script_prefix(), get_urlconf())


_ARG = 2_147_483_646  # an int no URL of ours holds otherwise (the largest 32-bit id but one)


def url_pattern(name: str) -> str:
    """The URL of `name` (one integer argument) with "{}" where the argument goes, for
    `.format(pk)`: a table of a hundred links reverses once instead of a hundred times."""
    url = reverse_cached(name, _ARG)
    if url.count(str(_ARG)) != 1:
        raise ValueError(f"{name} does not take its argument once: {url}")
    return url.replace("{", "{{").replace("}", "}}").replace(str(_ARG), "{}")
