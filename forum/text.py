"""Text helpers of the forum with no database access: search folding and mentions."""

import re
import unicodedata
from urllib.parse import quote

from django.utils.html import escape

_MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9_.+\-]{1,150})")
_TAG = re.compile(r"(<[^>]*>)")
_TAG_NAME = re.compile(r"<(/?)([A-Za-z0-9]+)")
_NOT_LINKED = frozenset({"a", "code", "pre"})  # a mention inside a link or code stays text


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


def link_mentions(body_html: str, names: dict[str, str], href: str) -> str:
    """Each @login in the text of this (cleaned) HTML whose lower-case login is in `names`
    becomes a link to `href` + the login, reading "@" and the member's name; never inside a
    tag, a link or code. Other @words stay as they are."""
    if not names or "@" not in body_html:
        return body_html

    def swap(match: re.Match) -> str:
        login = match.group(1).rstrip(".")
        name = names.get(login.lower())
        if name is None:
            return match.group(0)
        rest = match.group(1)[len(login) :]
        return f'<a class="mention" href="{href}{quote(login)}">@{escape(name)}</a>{rest}'

    out, depth = [], 0
    for index, part in enumerate(_TAG.split(body_html)):
        if index % 2:  # a tag
            tag = _TAG_NAME.match(part)
            if tag and tag.group(2).lower() in _NOT_LINKED and not part.endswith("/>"):
                depth = max(0, depth - 1) if tag.group(1) else depth + 1
            out.append(part)
        else:
            out.append(_MENTION.sub(swap, part) if depth == 0 and "@" in part else part)
    return "".join(out)
