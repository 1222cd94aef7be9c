"""Web Push for real (issue 13): a push service started by the test on 127.0.0.1 receives
what `notification_send` pushes, checks the VAPID header, decrypts the payload with http_ece
(RFC 8291, aes128gcm) using the browser's keys the test made, and reads the message. A
subscription the service answers 404 or 410 for is removed. Pushes go from a background
worker after commit (transactional_db: the worker's own connection sees what was committed);
a slow push service does not delay the page."""

import base64
import json
import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.core.management import call_command
from django.urls import reverse

from conftest import make_user
from notifications import push
from notifications.models import PushSubscription
from notifications.services import notification_send


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class PushService:
    """A push service on a free loopback port answering `status` and keeping what it got."""

    def __init__(self, status: int, delay: float = 0.0):
        self.received: list[tuple[dict, bytes]] = []
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                time.sleep(delay)
                service.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def vapid(settings, capsys):
    call_command("make_vapid_keys")
    lines = dict(line.split("=", 1) for line in capsys.readouterr().out.split())
    settings.VAPID_PUBLIC_KEY = lines["VAPID_PUBLIC_KEY"]
    settings.VAPID_PRIVATE_KEY = lines["VAPID_PRIVATE_KEY"]
    settings.VAPID_SUBJECT = "mailto:admin@chibo.test"
    settings.PUSH_ALLOW_HTTP = True
    return lines


@pytest.fixture
def service_factory():
    started = []

    def start(status: int, delay: float = 0.0) -> PushService:
        started.append(PushService(status, delay))
        return started[-1]

    yield start
    push.wait_idle()
    for service in started:
        service.close()


def browser_keys():
    """What a browser makes when it subscribes: a P-256 key pair and a 16-byte auth secret."""
    private = ec.generate_private_key(ec.SECP256R1())
    public = private.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    auth = b"0123456789abcdef"
    return private, b64url(public), auth


def subscribe(client, endpoint: str, p256dh: str, auth: bytes):
    body = {"endpoint": endpoint, "keys": {"p256dh": p256dh, "auth": b64url(auth)}}
    return client.post(reverse("notifications:push_subscribe"), json.dumps(body), content_type="application/json")


def test_a_notification_reaches_the_phone_encrypted_for_it_alone(transactional_db, client_as, vapid, service_factory):
    service = service_factory(201)
    user = make_user("nhan", "Người Nhận")
    private, p256dh, auth = browser_keys()
    assert subscribe(client_as(user), f"{service.url}/push/abc", p256dh, auth).status_code == 204
    notification_send(user=user, kind="mention", message="Đồng chí Bích đã nhắc đến đồng chí", url="/forum/1/")
    assert push.wait_idle()
    ((headers, body),) = service.received
    assert headers["content-encoding"] == "aes128gcm"
    assert (
        headers["authorization"].startswith("vapid t=") and f"k={vapid['VAPID_PUBLIC_KEY']}" in headers["authorization"]
    )
    payload = json.loads(http_ece.decrypt(body, private_key=private, auth_secret=auth, version="aes128gcm"))
    assert payload == {"title": "Chi bộ số", "body": "Đồng chí Bích đã nhắc đến đồng chí", "url": "/forum/1/"}
    # Nobody else's key opens it.
    stranger, _, _ = browser_keys()
    with pytest.raises(http_ece.ECEException):
        http_ece.decrypt(body, private_key=stranger, auth_secret=auth, version="aes128gcm")


@pytest.mark.parametrize("status", [404, 410])
def test_a_dead_subscription_is_removed(transactional_db, client_as, vapid, service_factory, status):
    dead, alive = service_factory(status), service_factory(201)
    user = make_user("nhan", "Người Nhận")
    client = client_as(user)
    _, p256dh, auth = browser_keys()
    subscribe(client, f"{dead.url}/push/old-phone", p256dh, auth)
    subscribe(client, f"{alive.url}/push/new-phone", p256dh, auth)
    notification = notification_send(user=user, kind="reminder", message="Nhắc học chuyên đề")
    assert push.wait_idle()
    assert len(dead.received) == 1 and len(alive.received) == 1
    assert list(PushSubscription.objects.values_list("endpoint", flat=True)) == [f"{alive.url}/push/new-phone"]
    assert notification.pk  # the in-site notification stands


def test_a_failing_push_service_loses_nothing(transactional_db, client_as, vapid, service_factory, caplog):
    service = service_factory(500)
    user = make_user("nhan", "Người Nhận")
    _, p256dh, auth = browser_keys()
    subscribe(client_as(user), f"{service.url}/push/x", p256dh, auth)
    with caplog.at_level(logging.WARNING, logger="notifications.push"):
        notification = notification_send(user=user, kind="reminder", message="Nhắc")  # does not raise
        assert push.wait_idle()
    assert notification.pk
    assert any("push to subscription" in r.getMessage() for r in caplog.records)
    assert PushSubscription.objects.count() == 1 and len(service.received) == 1


def test_turning_pushes_off_stops_them(transactional_db, client_as, vapid, service_factory):
    service = service_factory(201)
    user = make_user("nhan", "Người Nhận")
    client = client_as(user)
    _, p256dh, auth = browser_keys()
    subscribe(client, f"{service.url}/push/x", p256dh, auth)
    body = json.dumps({"endpoint": f"{service.url}/push/x"})
    assert (
        client.post(reverse("notifications:push_unsubscribe"), body, content_type="application/json").status_code == 204
    )
    notification_send(user=user, kind="reminder", message="Nhắc")
    assert push.wait_idle()
    assert service.received == [] and not PushSubscription.objects.exists()


def test_subscriptions_are_refused_to_anonymous_and_bad_or_plain_http_addresses(db, client, client_as, settings):
    _, p256dh, auth = browser_keys()
    response = subscribe(client, "https://push.example/x", p256dh, auth)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    member = client_as(make_user("nhan", "Người Nhận"))
    settings.PUSH_ALLOW_HTTP = False
    assert subscribe(member, "http://127.0.0.1:6379/x", p256dh, auth).status_code == 400
    assert subscribe(member, "file:///etc/passwd", p256dh, auth).status_code == 400
    url = reverse("notifications:push_subscribe")
    assert member.post(url, "not json", content_type="application/json").status_code == 400
    assert member.post(url, "[1]", content_type="application/json").status_code == 400
    assert not PushSubscription.objects.exists()


def test_without_keys_nothing_is_pushed(transactional_db, client_as, settings, service_factory):
    settings.VAPID_PUBLIC_KEY = settings.VAPID_PRIVATE_KEY = ""
    settings.PUSH_ALLOW_HTTP = True
    service = service_factory(201)
    user = make_user("nhan", "Người Nhận")
    _, p256dh, auth = browser_keys()
    subscribe(client_as(user), f"{service.url}/push/x", p256dh, auth)
    notification_send(user=user, kind="reminder", message="Nhắc")
    assert push.wait_idle()
    assert service.received == []


def test_a_slow_push_service_does_not_delay_the_page(
    transactional_db, client_as, personas, org, vapid, service_factory
):
    """A reply mentioning a member answers at once although the member's push service takes
    3 s; the push still arrives, encrypted, once the worker has sent it."""
    from forum import services as forum

    service = service_factory(201, delay=3.0)
    private, p256dh, auth = browser_keys()
    assert subscribe(client_as(personas["secretary_a"]), f"{service.url}/push/slow", p256dh, auth).status_code == 204
    topic = forum.topic_create(actor=personas["member_a"], cell=org["cell_a"], title="Sinh hoạt", body="Mở đầu.")
    client = client_as(personas["member_a"])
    started = time.monotonic()
    response = client.post(reverse("forum:topic", args=[topic.pk]), {"body": "Ý kiến của @secretary_a ạ"})
    took = time.monotonic() - started
    assert response.status_code == 302
    assert took < 2.0, f"the reply waited {took:.1f} s for the push service"
    assert service.received == []  # not yet: the push service is still answering
    assert push.wait_idle(15)
    ((_headers, body),) = service.received
    payload = json.loads(http_ece.decrypt(body, private_key=private, auth_secret=auth, version="aes128gcm"))
    assert payload["url"].startswith(f"/forum/topics/{topic.pk}/") and "Nguyễn Văn Ấn" in payload["body"]


def test_one_batch_reads_its_subscriptions_in_one_query(
    transactional_db, client_as, vapid, service_factory, django_assert_max_num_queries
):
    service = service_factory(201)
    users = [make_user(f"nhan{i}", f"Người Nhận {i}") for i in range(5)]
    for user in users:
        _, p256dh, auth = browser_keys()
        subscribe(client_as(user), f"{service.url}/push/{user.username}", p256dh, auth)
    with django_assert_max_num_queries(1):  # the select; nobody is deleted
        sent = push.push_batch([(user.pk, "Thông báo họp", "/forum/") for user in users])
    assert sent == 5 and len(service.received) == 5


def test_a_full_queue_drops_the_push_and_says_so(monkeypatch, caplog):
    import queue

    monkeypatch.setattr(push, "_queue", queue.Queue(maxsize=1))
    monkeypatch.setattr(push, "_start", lambda: None)  # no worker: the queue stays full
    assert push.enqueue((1, "a", "/")) is True
    with caplog.at_level(logging.WARNING, logger="notifications.push"):
        assert push.enqueue((1, "b", "/")) is False
    assert "push queue full" in caplog.text
