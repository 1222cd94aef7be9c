"""File names for downloads: readable Vietnamese where the browser takes it, ASCII otherwise.

Every download (PDF, ZIP, CSV) names itself through this module: `content_disposition` for the
header (built by Django's `content_disposition_header`, with an ASCII fallback for old phone
browsers) and `zip_entry_name` for files inside a ZIP (never a "/" or ".." that an unzip tool
could follow out of its folder).
"""

import re
import unicodedata

from django.utils.http import content_disposition_header

_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')
_NOT_ASCII_WORD = re.compile(r"[^A-Za-z0-9._-]+")
_DOTS = re.compile(r"\.{2,}")


def safe_filename(name: str, *, fallback: str = "tai-lieu") -> str:
    """Keep Vietnamese letters; turn path separators, control and reserved characters into "-"."""
    name = unicodedata.normalize("NFC", name)
    name = _UNSAFE.sub("-", name)
    name = _DOTS.sub(".", name)
    name = re.sub(r"-(?:[.\s]*-)+", "-", name)  # "../../" became "-.-.-": one "-"
    name = re.sub(r"\s+", " ", name).strip(" .-")
    return name[:150] or fallback


def fold_ascii(text: str) -> str:
    """Vietnamese without diacritics (đ → d), words joined by "-": Nguyễn Văn Hùng → Nguyen-Van-Hung."""
    text = unicodedata.normalize("NFC", text).replace("đ", "d").replace("Đ", "D")
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return _DOTS.sub(".", _NOT_ASCII_WORD.sub("-", text)).strip("-.")


def _ascii_name(filename: str) -> str:
    stem, dot, extension = filename.rpartition(".")
    if not dot:
        stem, extension = filename, ""
    return (fold_ascii(stem) or "tai-lieu") + (f".{fold_ascii(extension)}" if extension else "")


def zip_entry_name(filename: str) -> str:
    """A name for a file inside a ZIP: ASCII (every unzip tool reads it), no "/", "\\" or ".."."""
    return _ascii_name(safe_filename(filename))


def content_disposition(filename: str, *, as_attachment: bool = True) -> str:
    """The Content-Disposition header for a download named `filename` (made safe first).

    Django's `content_disposition_header` writes it (RFC 6266, filename* for non-ASCII names);
    a non-ASCII name also gets a plain ASCII filename= for browsers that ignore filename*.
    """
    name = safe_filename(filename)
    header = content_disposition_header(as_attachment, name)
    if "filename*=" in header:
        kind, _sep, rest = header.partition("; ")
        header = f'{kind}; filename="{_ascii_name(name)}"; {rest}'
    return header
