"""Odd input never gets a 5xx, on every view, as every persona that can reach it.

The site is crawled as each persona (core/tests/site_crawl.py: every URL pattern is reached
or explained). Then, with nothing but what the crawl found:

- every page reached gets every query parameter any view reads (found in the source, so a
  new view's parameters are covered without editing this file) and those of its own links,
  set to the values that broke views before (`²`, NUL, 30 digits, -1) and a share of the
  Big List of Naughty Strings (testdata/blns.json, MIT licence in blns.LICENSE), rotated so
  that across all pages the whole list reaches the parameters;
- every path argument is replaced by values its converter accepts but the database may not
  (an id beyond 64 bits; a code with NUL or `²`);
- every form is posted with its fields set to those values, with everything replaced and
  with the page's hidden and choice values kept (so the text reaches the service);
- a few key places get the whole list: forum search, the certificate code, a forum reply.

The admin is Django's: its list and change pages are crawled with parameters, nothing posted.
"""

import itertools
import json
import re
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import NoReverseMatch, resolve, reverse

from core.tests.site_crawl import build_world, crawl_site, view_name

pytestmark = pytest.mark.django_db(transaction=False)

BASE = Path(settings.BASE_DIR)
BLNS = [
    s
    for s in json.loads((BASE / "testdata" / "blns.json").read_text(encoding="utf-8"))
    if not any(0xD800 <= ord(c) <= 0xDFFF for c in s)  # not encodable in a request at all
]
# Each of these broke, or could break, a view that parses its input by hand.
CORE = ["²", "\x00", "9" * 30, "-1"]
PATH_INTS = ["9" * 30, str(2**63)]
PATH_STRS = ["\x00", "²", "a\x00b", "-", "x" * 300]


# Read by Django's and allauth's own views (the admin's list: search, order, page, errors).
THIRD_PARTY_PARAMS = {"next", "q", "o", "p", "e", "_popup", "_to_field", "all"}


def _param_names() -> dict[str, set[str]]:
    """module -> the query parameters it reads, from the source of every module of ours."""
    pattern = re.compile(r"""GET(?:\.get|\.getlist|\[)\(?\s*["']([\w-]+)["']""")
    found = {}
    for path in BASE.glob("*/**/*.py"):
        if ".venv" in path.parts or "tests" in path.parts:
            continue
        if names := set(pattern.findall(path.read_text(encoding="utf-8"))):
            found[".".join(path.relative_to(BASE).with_suffix("").parts)] = names
    return found


def _path_variants(path: str) -> list[str]:
    """The same URL with each argument replaced by values its converter lets through."""
    match = resolve(urlsplit(path).path)
    variants = []
    for key, value in match.kwargs.items():
        for bad in PATH_INTS if isinstance(value, int) else PATH_STRS:
            try:
                variants.append(reverse(match.view_name, kwargs={**match.kwargs, key: bad}))
            except NoReverseMatch:
                continue
    return variants


@pytest.fixture
def world(db):
    return build_world()


def _fill(fields: dict, values, keep_choices: bool) -> dict:
    data = {}
    for name, (kind, value) in fields.items():
        if name == "csrfmiddlewaretoken" or (kind in ("submit", "button") and not keep_choices):
            continue
        if keep_choices and kind in ("hidden", "select", "checkbox", "radio", "submit", "button"):
            data[name] = value
        elif kind == "file":
            text = next(values)
            data[name] = SimpleUploadedFile(f"{text[:40]}.csv", text.encode("utf-8"), content_type="text/csv")
        else:
            data[name] = next(values)
    return data


@pytest.mark.timeout(300)  # about 25 s of CPU; more on a busy machine
def test_no_naughty_string_gets_a_5xx_anywhere(world, settings, monkeypatch):
    settings.FORUM_POST_RATE = (10_000, 60)  # the forum's limit would answer 429 before the service
    monkeypatch.setattr("courses.views.VERIFY_LIMIT", 10_000)
    failures: list = []
    site = crawl_site(world, failures)
    probes, forms, pages = site.probes, site.forms, site.pages

    # Query parameters: on every page each persona reached, each value of CORE in every
    # parameter its view's module reads (or its links carry); then one request with every
    # parameter any view reads, set to the next naughty strings.
    read = _param_names()
    everything = set().union(THIRD_PARTY_PARAMS, *read.values())
    rotation = itertools.cycle(BLNS)
    for persona, paths in pages.items():
        probe = probes[persona]
        for path in paths:
            bare, own = urlsplit(path).path, dict(parse_qsl(urlsplit(path).query, keep_blank_values=True))
            module = resolve(bare).func.__module__
            theirs = not (BASE / module.split(".")[0]).is_dir()  # Django's, allauth's
            keys = sorted(read.get(module, set()) | (THIRD_PARTY_PARAMS if theirs else set()) | set(own))
            if not view_name(bare).endswith("_change"):  # the admin's change pages: only their path
                for i in range(len(CORE) if keys else 0):
                    probe.send("get", bare, {k: CORE[(i + j) % len(CORE)] for j, k in enumerate(keys)})
                probe.send("get", bare, {k: next(rotation) for k in sorted(everything | set(own))})
            for variant in _path_variants(bare):
                probe.send("get", variant)
        cache.clear()

    # Form fields: every form each persona was shown.
    for (persona, _target, _fields), (action, fields) in forms.items():
        probe = probes[persona]
        for i in range(len(CORE)):
            values = (CORE[(i + j) % len(CORE)] for j in itertools.count())
            probe.send("post", action, _fill(fields, values, keep_choices=bool(i % 2)))
        probe.send("post", action, _fill(fields, rotation, keep_choices=True))
        cache.clear()

    # The whole list through a few key places.
    member = probes["member"]
    for text in BLNS:
        member.send("get", reverse("forum:search"), {"q": text})
        member.send("get", "/certificates/verify/" + _quote(text) + "/")
    topic = next(p for p in pages["member"] if view_name(p) == "forum:topic")
    for start in range(0, len(BLNS), 25):
        member.send("post", urlsplit(topic).path, {"body": "\n\n".join(BLNS[start : start + 25]), "quote": ""})

    summary = sorted(
        {(method, view_name(path.split("?")[0]) or path, str(error)[:200]) for _, method, path, _, error in failures}
    )
    assert summary == [], "\n".join(map(str, summary))


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text.replace("/", "_"), safe="")
