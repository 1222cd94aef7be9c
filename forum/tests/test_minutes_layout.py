"""The minutes follow the layout of a Party document of record (GLOSSARY.md, Documents of
record): two-column header, title, time and place, chair and secretary, attendance with
reasons, content, votes with counts and shares, conclusion, end time, signature blocks.
Each copy's text is extracted and its parts asserted in order; fonts stay embedded."""

import datetime
import io

import pytest
from pypdf import PdfReader

from cells.models import OrgUnit
from conftest import make_member
from forum import services
from forum.minutes import Copy, minutes_render
from forum.models import Post, Topic

pytestmark = pytest.mark.django_db

WHEN = datetime.datetime(2020, 12, 5, 1, 0, tzinfo=datetime.UTC)  # 08:00 in Hà Nội
DISCUSSION = (
    "Đề nghị chi bộ:\n\n1. Rà soát đảng viên\n2. Thu đảng phí\n\n- Họp đúng giờ\n- Báo cáo @member_a\n"
    "- Hỏi thêm @member_b."
)


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


@pytest.fixture
def concluded(personas, org):
    secretary, member = personas["secretary_a"], personas["member_a"]
    excused = make_member("vang", org["cell_a"], full_name="Hoàng Thị Ngọc Diệp")
    make_member("khong", org["cell_a"], full_name="Phạm Văn Dũng")
    topic = services.meeting_schedule(
        actor=secretary,
        cell=org["cell_a"],
        title="Sinh hoạt chi bộ thường kỳ tháng 12 năm 2020",
        meeting_at=WHEN,
        place="Nhà văn hóa thôn An Lợi",
        online_url="https://vmeet.example.vn/an-loi",
        agenda="Kiểm điểm tháng 11; nhiệm vụ tháng 12",
        chair=secretary,
        meeting_secretary=member,
    )
    services.absence_declare(actor=excused, topic=topic, reason="Đi công tác")
    services.post_create(actor=member, topic=topic, body=DISCUSSION)
    services.attendance_record(
        actor=member,
        topic=topic,
        entries={secretary.pk: ("present", ""), member.pk: ("present", ""), excused.pk: ("excused", "Đi công tác")},
    )
    motion = services.motion_open(actor=member, topic=topic, text="Thông qua nghị quyết tháng 12")
    services.ballot_cast(actor=member, motion=motion, choice=0)
    services.ballot_cast(actor=secretary, motion=motion, choice=0)
    secret = services.motion_open(actor=member, topic=topic, text="Giới thiệu quần chúng ưu tú", secret=True)
    services.ballot_cast(actor=member, motion=secret, choice=1)
    services.session_conclude(actor=secretary, topic=topic, conclusion="Chi bộ thống nhất:\n\n1. Một\n2. Hai")
    end = datetime.datetime(2020, 12, 5, 3, 30, tzinfo=datetime.UTC)  # 10:30 in Hà Nội
    Topic.objects.filter(pk=topic.pk).update(concluded_at=end)
    topic.refresh_from_db()
    return topic


def _in_order(flat: str, parts: list[str]) -> None:
    at = 0
    for part in parts:
        found = flat.find(part, at)
        assert found >= 0, f"{part!r} missing after position {at}: {flat[at : at + 300]!r}"
        at = found + len(part)


def test_the_cells_copy_has_every_part_in_the_party_documents_order(concluded):
    flat = " ".join(_text(minutes_render(concluded, Copy.CELL)).split())
    _in_order(
        flat,
        [
            "ĐẢNG ỦY KHỐI",
            "CHI BỘ A",
            "ĐẢNG CỘNG SẢN VIỆT NAM",
            "ngày 05 tháng 12 năm 2020",
            "BIÊN BẢN",
            "Sinh hoạt chi bộ thường kỳ tháng 12 năm 2020",
            "Thời gian: bắt đầu lúc 08 giờ 00, ngày 05/12/2020",
            "Địa điểm: Nhà văn hóa thôn An Lợi; họp trực tuyến tại https://vmeet.example.vn/an-loi",
            "Chủ trì: Lê Thị Bích",
            "Thư ký: Nguyễn Văn Ấn",
            "Tổng số đảng viên của chi bộ: 4; có mặt: 2; vắng mặt: 2 (có lý do: 1; không có lý do: 1)",
            "Vắng có lý do (1): Hoàng Thị Ngọc Diệp (Đi công tác)",
            "Vắng không có lý do (1): Phạm Văn Dũng",
            "II. NỘI DUNG",
            "Chương trình",
            "Ý kiến thảo luận (1)",
            "1. Rà soát đảng viên",
            "2. Thu đảng phí",
            "• Họp đúng giờ",
            "• Báo cáo Nguyễn Văn Ấn",
            "Biểu quyết 1: Thông qua nghị quyết tháng 12 (biểu quyết công khai)",
            "Tán thành: 2/2 đảng viên có mặt, tỷ lệ 100%",
            "Không tán thành: 0/2",
            "Biểu quyết 2: Giới thiệu quần chúng ưu tú (bỏ phiếu kín)",
            "số đã biểu quyết: 1",
            "Không tán thành: 1/2 đảng viên có mặt, tỷ lệ 50%",
            "KẾT LUẬN CỦA CHỦ TRÌ",
            "1. Một",
            "2. Hai",
            "Buổi sinh hoạt kết thúc lúc 10 giờ 30, ngày 05/12/2020",
            "THƯ KÝ",
            "CHỦ TRÌ",
            "(Ký, ghi rõ họ tên)",
        ],
    )
    assert "@member_a" not in flat
    assert "@member_b" not in flat and "Trần Đức Cường." in flat  # outside the roll, at a sentence's end
    signatures = flat.rsplit("THƯ KÝ", 1)[1]
    assert "Nguyễn Văn Ấn" in signatures and "Lê Thị Bích" in signatures


def test_the_committees_copy_has_attendance_votes_and_conclusion_but_no_discussion(concluded):
    flat = " ".join(_text(minutes_render(concluded, Copy.COMMITTEE)).split())
    _in_order(
        flat,
        [
            "ĐẢNG CỘNG SẢN VIỆT NAM",
            "BIÊN BẢN",
            "Chủ trì: Lê Thị Bích",
            "Vắng có lý do (1): Hoàng Thị Ngọc Diệp (Đi công tác)",
            "Biểu quyết 1",
            "tỷ lệ 100%",
            "KẾT LUẬN CỦA CHỦ TRÌ",
            "THƯ KÝ",
            "CHỦ TRÌ",
        ],
    )
    assert "Rà soát đảng viên" not in flat and "Ý kiến thảo luận" not in flat


def test_a_themed_sessions_minutes_carry_the_theme_and_the_opening_paper(personas, session):
    Post.objects.filter(topic=session, kind=Post.Kind.OPENING).update(
        body_html='<p>Đề dẫn:</p>\n<ol start="3">\n<li>Ba</li>\n<li>Bốn</li>\n</ol>'
    )
    services.session_conclude(actor=personas["secretary_a"], topic=session, conclusion="Xong.")
    flat = " ".join(_text(minutes_render(session, Copy.COMMITTEE)).split())
    _in_order(flat, ["Sinh hoạt chuyên đề: " + session.theme.title, "Bài đề dẫn", "3. Ba", "4. Bốn", "Xong."])


def test_the_fonts_are_embedded(concluded):
    reader = PdfReader(io.BytesIO(minutes_render(concluded, Copy.CELL)))
    fonts = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            if "/DescendantFonts" in font:
                font = font["/DescendantFonts"][0].get_object()
            descriptor = font.get("/FontDescriptor")
            embedded = descriptor is not None and "/FontFile2" in descriptor.get_object()
            fonts[str(font["/BaseFont"])] = embedded
    assert fonts and all(fonts.values()), fonts
    assert any("DejaVuSerif" in name for name in fonts)


def test_the_date_line_takes_the_place_of_the_nearest_unit_up_the_tree_that_has_one(org, concluded):
    """One place name per unit, set in the admin (cells.OrgUnit.place); never guessed from a
    committee's name ("Đảng ủy Khối" is no place). A change shows in the next download."""
    flat = " ".join(_text(minutes_render(concluded, Copy.CELL)).split())
    assert "……………, ngày 05 tháng 12 năm 2020" in flat  # no place anywhere up the tree
    OrgUnit.objects.filter(pk=org["province"].pk).update(place="Quảng Trị")
    for copy in Copy:
        flat = " ".join(_text(minutes_render(concluded, copy)).split())
        assert "Quảng Trị, ngày 05 tháng 12 năm 2020" in flat
    OrgUnit.objects.filter(pk=org["committee"].pk).update(place="Đông Hà")  # nearer than the province
    flat = " ".join(_text(minutes_render(concluded, Copy.COMMITTEE)).split())
    assert "Đông Hà, ngày 05 tháng 12 năm 2020" in flat and "Quảng Trị" not in flat


def test_a_long_unit_name_wraps_on_even_lines_in_the_header(org, concluded):
    OrgUnit.objects.filter(pk=org["cell_a"].pk).update(name="Chi bộ Ban Tuyên giáo và Dân vận")
    lines = [line.strip() for line in _text(minutes_render(concluded, Copy.COMMITTEE)).splitlines()]
    name = lines[lines.index("ĐẢNG ỦY KHỐI") + 1 : lines.index("*")]
    assert " ".join(name) == "CHI BỘ BAN TUYÊN GIÁO VÀ DÂN VẬN"
    assert len(name) == 2 and all(len(line.split()) > 2 for line in name), name  # even, no word alone
