"""Vietnamese is the default language: every catalogue must be complete and compiled."""

import gettext
import re
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
CATALOGUES = sorted(p for p in ROOT.glob("**/locale/vi/LC_MESSAGES/django.po") if ".venv" not in p.parts)


def _entries(po: Path) -> list[tuple[str, str, bool]]:
    """(msgid, first msgstr, fuzzy) for every entry but the header."""
    entries = []
    for block in po.read_text(encoding="utf-8").split("\n\n"):
        if block.lstrip().startswith("#~"):
            continue
        msgid = re.search(r'^msgid ((?:".*"\n?)+)', block, re.M)
        msgstr = re.search(r'^msgstr(?:\[0\])? ((?:".*"\n?)+)', block, re.M)
        if not msgid or not msgstr:
            continue
        unquote = lambda v: "".join(re.findall(r'"(.*)"', v))  # noqa: E731
        entries.append((unquote(msgid.group(1)), unquote(msgstr.group(1)), "#, fuzzy" in block))
    return [e for e in entries if e[0]]


def test_it_has_a_vietnamese_catalogue():
    assert any(p.parent.parent.parent.parent == ROOT for p in CATALOGUES), "locale/vi is missing"


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_it_translates_every_string(po: Path):
    untranslated = [msgid for msgid, msgstr, fuzzy in _entries(po) if not msgstr or fuzzy]
    assert not untranslated, f"{len(untranslated)} untranslated or fuzzy in {po}: {untranslated[:5]}"


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_it_ships_a_compiled_catalogue_matching_the_source(po: Path):
    mo = po.with_suffix(".mo")
    assert mo.exists(), f"{mo} is missing: run compilemessages"
    with mo.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = [
        msgid
        for msgid, _msgstr, _fuzzy in _entries(po)
        if "\\" not in msgid and compiled._catalog.get(msgid, compiled._catalog.get((msgid, 0))) is None
    ]
    assert not stale, f"{mo} is older than {po}: run compilemessages ({stale[:3]})"
