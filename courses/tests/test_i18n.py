"""Every string of the courses catalogue comes out in Vietnamese as translated here.

Django merges all catalogues, and the project's and earlier apps' win: a msgid that another
app translates differently ("Status" is a member's status in cells) would silently show the
other meaning. Such strings get a msgid of their own ("Certificate status").
"""

import ast
from pathlib import Path

from django.utils import translation

CATALOGUE = Path(__file__).resolve().parent.parent / "locale" / "vi" / "LC_MESSAGES" / "django.po"


PLURALS: dict[str, str] = {}  # msgid -> msgid_plural


def _entries() -> dict[tuple[str, str], str]:
    entries = {}
    for block in CATALOGUE.read_text(encoding="utf-8").split("\n\n"):
        parts: dict[str, list[str]] = {"msgctxt": [], "msgid": [], "msgstr": [], "msgid_plural": []}
        current = None
        for line in block.splitlines():
            keyword = line.split(" ", 1)[0]
            if keyword == "msgstr[0]":  # Vietnamese has one plural form
                keyword = "msgstr"
            if keyword in parts:
                current = parts[keyword]
                current.append(line.split(" ", 1)[1])
            elif keyword.startswith("msg"):
                current = None
            elif line.startswith('"') and current is not None:
                current.append(line)
        if parts["msgid"]:
            text = {name: "".join(ast.literal_eval(x) for x in lines) for name, lines in parts.items()}
            entries[(text["msgctxt"], text["msgid"])] = text["msgstr"]
            if text["msgid_plural"]:
                PLURALS[text["msgid"]] = text["msgid_plural"]
    return entries


def test_it_translates_every_entry_and_none_is_overridden():
    entries = {key: value for key, value in _entries().items() if key[1]}
    assert len(entries) > 150
    assert all(entries.values()), [key for key, value in entries.items() if not value]
    assert "fuzzy" not in CATALOGUE.read_text(encoding="utf-8")
    with translation.override("vi"):
        wrong = {
            key: (
                translation.pgettext(*key)
                if key[0]
                else translation.ngettext(key[1], PLURALS[key[1]], 1)
                if key[1] in PLURALS
                else translation.gettext(key[1])
            )
            for key in entries
        }
    assert {key: got for key, got in wrong.items() if got != entries[key]} == {}
