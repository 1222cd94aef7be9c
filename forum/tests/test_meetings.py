"""Meetings on the record: notices, notice of absence, attendance, chair and secretary, and
the conclusion's time rule. Every refusal is tried as each persona that must be refused."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from conftest import make_member, summary_links
from forum import selectors, services
from forum.models import Absence, Attendance, ModerationEvent, Topic
from notifications.models import Notification

WHEN = datetime.datetime(2020, 12, 5, 8, 0, tzinfo=datetime.UTC)


@pytest.fixture
def meeting(personas, org):
    return services.meeting_schedule(
        actor=personas["secretary_a"],
        cell=org["cell_a"],
        title="Sinh hoạt chi bộ thường kỳ tháng 12 năm 2020",
        meeting_at=WHEN,
        place="Nhà văn hóa thôn An Lợi",
        online_url="https://vmeet.example.vn/an-loi",
        agenda="1. Kiểm điểm tháng 11\n2. Nhiệm vụ tháng 12",
        chair=personas["secretary_a"],
        meeting_secretary=personas["member_a"],
    )


def _form(**extra):
    data = {
        "title": "Sinh hoạt chi bộ thường kỳ tháng 12 năm 2020",
        "meeting_at": "2020-12-05T15:00",
        "place": "Nhà văn hóa thôn An Lợi",
        "online_url": "https://vmeet.example.vn/an-loi",
        "agenda": "1. Kiểm điểm tháng 11",
    }
    data.update(extra)
    return data


# --- Scheduling and notices --------------------------------------------------------------------


def test_scheduling_notifies_every_member_of_the_cell_with_time_place_link_and_agenda(client_as, personas, org):
    response = client_as(personas["secretary_a"]).post("/forum/meetings/new/", _form(idempotency_key="k" * 20))
    topic = Topic.objects.get(kind=Topic.Kind.MEETING)
    assert response.status_code == 302 and response["Location"] == f"/forum/topics/{topic.pk}/"
    assert topic.place == "Nhà văn hóa thôn An Lợi" and topic.online_url == "https://vmeet.example.vn/an-loi"
    note = Notification.objects.get(user=personas["member_a"])
    for part in ("15:00 05/12/2020", "Nhà văn hóa thôn An Lợi", "https://vmeet.example.vn/an-loi", "Kiểm điểm"):
        assert part in note.message
    assert note.url == f"/forum/topics/{topic.pk}/"
    assert not Notification.objects.filter(user__in=[personas["member_b"], personas["secretary_a"]]).exists()
    # The same form sent again schedules nothing more and notifies nobody twice.
    again = client_as(personas["secretary_a"]).post("/forum/meetings/new/", _form(idempotency_key="k" * 20))
    assert again["Location"] == response["Location"]
    assert Topic.objects.filter(kind=Topic.Kind.MEETING).count() == 1 and Notification.objects.count() == 1


def test_opening_a_themed_session_notifies_every_member(client_as, personas, org, theme):
    client = client_as(personas["secretary_a"])
    data = {"opening": "Đề dẫn", "meeting_at": "2020-04-10T08:00", "place": "Hội trường xã", "agenda": "Thảo luận"}
    assert client.post(f"/forum/themes/{theme.pk}/open/", data).status_code == 302
    note = Notification.objects.get(user=personas["member_a"])
    assert "Hội trường xã" in note.message and "08:00 10/04/2020" in note.message


def test_a_link_that_is_not_a_web_address_is_refused_and_nothing_typed_is_lost(client_as, personas, org):
    response = client_as(personas["secretary_a"]).post("/forum/meetings/new/", _form(online_url="javascript:alert(1)"))
    assert response.status_code == 200 and not Topic.objects.filter(kind=Topic.Kind.MEETING).exists()
    assert "Nhà văn hóa thôn An Lợi" in response.content.decode()
    with pytest.raises(ValidationError):
        services.meeting_schedule(
            actor=personas["secretary_a"], cell=org["cell_a"], title="Họp", meeting_at=WHEN, online_url="ftp://x.vn"
        )


def test_a_refused_meeting_form_is_summed_up_at_the_top(client_as, personas, org):
    response = client_as(personas["secretary_a"]).post(
        "/forum/meetings/new/", _form(meeting_at="", online_url="javascript:alert(1)")
    )
    page = response.content.decode()
    assert summary_links(page) == ["id_meeting_at", "id_online_url"]
    assert "Nhà văn hóa thôn An Lợi" in page


@pytest.mark.parametrize(
    ("persona", "new", "edit"),
    [("member_a", 403, 403), ("member_b", 403, 404), ("officer", 404, 404), ("outsider", 404, 404)],
)
def test_only_a_cell_leader_schedules_or_edits_a_meeting(client_as, personas, meeting, persona, new, edit):
    client = client_as(personas[persona])
    assert client.post("/forum/meetings/new/", _form()).status_code == new  # member_b: not a leader of B either
    assert client.post(f"/forum/topics/{meeting.pk}/meeting/", _form(place="Khác")).status_code == edit
    assert Topic.objects.filter(kind=Topic.Kind.MEETING).count() == 1
    meeting.refresh_from_db()
    assert meeting.place == "Nhà văn hóa thôn An Lợi"


def test_anonymous_is_sent_to_log_in(client_as, meeting):
    assert client_as(None).get(f"/forum/topics/{meeting.pk}/votes/").status_code == 302


def test_the_chair_and_the_meeting_secretary_are_recorded_and_shown(client_as, personas, meeting):
    assert meeting.chair == personas["secretary_a"] and meeting.meeting_secretary == personas["member_a"]
    page = client_as(personas["member_a"]).get(f"/forum/topics/{meeting.pk}/").content.decode()
    assert "Lê Thị Bích" in page and "Nguyễn Văn Ấn" in page and "https://vmeet.example.vn/an-loi" in page


def test_the_chair_must_be_a_member_of_the_cell(personas, org):
    with pytest.raises(ValidationError):
        services.meeting_schedule(
            actor=personas["secretary_a"], cell=org["cell_a"], title="Họp", meeting_at=WHEN, chair=personas["member_b"]
        )


def test_a_new_time_is_announced_again_and_kept_in_the_history(client_as, personas, meeting):
    client = client_as(personas["secretary_a"])
    data = {"meeting_at": "2020-12-06T08:00", "place": "Nhà văn hóa thôn An Lợi", "chair": personas["secretary_a"].pk}
    assert client.post(f"/forum/topics/{meeting.pk}/meeting/", data).status_code == 302
    latest = Notification.objects.filter(user=personas["member_a"]).latest("pk")
    assert "08:00 06/12/2020" in latest.message
    assert ModerationEvent.objects.filter(topic=meeting, action="meeting_changed").exists()


NOTICE_WORDS = {
    "en": [
        "Meeting notice: Sinh hoạt chi bộ thường kỳ tháng 12 năm 2020",
        "Time: 15:00 05/12/2020",
        "Place: Nhà văn hóa thôn An Lợi",
        "Online: https://vmeet.example.vn/an-loi",
        "Agenda: 1. Kiểm điểm tháng 11 2. Nhiệm vụ tháng 12",
    ],
    "vi": [
        "Thông báo họp: Sinh hoạt chi bộ thường kỳ tháng 12 năm 2020",
        "Thời gian: 15:00 05/12/2020",
        "Địa điểm: Nhà văn hóa thôn An Lợi",
        "Họp trực tuyến: https://vmeet.example.vn/an-loi",
        "Chương trình: 1. Kiểm điểm tháng 11 2. Nhiệm vụ tháng 12",
    ],
}
OTHER = {"en": "vi", "vi": "en"}


@pytest.fixture
def pushed(settings, monkeypatch):
    """What would go to the push worker: (user id, body, url), once the transaction commits."""
    from notifications import push

    settings.VAPID_PUBLIC_KEY, settings.VAPID_PRIVATE_KEY = "public", "private"
    queued = []
    monkeypatch.setattr(push, "enqueue", queued.append)
    return queued


def _assert_worded_in(text: str, language: str) -> None:
    for words in NOTICE_WORDS[language]:
        assert words in text, (words, text)
    for words in NOTICE_WORDS[OTHER[language]]:
        assert words.split(":")[0] + ":" not in text, (words, text)


def _notices_page(client, reader) -> str:
    client.force_login(reader)
    return client.get("/notifications/").content.decode()


@pytest.mark.parametrize("sender_language", ["vi", "en"])
def test_a_meeting_notice_reads_in_its_readers_language_whatever_the_senders(
    client, personas, org, sender_language, mailoutbox, pushed, django_capture_on_commit_callbacks
):
    reader_language = OTHER[sender_language]
    reader = make_member("reader", org["cell_a"], full_name="Người Đọc", language=reader_language)
    with translation.override(sender_language), django_capture_on_commit_callbacks(execute=True):
        services.meeting_schedule(
            actor=personas["secretary_a"],
            cell=org["cell_a"],
            title="Sinh hoạt chi bộ thường kỳ tháng 12 năm 2020",
            meeting_at=WHEN,
            place="Nhà văn hóa thôn An Lợi",
            online_url="https://vmeet.example.vn/an-loi",
            agenda="1. Kiểm điểm tháng 11\n2. Nhiệm vụ tháng 12",
        )
    note = Notification.objects.get(user=reader)
    # Sent in the reader's language: the live event, the e-mail and the push carry it.
    _assert_worded_in(note.message, reader_language)
    (mail,) = [m for m in mailoutbox if m.to == [reader.email]]
    _assert_worded_in(mail.body, reader_language)
    assert mail.subject.split("] ", 1)[-1].startswith(NOTICE_WORDS[reader_language][0][:20])
    (push,) = [body for user_id, body, _url in pushed if user_id == reader.pk]
    _assert_worded_in(push, reader_language)
    # Shown in the reader's language of the moment.
    _assert_worded_in(_notices_page(client, reader), reader_language)
    reader.language = sender_language
    reader.save(update_fields=["language"])
    _assert_worded_in(_notices_page(client, reader), sender_language)


def test_a_changed_meeting_reads_in_its_readers_language(client, personas, org, meeting):
    reader = make_member("reader", org["cell_a"], full_name="Người Đọc", language="en")
    with translation.override("vi"):
        services.meeting_update(
            actor=personas["secretary_a"],
            topic=meeting,
            meeting_at=WHEN + datetime.timedelta(days=1),
            place="Hội trường xã",
            chair=personas["secretary_a"],
        )
    note = Notification.objects.get(user=reader)
    assert note.text.startswith("Meeting changed: Sinh hoạt chi bộ") and "Place: Hội trường xã" in note.text
    assert "Time: 15:00 06/12/2020" in note.text and "Online:" not in note.text
    with translation.override("vi"):
        assert note.text.startswith("Thay đổi lịch họp: Sinh hoạt chi bộ")
        assert "Thời gian: 15:00 06/12/2020. Địa điểm: Hội trường xã" in note.text
    assert "Meeting changed" in _notices_page(client, reader)


def test_a_new_chair_alone_is_not_announced_again(personas, meeting):
    before = Notification.objects.count()
    services.meeting_update(
        actor=personas["secretary_a"],
        topic=meeting,
        meeting_at=meeting.meeting_at,
        place=meeting.place,
        online_url=meeting.online_url,
        agenda=meeting.agenda,
        chair=personas["member_a"],
        meeting_secretary=personas["member_a"],
    )
    meeting.refresh_from_db()
    assert meeting.chair == personas["member_a"]
    assert Notification.objects.count() == before


def test_a_new_agenda_or_chair_is_kept_in_the_history_without_announcing_it_again(personas, meeting):
    notices = Notification.objects.filter(user=personas["member_a"]).count()
    services.meeting_update(
        actor=personas["secretary_a"],
        topic=meeting,
        meeting_at=meeting.meeting_at,
        place=meeting.place,
        online_url=meeting.online_url,
        agenda="1. Kiểm điểm tháng 11\n2. Nhiệm vụ tháng 12\n3. Công tác đảng viên",
        chair=personas["member_a"],
        meeting_secretary=personas["secretary_a"],
    )
    assert Notification.objects.filter(user=personas["member_a"]).count() == notices
    event = ModerationEvent.objects.filter(topic=meeting, action="meeting_changed").latest("pk")
    assert "agenda" in event.detail and "chair" in event.detail


# --- Notice of absence ---------------------------------------------------------------------------


def test_a_member_says_beforehand_they_cannot_attend_with_a_reason(client_as, personas, meeting):
    client = client_as(personas["member_a"])
    empty = client.post(f"/forum/topics/{meeting.pk}/absence/", {"reason": "  "})
    assert empty.status_code == 200 and "Xin cho biết lý do" in empty.content.decode()
    assert client.post(f"/forum/topics/{meeting.pk}/absence/", {"reason": "Đi công tác"}).status_code == 302
    assert Absence.objects.get(topic=meeting, user=personas["member_a"]).reason == "Đi công tác"
    row = next(r for r in selectors.meeting_attendance(meeting) if r.user == personas["member_a"])
    assert (row.status, row.reason, row.recorded) == ("excused", "Đi công tác", False)


@pytest.mark.parametrize("persona", ["member_b", "officer", "outsider"])
def test_outsiders_cannot_send_a_notice_of_absence(client_as, personas, meeting, persona):
    response = client_as(personas[persona]).post(f"/forum/topics/{meeting.pk}/absence/", {"reason": "x"})
    assert response.status_code == 404 and not Absence.objects.exists()


# --- Attendance ---------------------------------------------------------------------------------


def test_attendance_starts_from_the_notices_and_participation(personas, org, session):
    late = make_member("late", org["cell_a"], full_name="Phạm Văn Dũng")
    services.post_create(actor=personas["member_a"], topic=session, body="Ý kiến")
    rows = {r.user.username: r for r in selectors.meeting_attendance(session)}
    assert rows["member_a"].status == "present" and rows["secretary_a"].status == "present"
    assert rows[late.username].status == "absent" and not rows[late.username].recorded


def test_the_secretary_takes_attendance_by_hand(client_as, personas, meeting):
    member, secretary = personas["member_a"], personas["secretary_a"]
    client = client_as(secretary)
    page = client.get(f"/forum/topics/{meeting.pk}/attendance/")
    assert page.status_code == 200 and "Nguyễn Văn Ấn" in page.content.decode()
    data = {f"status_{member.pk}": "excused", f"reason_{member.pk}": "", f"status_{secretary.pk}": "present"}
    refused = client.post(f"/forum/topics/{meeting.pk}/attendance/", data)
    assert refused.status_code == 400 and "Nguyễn Văn Ấn" in refused.content.decode()
    assert not Attendance.objects.exists()
    data[f"reason_{member.pk}"] = "Ốm"
    assert client.post(f"/forum/topics/{meeting.pk}/attendance/", data).status_code == 302
    assert Attendance.objects.get(user=member).reason == "Ốm"


def test_the_meeting_secretary_takes_attendance_too(client_as, personas, meeting):
    member = personas["member_a"]  # a plain member, recorded as this meeting's secretary
    data = {f"status_{member.pk}": "present"}
    assert client_as(member).post(f"/forum/topics/{meeting.pk}/attendance/", data).status_code == 302
    assert Attendance.objects.get(user=member).status == "present"


REFUSED = [("member_a", 403), ("member_b", 404), ("officer", 404), ("outsider", 404)]


@pytest.mark.parametrize(("persona", "status"), REFUSED)
def test_others_cannot_take_attendance(client_as, personas, session, persona, status):
    data = {f"status_{personas['member_a'].pk}": "absent"}
    response = client_as(personas[persona]).post(f"/forum/topics/{session.pk}/attendance/", data)
    assert response.status_code == status and not Attendance.objects.exists()


def test_changes_after_the_conclusion_are_audited(personas, session):
    secretary, member = personas["secretary_a"], personas["member_a"]
    services.session_conclude(actor=secretary, topic=session, conclusion="Kết luận")
    services.attendance_record(actor=secretary, topic=session, entries={member.pk: ("excused", "Ốm")})
    event = ModerationEvent.objects.filter(topic=session, action="attendance").get()
    assert event.actor == secretary and "Nguyễn Văn Ấn" in event.detail and "Ốm" in event.detail
    assert event.detail.startswith("Sau khi kết luận")
    session.minutes.refresh_from_db()
    assert session.minutes.absentees >= 1  # the correction counts: the member is now absent


# --- Conclusion and the scheduled time -----------------------------------------------------------


def test_a_conclusion_before_the_scheduled_time_is_refused(client_as, personas, org):
    later = timezone.now() + datetime.timedelta(days=2)
    topic = services.meeting_schedule(actor=personas["secretary_a"], cell=org["cell_a"], title="Họp", meeting_at=later)
    client = client_as(personas["secretary_a"])
    page = client.get(f"/forum/topics/{topic.pk}/conclude/").content.decode()
    assert "chưa đến giờ họp" in page
    response = client.post(f"/forum/topics/{topic.pk}/conclude/", {"conclusion": "Kết luận sớm"})
    assert response.status_code == 200 and "không thể kết luận trước giờ họp" in response.content.decode()
    assert "Kết luận sớm" in response.content.decode()
    topic.refresh_from_db()
    assert not topic.is_concluded


def test_a_renamed_chair_shows_on_the_next_view_of_the_meeting(client_as, personas, meeting):
    from accounts.services import user_rename

    client = client_as(personas["member_a"])
    assert "Lê Thị Bích" in client.get(f"/forum/topics/{meeting.pk}/").content.decode()  # cached now
    user_rename(user=personas["secretary_a"], full_name="Lê Thị Bích Ngọc", actor=personas["officer"])
    assert "Lê Thị Bích Ngọc" in client.get(f"/forum/topics/{meeting.pk}/").content.decode()
