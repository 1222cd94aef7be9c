"""Members are addressed as "đồng chí", never "bạn" (issue 13).

The check is a word match: "bạn" standing alone, in any case and in either Unicode form
(NFC or decomposed). No Vietnamese string of the site uses the word in another sense
("bạn bè", "bạn đọc"); if one ever must, name it here instead of weakening the match.
"""

import ast
import fnmatch
import gettext
import os
import re
import unicodedata
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

ROOT = Path(settings.BASE_DIR)
BAN = re.compile(r"(?<!\w)bạn(?!\w)", re.IGNORECASE)
SKIPPED_DIRS = {".venv", ".git", "node_modules", "e2e", "bench", "testdata", "staticfiles", "media"}


def _says_ban(text: str) -> bool:
    return bool(BAN.search(unicodedata.normalize("NFC", text)))


def _project_files(pattern: str) -> list[Path]:
    """The project's files matching `pattern` (fnmatch on the path below ROOT), never walking
    into the virtualenv or the other skipped folders."""
    found = []
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in SKIPPED_DIRS]
        for name in files:
            path = Path(folder) / name
            if fnmatch.fnmatch(str(path.relative_to(ROOT)), pattern):
                found.append(path)
    return sorted(found)


COMPILED = _project_files("*locale/*/LC_MESSAGES/*.mo")
SOURCES = _project_files("*locale/*/LC_MESSAGES/*.po")


def _compiled_messages(mo: Path) -> dict:
    with mo.open("rb") as handle:
        return gettext.GNUTranslations(handle)._catalog


def _po_translations(po: Path) -> list[str]:
    """Every msgstr (plural forms included) of a .po file, continuation lines joined."""
    found = []
    for block in po.read_text(encoding="utf-8").split("\n\n"):
        lines = [line for line in block.splitlines() if not line.startswith("#")]
        current = None
        for line in lines:
            if line.startswith("msgstr"):
                current = [line]
                found.append(current)
            elif line.startswith(("msgid", "msgctxt")):
                current = None
            elif current is not None and line.startswith('"'):
                current.append(line)
    return ["".join(re.findall(r'"(.*)"', " ".join(parts))) for parts in found]


def test_the_word_match_finds_the_word_and_only_the_word():
    assert _says_ban("Bạn chưa có thông báo nào.")
    assert _says_ban("Tài khoản của bạn")
    assert _says_ban(unicodedata.normalize("NFD", "Nội dung của BẠN"))
    assert not _says_ban("Đồng chí chưa có thông báo nào.")
    assert not _says_ban("Ban Tuyên giáo; bàn bạc")  # "Ban", "bàn" and "bạc" are other words


def test_it_finds_every_catalogue():
    assert ROOT / "locale/vi/LC_MESSAGES/django.mo" in COMPILED
    assert {p.parts[len(ROOT.parts)] for p in COMPILED} >= {"locale", "forum", "courses", "pledges", "reports"}


@pytest.mark.parametrize("mo", COMPILED, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_compiled_translation_says_ban(mo: Path):
    offending = [(key, text) for key, text in _compiled_messages(mo).items() if key and _says_ban(text)]
    assert not offending, offending


@pytest.mark.parametrize("po", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_catalogue_source_says_ban(po: Path):
    offending = [text for text in _po_translations(po) if _says_ban(text)]
    assert not offending, offending


def test_what_the_site_shows_for_its_own_messages_never_says_ban():
    """Django merges every catalogue (the libraries' too) into one; what a member reads is the
    winner, checked here for every message the site's catalogues carry, the Django and
    allauth strings of core/third_party_strings.py among them."""
    keys = {key for mo in COMPILED for key in _compiled_messages(mo) if key}
    with translation.override("vi"):
        catalogue = translation.trans_real.translation("vi")
        shown = {}
        for key in keys:
            if isinstance(key, tuple):  # (msgid, plural index)
                shown[key] = catalogue._catalog.get(key, "")
            else:
                shown[key] = catalogue.gettext(key)
    offending = {key: text for key, text in shown.items() if _says_ban(text)}
    assert not offending, offending


def _template_files() -> list[Path]:
    return [
        p
        for p in _project_files("*")
        if p.is_file()
        and "templates" in p.relative_to(ROOT).parts
        and p.suffix in {".html", ".txt", ".xml", ".js", ".json", ".svg"}
    ]


def test_no_template_says_ban():
    templates = _template_files()
    assert ROOT / "templates/500.html" in templates  # the one error page written in Vietnamese
    offending = [str(p.relative_to(ROOT)) for p in templates if _says_ban(p.read_text(encoding="utf-8"))]
    assert not offending, offending


def test_no_script_says_ban():
    scripts = _project_files("*.js")
    assert ROOT / "static/js/mention.js" in scripts
    offending = [str(p.relative_to(ROOT)) for p in scripts if _says_ban(p.read_text(encoding="utf-8"))]
    assert not offending, offending


def _string_literals(path: Path) -> list[str]:
    """The string constants of a module, docstrings left out (they speak to developers)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docstrings.add(id(first.value))
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    ]


def test_no_python_string_says_ban():
    """Vietnamese written straight into code (PDFs, e-mails, messages) is checked too; tests
    and migrations are not what a member reads."""
    modules = [p for p in _project_files("*.py") if not {"tests", "migrations"} & set(p.relative_to(ROOT).parts)]
    assert ROOT / "accounts/pdf.py" in modules
    offending = [(str(p.relative_to(ROOT)), text) for p in modules for text in _string_literals(p) if _says_ban(text)]
    assert not offending, offending


@pytest.mark.django_db
def test_the_error_page_and_a_home_with_no_cell_say_dong_chi(client, personas):
    client.force_login(personas["outsider"])
    home = client.get(reverse("home")).content.decode()
    assert "Tài khoản của đồng chí chưa thuộc chi bộ nào." in home
    missing = client.get("/cells/units/999999/")
    assert missing.status_code == 404
    assert "đồng chí không có quyền xem" in missing.content.decode()
