"""A notification is worded in its reader's language when shown, not stored in the sender's."""

import pytest
from django.utils import translation
from django.utils.translation import gettext_noop

from conftest import make_member
from forum import services as forum_services
from notifications.models import Notification
from notifications.services import notification_send

pytestmark = pytest.mark.django_db


def _profile(language: str) -> dict:
    return {
        "email": "mentioned@example.org",
        "phone": "",
        "language": language,
        "large_text": "",
        "email_notifications": "",
    }


def test_a_mention_reads_in_the_language_the_reader_switches_to(client, personas, org):
    reader = make_member("mentioned", org["cell_a"], full_name="Người Được Nhắc", language="vi")
    topic = forum_services.topic_create(actor=personas["secretary_a"], cell=org["cell_a"], title="Nghị quyết", body="x")
    with translation.override("en"):  # the sender writes in English
        forum_services.post_create(actor=personas["secretary_a"], topic=topic, body="Xin ý kiến @mentioned")
    note = Notification.objects.get(user=reader, kind="forum.mention")
    assert note.msgid and note.params["topic"] == "Nghị quyết"
    assert note.message.endswith("đã nhắc đến đồng chí trong “Nghị quyết”")  # sent in the reader's language

    client.force_login(reader)
    assert "đã nhắc đến đồng chí trong “Nghị quyết”" in client.get("/notifications/").content.decode()
    assert client.post("/accounts/profile/", _profile("en")).status_code == 302
    page = client.get("/notifications/").content.decode()
    assert "mentioned you in “Nghị quyết”" in page
    assert "đã nhắc đến đồng chí" not in page
    client.post("/accounts/profile/", _profile("vi"))
    assert "đã nhắc đến đồng chí trong “Nghị quyết”" in client.get("/notifications/").content.decode()


def test_an_old_row_keeps_its_stored_text(client, personas):
    reader = personas["member_a"]
    reader.language = "en"
    reader.save(update_fields=["language"])
    Notification.objects.create(user=reader, kind="old", message="Thông báo cũ đã lưu")
    client.force_login(reader)
    assert "Thông báo cũ đã lưu" in client.get("/notifications/").content.decode()


def test_a_message_id_that_no_longer_fits_its_params_falls_back_to_the_stored_text(personas):
    note = notification_send(
        user=personas["member_a"],
        kind="test",
        msgid=gettext_noop("A post in “%(topic)s” was reported"),
        params={"topic": "Chủ đề"},
        email=False,
    )
    note.params = {"other": 1}
    assert note.text == note.message


def test_a_message_made_of_pieces_is_worded_piece_by_piece_in_the_readers_language(personas):
    """The meeting notice's shape: optional pieces, each a message id with its own parameters."""
    note = notification_send(
        user=personas["member_a"],
        kind="test",
        msgid=gettext_noop("Meeting notice: %(notice)s"),
        params={
            "notice": {
                "parts": [
                    "Họp tháng 12",
                    {"msgid": gettext_noop("Place: %(place)s"), "params": {"place": "Hội trường"}},
                ],
                "sep": ". ",
            }
        },
        email=False,
    )
    assert note.message == "Thông báo họp: Họp tháng 12. Địa điểm: Hội trường"
    with translation.override("en"):
        assert note.text == "Meeting notice: Họp tháng 12. Place: Hội trường"
    note.params["notice"]["parts"][1]["params"] = {"other": 1}  # a piece that no longer fits
    assert note.text == note.message
