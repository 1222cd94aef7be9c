"""The minutes (biên bản) of a concluded themed session, as a PDF.

One record, two copies (see docs/architecture.md, forum):
- the committee's copy (`Copy.COMMITTEE`), the formal record the committee above the cell
  receives: attendance, the opening paper, votes (when there are any) and the conclusion.
  It never carries the members' discussion: an officer does not read it in the forum and
  does not read it here either;
- the cell's own copy (`Copy.CELL`), for those who read the cell's forum: the same record
  with the discussion (ý kiến thảo luận) in between.

A hidden post is in neither copy. Nothing is stored: each download is made from the rows as
they are then (cached under the topic's, the cell's and the names' generations, which a
hide, an edit, a membership or a name change replaces), so a post hidden after a first
download is gone from the next one.

What a copy says (`minutes_content`, a `MinutesContent`) is kept apart from how it is laid
out (`minutes_pdf`): the Party document layout (two-column header, signatures) will replace
only the layout.
"""

import datetime
import enum
import html
import io
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone
from django.utils.html import strip_tags
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

from core.cache import versioned
from core.pdf import PORTRAIT, nfc, page_furniture, styles
from forum.models import Post, Topic


class Copy(enum.StrEnum):
    COMMITTEE = "committee"
    CELL = "cell"


@dataclass(frozen=True)
class Contribution:
    """A post as the minutes print it: who, when, the text."""

    author: str
    at: datetime.datetime | None
    text: str


@dataclass(frozen=True)
class Vote:
    """A vote (biểu quyết) of the session. There is no vote model yet: `_votes` returns none
    until there is one, and the layout prints the section only when there are votes."""

    motion: str
    in_favour: int
    against: int
    other: int
    present: int


@dataclass
class MinutesContent:
    copy: Copy
    cell: str
    committee: str  # the committee right above the cell, for the document header
    title: str  # the theme (or the topic's title)
    opened_at: datetime.datetime | None
    meeting_at: datetime.datetime | None
    concluded_at: datetime.datetime | None
    present: list[str]
    absent: list[str]
    opening: Contribution | None
    conclusion: Contribution | None
    discussion: list[Contribution] = field(default_factory=list)  # the cell's copy only
    votes: list[Vote] = field(default_factory=list)


def _name(user) -> str:
    return user.full_name or user.username


def _html_to_text(body_html: str) -> str:
    spaced = body_html.replace("</p>", "</p>\n").replace("<br>", "\n").replace("</li>", "</li>\n")
    return html.unescape(strip_tags(spaced)).strip()


def _contribution(post: Post | None) -> Contribution | None:
    if post is None:
        return None
    return Contribution(author=_name(post.author), at=post.created_at, text=_html_to_text(post.body_html))


def _votes(topic: Topic) -> list[Vote]:
    return []  # no vote model yet; read the session's votes here when there is one


def minutes_content(topic: Topic, copy: Copy) -> MinutesContent:
    """What the copy says, from the rows as they are now. Hidden posts are never read."""
    from forum.selectors import session_participation

    posted, missing = session_participation(topic)
    kinds = Q(kind__in=[Post.Kind.OPENING, Post.Kind.CONCLUSION])
    visible = Post.objects.filter(topic=topic, hidden_at__isnull=True).select_related("author").order_by("id")
    posts = list(visible if copy == Copy.CELL else visible.filter(kinds))
    openings = [p for p in posts if p.kind == Post.Kind.OPENING]
    conclusions = [p for p in posts if p.kind == Post.Kind.CONCLUSION]  # after a reopening, the last one
    parent = type(topic.cell).objects.filter(path=topic.cell.path[: -topic.cell.steplen]).first()
    return MinutesContent(
        copy=copy,
        cell=topic.cell.name,
        committee=parent.name if parent else "",
        title=topic.theme.title if topic.theme else topic.title,
        opened_at=topic.created_at,
        meeting_at=topic.meeting_at,
        concluded_at=topic.concluded_at,
        present=[_name(u) for u in posted],
        absent=[_name(m.user) for m in missing],
        opening=_contribution(openings[0] if openings else None),
        conclusion=_contribution(conclusions[-1] if conclusions else None),
        discussion=[_contribution(p) for p in posts if p.kind not in (Post.Kind.OPENING, Post.Kind.CONCLUSION)],
        votes=_votes(topic),
    )


# --- Layout ----------------------------------------------------------------------------------


def _text(value: object) -> str:
    """Plain text made safe for reportlab's paragraph mark-up, NFC, line breaks kept."""
    return html.escape(nfc(value), quote=False).replace("\n", "<br/>")


def _when(value) -> str:
    return timezone.localtime(value).strftime("%H:%M ngày %d/%m/%Y") if value else "—"


def _contribution_paragraphs(item: Contribution, s) -> list:
    return [
        Paragraph(f"<b>{_text(item.author)}</b> ({_when(item.at)}):", s["body"]),
        Paragraph(_text(item.text), s["body"]),
    ]


COPY_LABELS = {
    Copy.COMMITTEE: "(Bản gửi cấp ủy: không gồm ý kiến thảo luận của đảng viên)",
    Copy.CELL: "(Bản lưu của chi bộ, gồm ý kiến thảo luận)",
}


def minutes_pdf(content: MinutesContent) -> bytes:
    s = styles()
    story = [
        Paragraph("ĐẢNG CỘNG SẢN VIỆT NAM", s["center_bold"]),
        Paragraph(_text(content.cell).upper(), s["center"]),
        Spacer(1, 6 * mm),
        Paragraph("BIÊN BẢN SINH HOẠT CHUYÊN ĐỀ", s["title"]),
        Paragraph(_text(content.title), s["center_bold"]),
        Paragraph(COPY_LABELS[content.copy], s["center"]),
        Spacer(1, 4 * mm),
        Paragraph(f"Chi bộ: {_text(content.cell)}", s["body"]),
        Paragraph(f"Mở thảo luận: {_when(content.opened_at)}", s["body"]),
    ]
    if content.meeting_at:
        story.append(Paragraph(f"Thời gian họp: {_when(content.meeting_at)}", s["body"]))
    story.append(Paragraph(f"Kết luận: {_when(content.concluded_at)}", s["body"]))
    story.append(Paragraph(f"Đảng viên tham gia ({len(content.present)}):", s["heading"]))
    story.append(Paragraph(_text(", ".join(content.present) or "—"), s["body"]))
    story.append(Paragraph(f"Đảng viên vắng mặt ({len(content.absent)}):", s["heading"]))
    story.append(Paragraph(_text(", ".join(content.absent) or "—"), s["body"]))
    story.append(Paragraph("Bài đề dẫn", s["heading"]))
    story += _contribution_paragraphs(content.opening, s) if content.opening else [Paragraph("—", s["body"])]
    if content.copy == Copy.CELL:
        story.append(Paragraph(f"Ý kiến thảo luận ({len(content.discussion)})", s["heading"]))
        for item in content.discussion:
            story += _contribution_paragraphs(item, s)
        if not content.discussion:
            story.append(Paragraph("—", s["body"]))
    if content.votes:
        story.append(Paragraph("Biểu quyết", s["heading"]))
        for vote in content.votes:
            story.append(
                Paragraph(
                    f"{_text(vote.motion)}: tán thành {vote.in_favour}, không tán thành {vote.against}, "
                    f"ý kiến khác {vote.other} (có mặt {vote.present}).",
                    s["body"],
                )
            )
    story.append(Paragraph("Kết luận của chi bộ", s["heading"]))
    if content.conclusion is not None:
        story += _contribution_paragraphs(content.conclusion, s)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=PORTRAIT,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=20 * mm,
        title=nfc(f"Biên bản – {content.title}"),
        author=nfc(content.cell),
    )
    furniture = page_furniture(f"Biên bản – {content.cell}", "Chi bộ số")
    doc.build(story, onFirstPage=furniture, onLaterPages=furniture)
    return buffer.getvalue()


def minutes_render(topic: Topic, copy: Copy) -> bytes:
    """The copy's PDF as the rows are now, cached until the topic, the cell's members, a
    name or the organisation changes."""
    gens = (f"topic:{topic.pk}", f"cell:{topic.cell_id}", "people", "org")
    return versioned(
        f"forum:minutes:{topic.pk}:{copy}", gens, lambda: minutes_pdf(minutes_content(topic, copy)), timeout=600
    )
