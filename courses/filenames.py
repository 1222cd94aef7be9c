"""File names for downloads: readable Vietnamese where the browser takes it, ASCII otherwise."""

import re
import unicodedata
from urllib.parse import quote

_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')
_NOT_ASCII_WORD = re.compile(r"[^A-Za-z0-9._-]+")


def safe_filename(name: str, *, fallback: str = "tai-lieu") -> str:
    """Keep Vietnamese letters; turn path separators, control and reserved characters into "-"."""
    name = unicodedata.normalize("NFC", name)
    name = _UNSAFE.sub("-", name)
    name = re.sub(r"\s+", " ", name).strip(" .-")
    return name[:150] or fallback


def fold_ascii(text: str) -> str:
    """Vietnamese without diacritics (đ → d), words joined by "-": Nguyễn Văn Hùng → Nguyen-Van-Hung."""
    text = unicodedata.normalize("NFC", text).replace("đ", "d").replace("Đ", "D")
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return _NOT_ASCII_WORD.sub("-", text).strip("-.")


def content_disposition(filename: str) -> str:
    """An attachment header with an ASCII fallback and the full name per RFC 5987/6266."""
    stem, dot, extension = filename.rpartition(".")
    if not dot:
        stem, extension = filename, ""
    ascii_name = (fold_ascii(stem) or "tai-lieu") + (f".{fold_ascii(extension)}" if extension else "")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"
