"""Text helpers of the forum with no database access: search folding and mentions."""

import re
import unicodedata

_MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9_.+\-]{1,150})")


def fold(text: str) -> str:
    """Lower case without Vietnamese diacritics: "Đại Đoàn Kết" -> "dai doan ket".

    Search compares folded text with a folded query, so it behaves the same on SQLite and
    PostgreSQL without collations or extensions.
    """
    decomposed = unicodedata.normalize("NFD", text.lower().replace("đ", "d").replace("Đ", "d"))
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return " ".join(stripped.split())


def mentioned_usernames(source: str) -> set[str]:
    return {name.rstrip(".").lower() for name in _MENTION.findall(source)}
