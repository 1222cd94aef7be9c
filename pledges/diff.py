"""What changed in a pledge since it was returned, section by section, as escaped HTML.

Words are compared (difflib on word and space tokens, so a changed word is marked and the
rest of the sentence is not); removed text is wrapped in <del>, added text in <ins>. Every
piece of the member's text is escaped here: the template prints the result as it is.
"""

import difflib
import re
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

_TOKENS = re.compile(r"\s+|\w+|[^\w\s]", re.UNICODE)


def _tokens(text: str) -> list[str]:
    return _TOKENS.findall(text or "")


def diff_html(old: str, new: str) -> SafeString:
    old_tokens, new_tokens = _tokens(old), _tokens(new)
    parts = []
    matcher = difflib.SequenceMatcher(a=old_tokens, b=new_tokens, autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            parts.append(escape("".join(new_tokens[b1:b2])))
            continue
        if op in ("delete", "replace"):
            parts.append(f"<del>{escape(''.join(old_tokens[a1:a2]))}</del>")
        if op in ("insert", "replace"):
            parts.append(f"<ins>{escape(''.join(new_tokens[b1:b2]))}</ins>")
    return mark_safe("".join(parts))


@dataclass
class SectionChange:
    title: str
    changed: bool
    html: SafeString  # the marked-up text (escaped)
    note: str = ""  # the reviewer's comment on this section when it was returned (plain text)


def section_changes(returned: list[dict], answers, notes: list[dict] | None = None) -> list[SectionChange]:
    """`returned`: the answers kept on the return event; `answers`: the pledge's answers now."""
    before = {item["section"]: item.get("text", "") for item in returned}
    by_note = {item.get("section"): item.get("text", "") for item in notes or []}
    rows = []
    for answer in answers:
        old = before.get(answer.section_id, "")
        rows.append(
            SectionChange(
                title=answer.section.title,
                changed=old != answer.text,
                html=diff_html(old, answer.text),
                note=by_note.get(answer.section_id, ""),
            )
        )
    return rows
