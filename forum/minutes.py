"""The minutes (biên bản) of a concluded meeting (a themed session or a monthly meeting), as a PDF.

One record, two copies (see docs/architecture.md, forum):
- the committee's copy (`Copy.COMMITTEE`), the formal record the committee above the cell
  receives: attendance, the opening paper, votes and the conclusion. It never carries the
  members' discussion: an officer does not read it in the forum and does not read it here
  either;
- the cell's own copy (`Copy.CELL`), for those who read the cell's forum: the same record
  with the discussion (ý kiến thảo luận) in between.

A hidden post is in neither copy. Nothing is stored: each download is made from the rows as
they are then (cached under the topic's, the cell's and the names' generations, which a
hide, an edit, an attendance change, a vote, a membership or a name change replaces), so a
post hidden after a first download is gone from the next one.

What a copy says (`minutes_content`, a `MinutesContent`) is kept apart from how it is laid
out (`minutes_pdf`), which follows the layout of a Party document of record (Hướng dẫn
36-HD/VPTW; /work/shared/GLOSSARY.md): the two-column header and the signature blocks come
from core.pdf, shared with certificates and pledge forms.
"""

import datetime
import enum
import html
import io
import re
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.html import strip_tags
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer

from accounts.models import User
from cells.selectors import place_of
from core.cache import versioned
from core.pdf import (
    PORTRAIT,
    SERIF,
    date_line,
    markup_flowables,
    nfc,
    page_furniture,
    party_header,
    signature_blocks,
    styles,
)
from forum.models import Attendance, Minutes, Motion, Post, Topic
from forum.selectors import AttendanceCount, attendance_count, meeting_attendance
from forum.text import _MENTION, mentioned_usernames


class Copy(enum.StrEnum):
    COMMITTEE = "committee"
    CELL = "cell"


@dataclass(frozen=True)
class Contribution:
    """A post as the minutes print it: who, when, and its cleaned HTML with every mention
    of a member (@login) written as the member's name."""

    author: str
    at: datetime.datetime | None
    html: str

    @property
    def text(self) -> str:
        spaced = self.html.replace("</p>", "</p>\n").replace("<br>", "\n").replace("</li>", "</li>\n")
        return html.unescape(strip_tags(spaced)).strip()


@dataclass(frozen=True)
class Vote:
    """A motion put to the vote (biểu quyết): each option's count; shares are of those present."""

    motion: str
    secret: bool
    options: list[tuple[str, int]]
    present: int
    voted: int

    def share(self, count: int) -> str:
        """ "83,3%": a share of those present, with the Vietnamese decimal comma."""
        if not self.present:
            return "0%"
        return f"{100 * count / self.present:.1f}".replace(".", ",").replace(",0", "") + "%"


@dataclass
class MinutesContent:
    copy: Copy
    cell: str
    committee: str  # the committee right above the cell, for the document header
    locality: str  # the date line's place name (cells.selectors.place_of): "" prints a dotted blank
    kind: str  # Topic.Kind: a themed session or a monthly meeting
    title: str  # the theme (or the meeting's title)
    opened_at: datetime.datetime | None
    meeting_at: datetime.datetime | None
    concluded_at: datetime.datetime | None
    place: str
    online_url: str
    agenda: str
    chair: str
    meeting_secretary: str
    present: list[str]
    excused: list[tuple[str, str]]  # (name, reason)
    absent: list[str]
    counts: AttendanceCount  # forum.selectors.attendance_count of the same rows
    opening: Contribution | None
    conclusion: Contribution | None
    discussion: list[Contribution] = field(default_factory=list)  # the cell's copy only
    votes: list[Vote] = field(default_factory=list)

    number: str = ""  # "Số 03-BB/CB", once the meeting is concluded (forum.models.Minutes)


def _name(user) -> str:
    return user.full_name or user.username


def _names_of_mentions(body_html: str, names: dict[str, str]) -> str:
    """@login written as the member's name (escaped: the result is HTML)."""

    def swap(match: re.Match) -> str:
        login = match.group(1).rstrip(".")
        name = names.get(login.lower())
        return html.escape(name) + match.group(1)[len(login) :] if name else match.group(0)

    return _MENTION.sub(swap, body_html)


def _contribution(post: Post | None, names: dict[str, str]) -> Contribution | None:
    if post is None:
        return None
    return Contribution(author=_name(post.author), at=post.created_at, html=_names_of_mentions(post.body_html, names))


def _votes(topic: Topic, present: int) -> list[Vote]:
    votes = []
    for motion in Motion.objects.filter(topic=topic).annotate(voted=Count("ballots")).order_by("id"):
        counts = list(motion.counts) + [0] * (len(motion.options) - len(motion.counts))
        votes.append(
            Vote(
                motion=motion.text,
                secret=motion.secret,
                options=list(zip(motion.options, counts, strict=False)),
                present=present,
                voted=motion.voted,
            )
        )
    return votes


def minutes_content(topic: Topic, copy: Copy) -> MinutesContent:
    """What the copy says, from the rows as they are now. Hidden posts are never read."""
    rows = meeting_attendance(topic)
    present = [_name(r.user) for r in rows if r.status == Attendance.Status.PRESENT]
    kinds = Q(kind__in=[Post.Kind.OPENING, Post.Kind.CONCLUSION])
    visible = Post.objects.filter(topic=topic, hidden_at__isnull=True).select_related("author").order_by("id")
    posts = list(visible if copy == Copy.CELL else visible.filter(kinds))
    openings = [p for p in posts if p.kind == Post.Kind.OPENING]
    conclusions = [p for p in posts if p.kind == Post.Kind.CONCLUSION]  # after a reopening, the last one
    names = {r.user.username.lower(): _name(r.user) for r in rows}
    mentioned = set().union(*(mentioned_usernames(p.body_html) for p in posts)) - set(names)
    names |= {u.username.lower(): _name(u) for u in User.objects.filter(username__in=mentioned)} if mentioned else {}
    parent = type(topic.cell).objects.filter(path=topic.cell.path[: -topic.cell.steplen]).first()
    conclusion = conclusions[-1] if conclusions else None
    chair = topic.chair or (conclusion.author if conclusion else None)
    return MinutesContent(
        copy=copy,
        cell=topic.cell.name,
        committee=parent.name if parent else "",
        locality=place_of(topic.cell),
        kind=topic.kind,
        title=topic.theme.title if topic.theme else topic.title,
        opened_at=topic.created_at,
        meeting_at=topic.meeting_at,
        concluded_at=topic.concluded_at,
        place=topic.place,
        online_url=topic.online_url,
        agenda=topic.agenda,
        chair=_name(chair) if chair else "",
        meeting_secretary=_name(topic.meeting_secretary) if topic.meeting_secretary else "",
        present=present,
        excused=[(_name(r.user), r.reason) for r in rows if r.status == Attendance.Status.EXCUSED],
        absent=[_name(r.user) for r in rows if r.status == Attendance.Status.ABSENT],
        counts=attendance_count(rows),
        number=minutes.reference if (minutes := Minutes.objects.filter(topic=topic).first()) else "",
        opening=_contribution(openings[0] if openings else None, names),
        conclusion=_contribution(conclusion, names),
        discussion=[_contribution(p, names) for p in posts if p.kind not in (Post.Kind.OPENING, Post.Kind.CONCLUSION)],
        votes=_votes(topic, attendance_count(rows).present),
    )


# --- Layout ----------------------------------------------------------------------------------


def _text(value: object) -> str:
    """Plain text made safe for reportlab's paragraph mark-up, NFC, line breaks kept."""
    return html.escape(nfc(value), quote=False).replace("\n", "<br/>")


def _when(value) -> str:
    return timezone.localtime(value).strftime("%H:%M ngày %d/%m/%Y") if value else "—"


def _clock(value) -> str:
    local = timezone.localtime(value)
    return f"{local:%H} giờ {local:%M}, ngày {local:%d/%m/%Y}"


COPY_LABELS = {
    Copy.COMMITTEE: "(Bản gửi cấp ủy: không gồm ý kiến thảo luận của đảng viên)",
    Copy.CELL: "(Bản lưu của chi bộ, gồm ý kiến thảo luận)",
}


def _subtitle(content: MinutesContent) -> str:
    if content.kind == Topic.Kind.SESSION:
        return f"Sinh hoạt chuyên đề: {content.title}"
    return content.title


def _contribution_flow(item: Contribution, s) -> list:
    return [
        Paragraph(f"<b>{_text(item.author)}</b> ({_when(item.at)}):", s["body"]),
        *markup_flowables(item.html, s["body"]),
    ]


def _attendance_flow(content: MinutesContent, s) -> list:
    n = content.counts
    story = [
        Paragraph(
            f"Tổng số đảng viên của chi bộ: {n.total}; có mặt: {n.present}; "
            f"vắng mặt: {n.away} (có lý do: {n.excused}; không có lý do: {n.absent}).",
            s["body"],
        ),
        Paragraph(f"<b>Có mặt ({n.present}):</b> {_text(', '.join(content.present) or '—')}.", s["body"]),
    ]
    excused = "; ".join(f"{name} ({reason})" if reason else name for name, reason in content.excused)
    story.append(Paragraph(f"<b>Vắng có lý do ({n.excused}):</b> {_text(excused or '—')}.", s["body"]))
    absent = ", ".join(content.absent)
    story.append(Paragraph(f"<b>Vắng không có lý do ({n.absent}):</b> {_text(absent or '—')}.", s["body"]))
    return story


def _votes_flow(content: MinutesContent, s) -> list:
    """The heading and each vote, never split across pages; the heading goes with the first
    vote (reportlab's keepWithNext does not hold before a KeepTogether)."""
    story = []
    for number, vote in enumerate(content.votes, 1):
        how = "bỏ phiếu kín" if vote.secret else "biểu quyết công khai"
        lines = [Paragraph("Biểu quyết", s["subheading"])] if number == 1 else []
        lines += [
            Paragraph(f"<b>Biểu quyết {number}:</b> {_text(vote.motion)} ({how}).", s["body"]),
            Paragraph(f"Số đảng viên có mặt: {vote.present}; số đã biểu quyết: {vote.voted}.", s["body"]),
        ]
        for label, count in vote.options:
            share = f"{count}/{vote.present} đảng viên có mặt, tỷ lệ {vote.share(count)}"
            lines.append(Paragraph(f"{_text(label)}: {share}.", s["bullet"], bulletText="–"))
        story.append(KeepTogether(lines))  # a vote is never split across pages
    return story


def minutes_pdf(content: MinutesContent) -> bytes:
    s = styles(base=SERIF, size=12)
    s["bullet"] = ParagraphStyle(
        "bullet", parent=s["body"], leftIndent=8 * mm, bulletIndent=3 * mm, bulletFontName=SERIF
    )
    s["heading"].keepWithNext = 1  # a heading never ends a page alone
    s["subheading"] = ParagraphStyle("subheading", parent=s["heading"], fontSize=12, leading=16, spaceBefore=6)
    width = PORTRAIT[0] - 40 * mm
    day = timezone.localtime(content.meeting_at or content.concluded_at or content.opened_at).date()
    story = [
        party_header(
            superior=content.committee,
            unit=content.cell,
            place_date=date_line(content.locality, day),
            width=width,
            number=content.number,
        ),
        Spacer(1, 8 * mm),
        Paragraph("BIÊN BẢN", s["title"]),
        Paragraph(_text(_subtitle(content)), s["center_bold"]),
        Paragraph(COPY_LABELS[content.copy], s["center"]),
        Spacer(1, 5 * mm),
    ]
    # Opening: time, place, chair and secretary.
    if content.meeting_at:
        story.append(Paragraph(f"Thời gian: bắt đầu lúc {_clock(content.meeting_at)}.", s["body"]))
    else:
        story.append(Paragraph(f"Thời gian: mở thảo luận lúc {_clock(content.opened_at)}.", s["body"]))
    where = []
    if content.place:
        where.append(_text(content.place))
    if content.online_url:
        where.append(f"họp trực tuyến tại {_text(content.online_url)}")
    if not where:
        where.append(f"diễn đàn sinh hoạt {_text(content.cell)} (trực tuyến)")
    story.append(Paragraph(f"Địa điểm: {'; '.join(where)}.", s["body"]))
    story.append(Paragraph(f"Chủ trì: {_text(content.chair or '—')}.", s["body"]))
    story.append(Paragraph(f"Thư ký: {_text(content.meeting_secretary or '—')}.", s["body"]))
    # Attendance.
    story.append(Paragraph("I. THÀNH PHẦN", s["heading"]))
    story += _attendance_flow(content, s)
    # Content.
    story.append(Paragraph("II. NỘI DUNG", s["heading"]))
    if content.agenda:
        story.append(Paragraph(f"<b>Chương trình:</b><br/>{_text(content.agenda)}", s["body"]))
    if content.kind == Topic.Kind.SESSION or content.opening:
        story.append(Paragraph("Bài đề dẫn", s["subheading"]))
        story += _contribution_flow(content.opening, s) if content.opening else [Paragraph("—", s["body"])]
    if content.copy == Copy.CELL:
        story.append(Paragraph(f"Ý kiến thảo luận ({len(content.discussion)})", s["subheading"]))
        for item in content.discussion:
            story += _contribution_flow(item, s)
        if not content.discussion:
            story.append(Paragraph("—", s["body"]))
    if content.votes:
        story += _votes_flow(content, s)
    # Conclusion and end.
    story.append(Paragraph("III. KẾT LUẬN CỦA CHỦ TRÌ", s["heading"]))
    if content.conclusion is not None:
        story += markup_flowables(content.conclusion.html, s["body"])
    if content.concluded_at:
        story.append(Paragraph(f"Buổi sinh hoạt kết thúc lúc {_clock(content.concluded_at)}.", s["body"]))
    story.append(Spacer(1, 6 * mm))
    story.append(signature_blocks([("Thư ký", content.meeting_secretary), ("Chủ trì", content.chair)], width=width))
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=PORTRAIT,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=15 * mm,
        bottomMargin=20 * mm,
        title=nfc(f"Biên bản – {content.title}"),
        initialFontName=SERIF,  # else reportlab lists Helvetica, not embedded, on every page
        author=nfc(content.cell),
    )
    furniture = page_furniture(f"Biên bản – {content.cell}", "Chi bộ số")
    doc.build(story, onFirstPage=furniture, onLaterPages=furniture)
    return buffer.getvalue()


def minutes_render(topic: Topic, copy: Copy) -> bytes:
    """The copy's PDF as the rows are now, cached until the topic (its posts, attendance and
    votes), the cell's members, a name or the organisation changes."""
    gens = (f"topic:{topic.pk}", f"cell:{topic.cell_id}", "people", "org")
    return versioned(
        f"forum:minutes:{topic.pk}:{copy}", gens, lambda: minutes_pdf(minutes_content(topic, copy)), timeout=600
    )
