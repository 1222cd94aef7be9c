import io
import unicodedata

import pytest
from pypdf import PdfReader

from accounts.models import User
from conftest import make_member
from forum import services
from forum.minutes import Copy, minutes_render
from forum.models import Minutes

pytestmark = pytest.mark.django_db


def _text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_it_writes_participants_absentees_posts_and_conclusion(personas, org, session):
    # A decomposed (NFD) name, as a row stored before names were normalised on save, must come
    # out composed, exactly as typed in NFC.
    absent = make_member("vang", org["cell_a"], full_name="Hoàng Thị Ngọc Diệp")
    User.objects.filter(pk=absent.pk).update(full_name=unicodedata.normalize("NFD", "Hoàng Thị Ngọc Diệp"))
    absent.refresh_from_db()
    services.post_create(actor=personas["member_a"], topic=session, body="Tôi tán thành *bài đề dẫn*.")
    hidden = services.post_create(actor=personas["member_a"], topic=session, body="Ý kiến lạc đề bị ẩn")
    services.post_hide(actor=personas["secretary_a"], post=hidden, reason="Lạc đề")
    services.session_conclude(
        actor=personas["secretary_a"], topic=session, conclusion="Chi bộ thống nhất thực hiện nghiêm túc."
    )
    minutes = Minutes.objects.get(topic=session)
    text = _text(minutes_render(session, Copy.CELL))
    assert "BIÊN BẢN" in text
    assert "Chi bộ A" in text and session.theme.title in text.replace("\n", " ")
    participants = text.split("Có mặt (2)")[1].split("Vắng có lý do")[0]
    absentees = text.split("Vắng không có lý do (1)")[1].split("Bài đề dẫn")[0]
    assert "Nguyễn Văn Ấn" in participants and "Lê Thị Bích" in participants
    assert "Hoàng Thị Ngọc Diệp" in absentees and "Nguyễn Văn Ấn" not in absentees
    assert "Tôi tán thành bài đề dẫn." in text.split("Ý kiến thảo luận")[1]
    assert "Ý kiến lạc đề" not in text
    assert "Chi bộ thống nhất thực hiện nghiêm túc." in text.split("KẾT LUẬN CỦA CHỦ TRÌ")[1]
    assert (minutes.participants, minutes.absentees) == (2, 1)
    assert absent.full_name != "Hoàng Thị Ngọc Diệp"  # the stored name really was decomposed


# --- Two copies: the committee's formal record, the cell's copy with the discussion ----------

DISCUSSION = "Ý kiến riêng của đảng viên về công tác dân vận"
OPENING = "Bài đề dẫn về đại đoàn kết."  # the session fixture's opening, as plain text
CONCLUSION = "Chi bộ thống nhất thực hiện nghiêm túc."


def _download(client_as, user, topic) -> str:
    from django.urls import reverse

    response = client_as(user).get(reverse("forum:minutes", args=[topic.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    return _text(response.content)


def _discuss_and_conclude(personas, session):
    import datetime

    from django.utils import timezone

    from forum.models import Post

    # A member's contribution at a moment nothing else in the session shares (09:17).
    post = services.post_create(actor=personas["member_a"], topic=session, body=DISCUSSION)
    at = timezone.make_aware(datetime.datetime(2020, 4, 2, 9, 17))
    Post.objects.filter(pk=post.pk).update(created_at=at)
    services.session_conclude(actor=personas["secretary_a"], topic=session, conclusion=CONCLUSION)
    return post


def test_the_committee_copy_is_the_formal_record_without_the_discussion(client_as, personas, session):
    _discuss_and_conclude(personas, session)
    text = _download(client_as, personas["officer"], session)
    flat = " ".join(text.split())
    assert OPENING in flat and CONCLUSION in flat
    # Attendance names who took part; the content names nobody's contribution.
    attendance, content = flat.split("Bài đề dẫn", 1)
    assert "Nguyễn Văn Ấn" in attendance
    assert "Nguyễn Văn Ấn" not in content
    assert "công tác dân vận" not in flat and "09:17" not in flat and "Nội dung thảo luận" not in flat


def test_the_cells_copy_keeps_the_discussion(client_as, personas, session):
    _discuss_and_conclude(personas, session)
    for who in ["member_a", "secretary_a"]:
        flat = " ".join(_download(client_as, personas[who], session).split())
        assert OPENING in flat and DISCUSSION in flat and CONCLUSION in flat, who
        discussion = flat.split("Ý kiến thảo luận", 1)[1]
        assert "Nguyễn Văn Ấn (09:17 ngày 02/04/2020)" in discussion, who


def test_a_post_hidden_after_a_first_download_leaves_every_copy(client_as, personas, session):
    post = _discuss_and_conclude(personas, session)
    assert DISCUSSION in " ".join(_download(client_as, personas["member_a"], session).split())
    _download(client_as, personas["officer"], session)
    services.post_hide(actor=personas["secretary_a"], post=post, reason="Lạc đề")
    for who in ["member_a", "secretary_a", "officer"]:
        flat = " ".join(_download(client_as, personas[who], session).split())
        assert "công tác dân vận" not in flat and CONCLUSION in flat, who


def test_a_post_hidden_before_the_conclusion_is_in_no_copy(client_as, personas, session):
    post = services.post_create(actor=personas["member_a"], topic=session, body=DISCUSSION)
    services.post_hide(actor=personas["secretary_a"], post=post, reason="Lạc đề")
    services.session_conclude(actor=personas["secretary_a"], topic=session, conclusion=CONCLUSION)
    for who in ["member_a", "officer"]:
        assert "công tác dân vận" not in " ".join(_download(client_as, personas[who], session).split()), who


def test_minutes_are_refused_to_everyone_else(client, client_as, personas, session):
    from django.urls import reverse

    _discuss_and_conclude(personas, session)
    url = reverse("forum:minutes", args=[session.pk])
    for who in ["member_b", "outsider"]:
        assert client_as(personas[who]).get(url).status_code == 404, who
    client.logout()
    response = client.get(url)
    assert response.status_code == 302 and "/login" in response["Location"]
