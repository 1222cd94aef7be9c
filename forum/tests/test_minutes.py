import io
import unicodedata

import pytest
from pypdf import PdfReader

from conftest import make_member
from forum import services
from forum.models import Minutes

pytestmark = pytest.mark.django_db


def _text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_it_writes_participants_absentees_posts_and_conclusion(personas, org, session):
    # A decomposed (NFD) name must come out composed, exactly as typed in NFC.
    absent = make_member("vang", org["cell_a"], full_name=unicodedata.normalize("NFD", "Hoàng Thị Ngọc Diệp"))
    services.post_create(actor=personas["member_a"], topic=session, body="Tôi tán thành *bài đề dẫn*.")
    hidden = services.post_create(actor=personas["member_a"], topic=session, body="Ý kiến lạc đề bị ẩn")
    services.post_hide(actor=personas["secretary_a"], post=hidden, reason="Lạc đề")
    services.session_conclude(
        actor=personas["secretary_a"], topic=session, conclusion="Chi bộ thống nhất thực hiện nghiêm túc."
    )
    minutes = Minutes.objects.get(topic=session)
    text = _text(bytes(minutes.pdf))
    assert "BIÊN BẢN" in text
    assert "Chi bộ A" in text and session.theme.title in text.replace("\n", " ")
    participants = text.split("Đảng viên tham gia")[1].split("Đảng viên vắng mặt")[0]
    absentees = text.split("Đảng viên vắng mặt")[1].split("Nội dung thảo luận")[0]
    assert "Nguyễn Văn Ấn" in participants and "Lê Thị Bích" in participants
    assert "Hoàng Thị Ngọc Diệp" in absentees and "Nguyễn Văn Ấn" not in absentees
    assert "Tôi tán thành bài đề dẫn." in text
    assert "Ý kiến lạc đề" not in text
    assert "Chi bộ thống nhất thực hiện nghiêm túc." in text.split("Kết luận của chi bộ")[1]
    assert (minutes.participants, minutes.absentees) == (2, 1)
    assert absent.full_name != "Hoàng Thị Ngọc Diệp"  # the stored name really was decomposed
