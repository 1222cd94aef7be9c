import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from notifications.models import Notification


def test_it_sends_a_notification_from_the_command_line(personas):
    user = personas["member_a"]
    call_command("send_notification", "member_a", "Họp chi bộ tối nay", "--url", "/cells/", "--no-email")
    notification = Notification.objects.get(user=user)
    assert (notification.message, notification.url, notification.kind) == (
        "Họp chi bộ tối nay",
        "/cells/",
        "announcement",
    )
    assert notification.read_at is None
    assert mail.outbox == []


def test_it_e_mails_it_unless_told_not_to(personas, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_notification", "member_a", "Họp chi bộ")
    assert [message.to for message in mail.outbox] == [["member_a@example.org"]]


def test_it_refuses_an_unknown_or_inactive_user_and_an_empty_message(personas):
    personas["member_b"].is_active = False
    personas["member_b"].save()
    for args in (["nobody", "x"], ["member_b", "x"], ["member_a", "  "]):
        with pytest.raises(CommandError):
            call_command("send_notification", *args)
    assert not Notification.objects.exists()
