import io

import pytest

from cells import demo as cells_demo
from forum import demo
from forum.models import Minutes, Theme, Topic

pytestmark = pytest.mark.django_db


def test_it_seeds_the_2020_themes_and_sessions_once():
    out = io.StringIO()
    cells_demo.seed(out)
    demo.seed(out)
    counts = (Theme.objects.count(), Topic.objects.count(), Minutes.objects.count())
    demo.seed(out)
    assert (Theme.objects.count(), Topic.objects.count(), Minutes.objects.count()) == counts
    assert Theme.objects.filter(year=2020, committee__code="QT").count() == 3
    assert Topic.objects.filter(state=Topic.State.CONCLUDED).exists()
    shared = Topic.objects.get(cell__name="Chi bộ Văn phòng Tỉnh ủy", state=Topic.State.OPEN, kind="session")
    authors = set(shared.posts.values_list("author__username", flat=True))
    assert {"bithu", "dangvien"} <= authors
    not_started = Topic.objects.filter(cell__name="Chi bộ Trường THCS Triệu Phong").count()
    assert not_started == 0


def test_the_demo_holds_concluded_meetings_whose_minutes_show_every_part():
    from forum.minutes import Copy, minutes_render
    from forum.models import Attendance, Motion
    from forum.selectors import attendance_count, meeting_attendance
    from forum.tests.test_minutes_layout import _text

    out = io.StringIO()
    cells_demo.seed(out)
    demo.seed(out)
    meeting = Topic.objects.get(kind=Topic.Kind.MEETING, state=Topic.State.CONCLUDED)
    assert Motion.objects.filter(topic=meeting, secret=True).exists()
    for topic in [meeting, Topic.objects.filter(kind=Topic.Kind.SESSION, state=Topic.State.CONCLUDED).first()]:
        assert Attendance.objects.filter(topic=topic, status="excused").exclude(reason="").exists()
        assert topic.concluded_at > topic.meeting_at
        flat = " ".join(_text(minutes_render(topic, Copy.CELL)).split())
        for part in [
            "ĐẢNG CỘNG SẢN VIỆT NAM",
            "Quảng Trị, ngày",  # the province's place (cells.demo), the cell and its committee have none
            f"Số {topic.minutes.number:02d}-BB/CB",
            "BIÊN BẢN",
            "Chủ trì:",
            "Thư ký:",
            "Vắng có lý do (1)",
            "Biểu quyết 1",
            "tỷ lệ",
            "KẾT LUẬN",
            "kết thúc lúc",
            "THƯ KÝ",
            "CHỦ TRÌ",
        ]:
            assert part in flat, (topic.title, part)
        # The meeting's page shows the counts stored on the minutes: those the PDF prints.
        count = attendance_count(meeting_attendance(topic))
        stored = Minutes.objects.get(topic=topic)
        assert (stored.participants, stored.excused, stored.absent_without_reason) == (
            count.present,
            count.excused,
            count.absent,
        )
        assert f"có mặt: {count.present}; vắng mặt: {count.away}" in flat
    demo.seed(out)
    assert Topic.objects.filter(kind=Topic.Kind.MEETING).count() == 1
