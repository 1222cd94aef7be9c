from urllib.parse import unquote

import pytest

from core.filenames import content_disposition, zip_entry_name


@pytest.mark.parametrize(
    "name",
    ["../../etc/passwd.pdf", "a/../b.pdf", "..\\..\\win.ini", "QT/..-2020-000001.pdf", "…/…/x.pdf", "x\n/y..pdf"],
)
def test_it_never_puts_a_path_into_a_zip_entry_name(name):
    entry = zip_entry_name(name)
    assert "/" not in entry and "\\" not in entry and ".." not in entry
    assert entry.isascii() and not entry.startswith(".")


def test_it_folds_vietnamese_zip_entry_names():
    assert zip_entry_name("Nguyễn Văn Ấn_QT-2020-000001.pdf") == "Nguyen-Van-An_QT-2020-000001.pdf"


def test_it_builds_the_header_with_an_ascii_fallback_and_the_full_name():
    header = content_disposition("Biên bản số 1/2026.pdf")
    assert header.startswith("attachment; filename=\"Bien-ban-so-1-2026.pdf\"; filename*=utf-8''")
    assert unquote(header.split("filename*=utf-8''", 1)[1]) == "Biên bản số 1-2026.pdf"


def test_it_keeps_quotes_and_newlines_out_of_the_header():
    header = content_disposition('a"b\r\nSet-Cookie: x=1.pdf', as_attachment=False)
    assert header.startswith("inline; ")
    assert "\r" not in header and "\n" not in header and header.count('"') == 2
