"""The minutes (biên bản) of a concluded themed session, as a PDF."""

import html
import io

from django.utils import timezone
from django.utils.html import strip_tags
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

from core.pdf import PORTRAIT, nfc, page_furniture, styles
from forum.models import Post, Topic


def _text(value: object) -> str:
    """Plain text made safe for reportlab's paragraph mark-up, NFC, line breaks kept."""
    return html.escape(nfc(value), quote=False).replace("\n", "<br/>")


def _html_to_text(body_html: str) -> str:
    spaced = body_html.replace("</p>", "</p>\n").replace("<br>", "\n").replace("</li>", "</li>\n")
    return html.unescape(strip_tags(spaced)).strip()


def _when(value) -> str:
    return timezone.localtime(value).strftime("%H:%M ngày %d/%m/%Y") if value else "—"


def minutes_render(topic: Topic) -> tuple[bytes, int, int]:
    """(pdf bytes, number of participants, number of absentees)."""
    from forum.selectors import session_participation

    posted, missing = session_participation(topic)
    posts = list(Post.objects.filter(topic=topic, hidden_at__isnull=True).select_related("author").order_by("id"))
    s = styles()
    story = [
        Paragraph("ĐẢNG CỘNG SẢN VIỆT NAM", s["center_bold"]),
        Paragraph(_text(topic.cell.name).upper(), s["center"]),
        Spacer(1, 6 * mm),
        Paragraph("BIÊN BẢN SINH HOẠT CHUYÊN ĐỀ", s["title"]),
        Paragraph(_text(topic.theme.title if topic.theme else topic.title), s["center_bold"]),
        Spacer(1, 4 * mm),
        Paragraph(f"Chi bộ: {_text(topic.cell.name)}", s["body"]),
        Paragraph(f"Mở thảo luận: {_when(topic.created_at)}", s["body"]),
    ]
    if topic.meeting_at:
        story.append(Paragraph(f"Thời gian họp: {_when(topic.meeting_at)}", s["body"]))
    story.append(Paragraph(f"Kết luận: {_when(topic.concluded_at)}", s["body"]))
    story.append(Paragraph(f"Đảng viên tham gia ({len(posted)}):", s["heading"]))
    story.append(Paragraph(_text(", ".join(u.full_name or u.username for u in posted) or "—"), s["body"]))
    story.append(Paragraph(f"Đảng viên vắng mặt ({len(missing)}):", s["heading"]))
    story.append(Paragraph(_text(", ".join(m.user.full_name or m.user.username for m in missing) or "—"), s["body"]))
    story.append(Paragraph("Nội dung thảo luận", s["heading"]))
    conclusion = None
    for post in posts:
        if post.kind == Post.Kind.CONCLUSION:
            conclusion = post
            continue
        label = "Bài đề dẫn – " if post.kind == Post.Kind.OPENING else ""
        author = post.author.full_name or post.author.username
        story.append(Paragraph(f"<b>{label}{_text(author)}</b> ({_when(post.created_at)}):", s["body"]))
        story.append(Paragraph(_text(_html_to_text(post.body_html)), s["body"]))
    story.append(Paragraph("Kết luận của chi bộ", s["heading"]))
    if conclusion is not None:
        author = conclusion.author.full_name or conclusion.author.username
        story.append(Paragraph(f"<b>{_text(author)}</b> ({_when(conclusion.created_at)}):", s["body"]))
        story.append(Paragraph(_text(_html_to_text(conclusion.body_html)), s["body"]))
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=PORTRAIT,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=20 * mm,
        title=nfc(f"Biên bản – {topic.title}"),
        author=nfc(topic.cell.name),
    )
    furniture = page_furniture(f"Biên bản – {topic.cell.name}", "Chi bộ số")
    doc.build(story, onFirstPage=furniture, onLaterPages=furniture)
    return buffer.getvalue(), len(posted), len(missing)
