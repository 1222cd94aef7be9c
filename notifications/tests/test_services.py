"""notification_send and notifications_mark_read: stored, pushed after commit, e-mailed by preference."""

import pytest

from conftest import make_user
from core.events import user_group
from notifications.models import Notification
from notifications.services import notification_send, notifications_mark_read


@pytest.fixture
def published(monkeypatch):
    sent = []
    monkeypatch.setattr("core.events.send_now", lambda group, event: sent.append((group, event)))
    return sent


def test_it_stores_pushes_and_emails_a_notification(db, published, mailoutbox, django_capture_on_commit_callbacks):
    user = make_user("nhan", "Người Nhận")
    with django_capture_on_commit_callbacks(execute=True):
        notification = notification_send(user=user, kind="test", message="Có bài mới", url="/cells/")
        assert published == [] and mailoutbox == []  # nothing before the commit
    assert Notification.objects.get() == notification
    assert (notification.user, notification.kind, notification.url, notification.is_read) == (
        user,
        "test",
        "/cells/",
        False,
    )
    ((group, event),) = published
    assert group == user_group(user.pk)
    assert event == {
        "version": 1,
        "type": "notification.created",
        "id": notification.pk,
        "kind": "test",
        "message": "Có bài mới",
        "url": "/cells/",
        "unread": 1,
    }
    (mail,) = mailoutbox
    assert mail.to == [user.email]
    assert "Có bài mới" in mail.subject
    assert "/cells/" in mail.body


@pytest.mark.parametrize(
    ("email", "wants", "email_arg"),
    [("", True, True), ("x@example.org", False, True), ("x@example.org", True, False)],
)
def test_it_emails_only_when_the_user_has_an_address_and_wants_it(
    db, mailoutbox, django_capture_on_commit_callbacks, email, wants, email_arg
):
    user = make_user("nhan")
    user.email, user.email_notifications = email, wants
    user.save()
    with django_capture_on_commit_callbacks(execute=True):
        notification_send(user=user, kind="test", message="x", email=email_arg)
    assert Notification.objects.filter(user=user).count() == 1
    assert mailoutbox == []


def test_it_cuts_long_messages_to_the_field(db):
    user = make_user("nhan")
    notification = notification_send(user=user, kind="test", message="a" * 600, email=False)
    notification.refresh_from_db()
    assert len(notification.message) == 500


def test_it_marks_only_the_users_own_notifications_read(db, published, django_capture_on_commit_callbacks):
    alice, bob = make_user("alice"), make_user("bob")
    a1 = notification_send(user=alice, kind="t", message="1", email=False)
    notification_send(user=alice, kind="t", message="2", email=False)
    b1 = notification_send(user=bob, kind="t", message="3", email=False)
    published.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert notifications_mark_read(user=alice, ids=[a1.pk, b1.pk]) == 1
    assert published == [(user_group(alice.pk), {"version": 1, "type": "notification.read", "unread": 1})]
    b1.refresh_from_db()
    assert not b1.is_read
    assert notifications_mark_read(user=alice) == 1
    assert not Notification.objects.filter(user=alice, read_at__isnull=True).exists()


def test_it_emails_a_message_that_has_line_breaks(org, personas, mailoutbox, django_capture_on_commit_callbacks):
    from notifications.services import notification_send

    with django_capture_on_commit_callbacks(execute=True):
        notification_send(user=personas["member_a"], kind="test", message="Giấy chứng nhận bị thu hồi.\nLý do: sai tên")
    assert len(mailoutbox) == 1
    assert "\n" not in mailoutbox[0].subject
    assert "Lý do: sai tên" in mailoutbox[0].body
