"""Notification pages: the list, opening (marks read), read-all, the bell's count."""

import re

from django.urls import reverse

from notifications.models import Notification
from notifications.services import notification_send


def _send(user, message="Tin mới", url=""):
    return notification_send(user=user, kind="test", message=message, url=url, email=False)


def _badge(html: str) -> str:
    return re.search(r"data-unread-count[^>]*>(\d+)<", html).group(1)


def test_it_lists_only_my_notifications_and_counts_unread_in_the_header(client_as, personas):
    _send(personas["member_a"], "Cho tôi")
    _send(personas["member_a"], "Cho tôi nữa")
    _send(personas["member_b"], "Cho người khác")
    response = client_as(personas["member_a"]).get(reverse("notifications:list"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Cho tôi" in html and "Cho tôi nữa" in html
    assert "Cho người khác" not in html
    assert _badge(html) == "2"
    assert _badge(client_as(personas["member_b"]).get(reverse("home")).content.decode()) == "1"


def test_it_opens_a_notification_marks_it_read_and_follows_its_link(client_as, personas):
    notification = _send(personas["member_a"], url="/cells/")
    client = client_as(personas["member_a"])
    response = client.post(reverse("notifications:open", args=[notification.pk]))
    assert response.status_code == 302
    assert response["Location"] == "/cells/"
    notification.refresh_from_db()
    assert notification.is_read
    assert _badge(client.get(reverse("home")).content.decode()) == "0"


def test_it_never_redirects_off_site(client_as, personas):
    notification = _send(personas["member_a"], url="https://evil.example/phish")
    response = client_as(personas["member_a"]).post(reverse("notifications:open", args=[notification.pk]))
    assert response["Location"] == reverse("notifications:list")


def test_it_answers_404_for_someone_elses_notification(client_as, personas):
    notification = _send(personas["member_b"])
    for persona in ("member_a", "officer", "outsider"):
        response = client_as(personas[persona]).post(reverse("notifications:open", args=[notification.pk]))
        assert response.status_code == 404
    notification.refresh_from_db()
    assert not notification.is_read


def test_it_opens_only_by_post(client_as, personas):
    notification = _send(personas["member_a"])
    client = client_as(personas["member_a"])
    assert client.get(reverse("notifications:open", args=[notification.pk])).status_code == 405
    assert client.get(reverse("notifications:read_all")).status_code == 405


def test_it_marks_all_read(client_as, personas):
    for i in range(3):
        _send(personas["member_a"], f"n{i}")
    other = _send(personas["member_b"])
    response = client_as(personas["member_a"]).post(reverse("notifications:read_all"))
    assert response.status_code == 302
    assert not Notification.objects.filter(user=personas["member_a"], read_at__isnull=True).exists()
    other.refresh_from_db()
    assert not other.is_read


def test_it_sends_anonymous_visitors_to_login(client_as, personas):
    notification = _send(personas["member_a"])
    client = client_as(None)
    for response in (
        client.get(reverse("notifications:list")),
        client.post(reverse("notifications:open", args=[notification.pk])),
        client.post(reverse("notifications:read_all")),
    ):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
    notification.refresh_from_db()
    assert not notification.is_read


def test_it_pages_long_lists(client_as, personas):
    Notification.objects.bulk_create(
        Notification(user=personas["member_a"], kind="t", message=f"m{i}") for i in range(35)
    )
    client = client_as(personas["member_a"])
    first = client.get(reverse("notifications:list"))
    assert len(first.context["page"].object_list) == 30
    second = client.get(reverse("notifications:list") + "?page=2")
    assert len(second.context["page"].object_list) == 5


def test_it_shows_messages_as_text(client_as, personas):
    _send(personas["member_a"], '<img src=x onerror="alert(1)">')
    html = client_as(personas["member_a"]).get(reverse("notifications:list")).content.decode()
    assert '<img src=x onerror="alert(1)">' not in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html
