"""The minutes as a record: numbered per cell and year when the meeting is concluded (Số
01-BB/CB, in the header's left column under the cell), the number kept afterwards; the
attendance counted by one helper (forum.selectors.attendance_count) for the minutes, the
meeting's page and the roll call, from the records fixed at the conclusion."""

import datetime
import io
import threading

import pytest
from django.db import connection, connections
from django.urls import reverse
from pypdf import PdfReader

from conftest import make_member
from forum import selectors, services
from forum.minutes import Copy, minutes_render
from forum.models import Attendance, Minutes, Topic

pytestmark = pytest.mark.django_db


def _flat(pdf: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())


def _meeting(actor, cell, when: datetime.datetime, title: str = "Sinh hoạt chi bộ thường kỳ") -> Topic:
    return services.meeting_schedule(actor=actor, cell=cell, title=f"{title} {when:%m/%Y}", meeting_at=when)


def _conclude(actor, topic: Topic) -> Topic:
    services.session_conclude(actor=actor, topic=topic, conclusion="Chi bộ thống nhất.")
    return Topic.objects.get(pk=topic.pk)


def _at(year: int, month: int) -> datetime.datetime:
    return datetime.datetime(year, month, 5, 1, 0, tzinfo=datetime.UTC)


def test_minutes_are_numbered_per_cell_and_year_when_concluded_and_keep_their_number(personas, org):
    secretary = personas["secretary_a"]
    leader_b = make_member("bithu_b", org["cell_b"], role="secretary", full_name="Phan Văn Bảo")
    november, december = (
        _meeting(secretary, org["cell_a"], _at(2020, 11)),
        _meeting(secretary, org["cell_a"], _at(2020, 12)),
    )
    # Numbered in the order the meetings are concluded, not scheduled.
    _conclude(secretary, december)
    november = _conclude(secretary, november)
    other_cell = _conclude(leader_b, _meeting(leader_b, org["cell_b"], _at(2020, 12)))
    next_year = _conclude(secretary, _meeting(secretary, org["cell_a"], _at(2021, 1)))
    numbers = {m.topic_id: (m.cell_id, m.year, m.reference) for m in Minutes.objects.all()}
    assert numbers == {
        december.pk: (org["cell_a"].pk, 2020, "Số 01-BB/CB"),
        november.pk: (org["cell_a"].pk, 2020, "Số 02-BB/CB"),
        other_cell.pk: (org["cell_b"].pk, 2020, "Số 01-BB/CB"),
        next_year.pk: (org["cell_a"].pk, 2021, "Số 01-BB/CB"),
    }
    # Reopened and concluded again: the same number, and no other meeting takes it.
    services.session_reopen(actor=secretary, topic=november, reason="Bổ sung kết luận")
    january = _meeting(secretary, org["cell_a"], _at(2020, 1))
    _conclude(secretary, january)
    november = _conclude(secretary, Topic.objects.get(pk=november.pk))
    assert Minutes.objects.get(topic=november).reference == "Số 02-BB/CB"
    assert Minutes.objects.get(topic=january).reference == "Số 03-BB/CB"
    # Printed in the header's left column, under the cell and its star, in both copies.
    for copy in Copy:
        flat = _flat(minutes_render(november, copy))
        assert flat.index("CHI BỘ A") < flat.index("Số 02-BB/CB") < flat.index("BIÊN BẢN"), flat[:300]


def test_one_count_for_the_minutes_the_meeting_page_and_the_roll_call(client_as, personas, org):
    secretary, member = personas["secretary_a"], personas["member_a"]
    excused = make_member("vang", org["cell_a"], full_name="Hoàng Thị Ngọc Diệp")
    absent = make_member("khong", org["cell_a"], full_name="Phạm Văn Dũng")
    topic = _meeting(secretary, org["cell_a"], _at(2020, 12))
    services.absence_declare(actor=excused, topic=topic, reason="Đi công tác")
    services.post_create(actor=member, topic=topic, body="Ý kiến")
    services.attendance_record(actor=secretary, topic=topic, entries={secretary.pk: ("present", "")})
    count = selectors.attendance_count(selectors.meeting_attendance(topic))
    assert (count.present, count.excused, count.absent, count.away, count.total) == (2, 1, 1, 2, 4)
    topic = _conclude(secretary, topic)
    # The roll as it stood is now the record: the absent member who opens the concluded topic
    # afterwards (a read counts as taking part while the meeting runs) stays absent.
    assert client_as(absent).get(reverse("forum:topic", args=[topic.pk])).status_code == 200
    minutes = Minutes.objects.get(topic=topic)
    assert (minutes.participants, minutes.excused, minutes.absent_without_reason) == (2, 1, 1)
    expected = "có mặt: 2; vắng mặt: 2 (có lý do: 1; không có lý do: 1)"
    assert expected in _flat(minutes_render(topic, Copy.COMMITTEE))
    page = client_as(member).get(reverse("forum:topic", args=[topic.pk])).content.decode()
    assert "Số 01-BB/CB" in page and "Có mặt: 2 · Vắng có lý do: 1 · Vắng không có lý do: 1" in page
    # A correction after the conclusion changes every place that shows the counts.
    services.attendance_record(actor=secretary, topic=topic, entries={absent.pk: ("excused", "Ốm")})
    minutes.refresh_from_db()
    assert (minutes.participants, minutes.excused, minutes.absent_without_reason) == (2, 2, 0)
    assert "có mặt: 2; vắng mặt: 2 (có lý do: 2; không có lý do: 0)" in _flat(minutes_render(topic, Copy.CELL))
    page = client_as(member).get(reverse("forum:topic", args=[topic.pk])).content.decode()
    assert "Có mặt: 2 · Vắng có lý do: 2 · Vắng không có lý do: 0" in page
    roll = client_as(secretary).get(reverse("forum:attendance", args=[topic.pk])).content.decode()
    assert "Có mặt: 2 · Vắng có lý do: 2 · Vắng không có lý do: 0" in roll
    assert Attendance.objects.filter(topic=topic).count() == 4  # every member's row is on record


@pytest.mark.skipif(connection.vendor == "sqlite", reason="needs PostgreSQL (concurrent writers)")
@pytest.mark.django_db(transaction=True)
def test_meetings_of_one_cell_concluded_at_once_get_different_numbers(personas, org):
    secretary = personas["secretary_a"]
    topics = [_meeting(secretary, org["cell_a"], _at(2020, month)) for month in (3, 4, 5, 6)]
    barrier = threading.Barrier(len(topics))
    errors: list[BaseException] = []

    def conclude(topic: Topic) -> None:
        try:
            barrier.wait(timeout=10)
            services.session_conclude(actor=secretary, topic=topic, conclusion="Chi bộ thống nhất.")
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=conclude, args=(topic,)) for topic in topics]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(Minutes.objects.filter(cell=org["cell_a"], year=2020).values_list("number", flat=True)) == [
        1,
        2,
        3,
        4,
    ]
