"""Access that ends, ends on sockets already open: both the notification socket and a forum
topic socket, through the real ASGI application (origin check, session auth, routing).

Each case opens the sockets first, then ends or changes access the way the site does it (an
HTTP logout or password change, an admin save, a queryset update, a role change), and
expects each socket of that user to close with a code, or to re-check, within a second.
"""

import html
import re

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connections
from django.test import Client

from accounts.models import User
from asgi import application
from cells.models import Membership
from cells.services import membership_change_role
from forum import services as forum
from forum.permissions import forum_active_member_ids
from notifications.services import notification_send

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

ORIGIN = b"http://localhost"
WITHIN = 1  # second: how soon a socket must close or re-check


@pytest.fixture(autouse=True)
async def _close_worker_thread_connections():
    yield
    await sync_to_async(connections.close_all)()


@sync_to_async
def _login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


async def _open(client: Client, path: str) -> WebsocketCommunicator:
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    headers = [(b"origin", ORIGIN), (b"host", b"localhost"), (b"cookie", cookie)]
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, code = await communicator.connect(timeout=5)
    assert connected, f"{path} refused with {code}"
    return communicator


async def _sockets(client: Client, topic) -> list[WebsocketCommunicator]:
    """The notification socket and a topic socket of one login session, past their greetings."""
    bell = await _open(client, "/ws/notifications/")
    assert (await bell.receive_json_from(timeout=3))["type"] == "notification.unread"
    forum_socket = await _open(client, f"/ws/forum/topics/{topic.pk}/")
    assert (await forum_socket.receive_json_from(timeout=3))["type"] == "presence"
    return [bell, forum_socket]


async def _closes(communicator: WebsocketCommunicator, code: int) -> None:
    """The socket closes with this code within a second, sending nothing of a topic first."""
    while True:
        output = await communicator.receive_output(timeout=WITHIN)
        if output["type"] == "websocket.close":
            break
        assert output["type"] == "websocket.send"
        assert '"post.' not in output.get("text", "") and '"notification.created"' not in output.get("text", "")
    assert output.get("code") == code
    await communicator.disconnect()  # as the server does once the client has closed too


async def _still_open(bell: WebsocketCommunicator, user) -> None:
    """The notification socket still hears its user's notifications."""
    await sync_to_async(notification_send)(user=user, kind="test", message="vẫn mở", email=False)
    event = await bell.receive_json_from(timeout=3)
    assert (event["type"], event["message"]) == ("notification.created", "vẫn mở")


async def test_logout_closes_the_sockets_of_that_session_only(personas, general):
    user = personas["member_a"]
    phone, laptop = await _login(user), await _login(user)
    phone_sockets = await _sockets(phone, general)
    laptop_sockets = await _sockets(laptop, general)

    response = await sync_to_async(phone.post)("/accounts/logout/")
    assert response.status_code == 302

    for socket in phone_sockets:
        await _closes(socket, 4401)
    await _still_open(laptop_sockets[0], user)
    for socket in laptop_sockets:
        await socket.disconnect()


async def test_a_password_change_in_another_session_closes_this_sessions_sockets(personas, general):
    user = personas["member_a"]
    phone, laptop = await _login(user), await _login(user)
    phone_sockets = await _sockets(phone, general)

    response = await sync_to_async(laptop.post)(
        "/accounts/password/change/",
        {"oldpassword": "pw-member_a", "password1": "Mật khẩu mới 2026!", "password2": "Mật khẩu mới 2026!"},
    )
    assert response.status_code == 302, response.content[:500]

    for socket in phone_sockets:
        await _closes(socket, 4401)
    # The session that changed the password still logs in, and opens sockets again.
    for socket in await _sockets(laptop, general):
        await socket.disconnect()


def _admin_unticks_active(user) -> None:
    """A site admin opens the user's change page, unticks "active" and saves it."""
    from conftest import make_user

    admin = Client()
    admin.force_login(make_user("quan_tri", is_staff=True, is_superuser=True))
    url = f"/admin/accounts/user/{user.pk}/change/"
    page = admin.get(url).content.decode()
    form = {}
    for tag in re.findall(r"<input[^>]*>", page):
        name, value = re.search(r'name="([^"]+)"', tag), re.search(r'value="([^"]*)"', tag)
        if name and ('type="checkbox"' not in tag or "checked" in tag):
            form[name.group(1)] = html.unescape(value.group(1)) if value else "on"
    for name, options in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', page, re.S):
        selected = re.search(r'<option value="([^"]*)"[^>]*selected', options)
        if selected:
            form[name] = selected.group(1)
    del form["is_active"]
    assert admin.post(url, form).status_code == 302


@pytest.mark.parametrize("how", ["admin", "save", "update", "bulk_update"])
async def test_deactivating_the_account_closes_all_its_sockets(personas, general, how):
    user = personas["member_a"]
    sockets = await _sockets(await _login(user), general) + await _sockets(await _login(user), general)

    def deactivate():
        if how == "admin":
            _admin_unticks_active(user)
        elif how == "save":
            account = User.objects.get(pk=user.pk)
            account.is_active = False
            account.save()
        elif how == "update":
            User.objects.filter(pk=user.pk).update(is_active=False)
        else:
            account = User.objects.get(pk=user.pk)
            account.is_active = False
            User.objects.bulk_update([account], ["is_active"])

    await sync_to_async(deactivate)()
    for socket in sockets:
        await _closes(socket, 4401)
    assert not (await User.objects.aget(pk=user.pk)).is_active


@pytest.mark.parametrize("how", ["save", "update"])
async def test_the_cached_member_list_holds_active_accounts_only(org, personas, how):
    user = personas["member_a"]
    assert user.pk in await sync_to_async(forum_active_member_ids)(org["cell_a"].pk)

    def deactivate():
        if how == "save":
            user.is_active = False
            user.save()
        else:
            User.objects.filter(pk=user.pk).update(is_active=False)

    await sync_to_async(deactivate)()
    assert user.pk not in await sync_to_async(forum_active_member_ids)(org["cell_a"].pk)


async def _hide_and_post(personas, general) -> tuple:
    """member_a's post is hidden (by a deputy) and then edited by its author, which only
    leaders (and the author) may see; then a visible post follows."""
    from conftest import make_member

    deputy = await sync_to_async(make_member)("pho_bi_thu", general.cell, role="deputy")
    secret = await sync_to_async(forum.post_create)(actor=personas["member_a"], topic=general, body="sẽ bị ẩn")
    await sync_to_async(forum.post_hide)(actor=deputy, post=secret, reason="lạc đề")
    await sync_to_async(forum.post_edit)(actor=personas["member_a"], post=secret, body="sửa khi đã ẩn")
    visible = await sync_to_async(forum.post_create)(actor=deputy, topic=general, body="công khai")
    return secret, visible


async def _events_until_post(socket, post_id: int) -> list[dict]:
    """Events (no presence or typing) up to the post.created of this post."""
    seen = []
    while not seen or (seen[-1]["type"], seen[-1].get("id")) != ("post.created", post_id):
        event = await socket.receive_json_from(timeout=3)
        if event["type"] not in ("presence", "typing"):
            seen.append(event)
    return seen


async def test_a_secretary_demoted_to_member_stops_seeing_hidden_posts(personas, general):
    secretary = personas["secretary_a"]
    bell, topic_socket = await _sockets(await _login(secretary), general)
    membership = await sync_to_async(Membership.objects.get)(user=secretary, ended_on__isnull=True)

    await sync_to_async(membership_change_role)(actor=None, membership=membership, role="member", status="official")
    secret, visible = await _hide_and_post(personas, general)

    seen = await _events_until_post(topic_socket, visible.pk)
    assert ("post.hidden", secret.pk) in [(e["type"], e.get("id")) for e in seen]  # as every member
    assert [e for e in seen if e["type"] == "post.edited"] == []  # the hidden post's text: leaders only
    await topic_socket.disconnect()
    await bell.disconnect()


async def test_a_demotion_whose_event_went_unheard_still_hides_hidden_posts_on_the_next_event(
    personas, general, monkeypatch
):
    # The `access.changed` of the demotion is lost (a full channel layer): the socket learns
    # who leads the cell from the cell's cached list on every event, not from that event.
    monkeypatch.setattr("cells.signals.publish_on_commit", lambda group, event: None)
    secretary = personas["secretary_a"]
    bell, topic_socket = await _sockets(await _login(secretary), general)
    membership = await sync_to_async(Membership.objects.get)(user=secretary, ended_on__isnull=True)

    await sync_to_async(membership_change_role)(actor=None, membership=membership, role="member", status="official")
    secret, visible = await _hide_and_post(personas, general)

    seen = await _events_until_post(topic_socket, visible.pk)
    assert ("post.hidden", secret.pk) in [(e["type"], e.get("id")) for e in seen]
    assert [e for e in seen if e["type"] == "post.edited"] == []
    await topic_socket.disconnect()
    await bell.disconnect()


async def test_a_member_promoted_to_deputy_starts_seeing_hidden_posts(personas, general):
    from conftest import make_member

    member = await sync_to_async(make_member)("dang_vien_moi", general.cell)
    bell, topic_socket = await _sockets(await _login(member), general)
    membership = await sync_to_async(Membership.objects.get)(user=member, ended_on__isnull=True)

    await sync_to_async(membership_change_role)(actor=None, membership=membership, role="deputy", status="official")
    secret, visible = await _hide_and_post(personas, general)

    seen = await _events_until_post(topic_socket, visible.pk)
    assert ("post.edited", secret.pk) in [(e["type"], e.get("id")) for e in seen]
    await topic_socket.disconnect()
    await bell.disconnect()


async def test_a_socket_whose_logout_went_unheard_never_broadcasts_typing(personas, general, monkeypatch):
    # The logout's event is lost (a full channel layer): the socket must still not speak.
    monkeypatch.setattr("accounts.signals.publish_on_commit", lambda group, event: None)
    member = await _login(personas["member_a"])
    _bell, leaver = await _sockets(member, general)
    _bell2, watcher = await _sockets(await _login(personas["secretary_a"]), general)
    await sync_to_async(member.post)("/accounts/logout/")

    await leaver.send_json_to({"type": "typing"})
    await _closes(leaver, 4401)
    await watcher.send_json_to({"type": "typing"})
    typing = await watcher.receive_json_from(timeout=3)
    while typing["type"] != "typing":
        typing = await watcher.receive_json_from(timeout=3)
    assert typing["user_id"] == personas["secretary_a"].pk  # the first typing is the watcher's own
    for socket in (_bell, _bell2, watcher):
        await socket.disconnect()


async def test_a_deactivated_account_whose_event_went_unheard_never_broadcasts_presence(personas, general, monkeypatch):
    import forum.consumers

    monkeypatch.setattr(forum.consumers, "PING_INTERVAL", 0)
    monkeypatch.setattr("accounts.signals.publish_on_commit", lambda group, event: None)
    user = personas["member_a"]
    _bell, leaver = await _sockets(await _login(user), general)
    _bell2, watcher = await _sockets(await _login(personas["secretary_a"]), general)
    await sync_to_async(User.objects.filter(pk=user.pk).update)(is_active=False)
    await sync_to_async(forum.consumers.cache.delete)(forum.consumers._presence_key(general.pk, user.pk))

    await leaver.send_json_to({"type": "presence.ping"})  # would list them again
    await _closes(leaver, 4401)
    await watcher.send_json_to({"type": "typing"})
    event = await watcher.receive_json_from(timeout=3)
    while event["type"] == "presence":  # only the roster sent as the socket left
        assert event.get("left") == user.pk, event
        event = await watcher.receive_json_from(timeout=3)
    assert event["type"] == "typing"
    for socket in (_bell, _bell2, watcher):
        await socket.disconnect()


def _change_password_in_another_process(user) -> None:
    """`manage.py changepassword` on the embedded default: its events reach only its own
    in-memory channel layer, never the server's; what reaches the server is the epoch file
    (core.cache.touch_epoch) that its bump replaces."""
    import core.cache as versioned_cache

    serving, versioned_cache._serving = versioned_cache._serving, False  # this is the command now
    try:
        account = User.objects.get(pk=user.pk)
        account.set_password("Mật khẩu đổi bằng lệnh 2026!")
        account.save()
    finally:
        versioned_cache._serving = serving


async def test_a_password_changed_by_another_process_on_the_embedded_default_closes_the_sockets(
    personas, general, tmp_path, settings, monkeypatch
):
    import core.cache as versioned_cache

    settings.CACHE_EPOCH_FILE = str(tmp_path / "db.sqlite3-cache-epoch")
    monkeypatch.setattr(versioned_cache, "_serving", True)
    monkeypatch.setattr(versioned_cache, "_epoch_seen", versioned_cache._MISSING)
    monkeypatch.setattr(versioned_cache, "_epoch", "")
    monkeypatch.setattr("accounts.signals.publish_on_commit", lambda group, event: None)  # lost in the command
    user = personas["member_a"]
    bell, topic_socket = await _sockets(await _login(user), general)

    await sync_to_async(_change_password_in_another_process)(user)
    # The next thing each socket would pass on: a reply in the topic, a notification.
    await sync_to_async(forum.post_create)(actor=personas["secretary_a"], topic=general, body="Sau khi đổi mật khẩu")
    await sync_to_async(notification_send)(user=user, kind="test", message="không được tới", email=False)

    await _closes(topic_socket, 4401)
    await _closes(bell, 4401)


async def test_a_logout_whose_event_went_unheard_stops_what_the_sockets_pass_on(personas, general, monkeypatch):
    # The logout's event is lost (a full channel layer) and the client never asks for
    # anything: before passing on an event, each socket re-checks its session at least every
    # SESSION_RECHECK seconds (0 here, so on the very next event).
    import core.sockets

    monkeypatch.setattr(core.sockets, "SESSION_RECHECK", 0)
    monkeypatch.setattr("accounts.signals.publish_on_commit", lambda group, event: None)
    user = personas["member_a"]
    member = await _login(user)
    bell, topic_socket = await _sockets(member, general)
    await sync_to_async(member.post)("/accounts/logout/")

    await sync_to_async(forum.post_create)(actor=personas["secretary_a"], topic=general, body="Sau khi đăng xuất")
    await sync_to_async(notification_send)(user=user, kind="test", message="không được tới", email=False)

    await _closes(topic_socket, 4401)
    await _closes(bell, 4401)
