import asyncio

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore

from asgi import application
from cells.services import membership_end, membership_move
from forum import services

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

ORIGIN = b"http://localhost"


def _cookie(user) -> bytes:
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}".encode()


async def _connect(user, topic_id: int, query: str = "", origin: bytes = ORIGIN):
    headers = [(b"origin", origin), (b"host", b"localhost")]
    if user is not None:
        headers.append((b"cookie", await sync_to_async(_cookie)(user)))
    path = f"/ws/forum/topics/{topic_id}/" + (f"?{query}" if query else "")
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, code = await communicator.connect(timeout=5)
    return communicator, connected, code


async def _next(communicator, kind: str, timeout: float = 3) -> dict:
    """The next event of this type, skipping presence and typing noise."""
    while True:
        event = await communicator.receive_json_from(timeout=timeout)
        if event["type"] == kind:
            return event


async def _post(**kwargs):
    return await sync_to_async(services.post_create)(**kwargs)


async def test_it_refuses_anonymous_and_non_members(personas, general):
    for who in ["anonymous", "member_b", "officer", "outsider"]:
        communicator, connected, code = await _connect(personas[who], general.pk)
        assert not connected, who
        assert code in (4401, 4404), who
        await communicator.disconnect()


async def test_it_refuses_a_foreign_origin(personas, general):
    communicator, connected, _code = await _connect(personas["member_a"], general.pk, origin=b"https://evil.example")
    assert not connected
    await communicator.disconnect()


async def test_it_refuses_an_unknown_topic(personas, general):
    communicator, connected, code = await _connect(personas["member_a"], general.pk + 999)
    assert not connected and code == 4404
    await communicator.disconnect()


async def test_it_delivers_posts_live_with_version_and_id(personas, general):
    communicator, connected, _ = await _connect(personas["member_a"], general.pk)
    assert connected
    presence = await _next(communicator, "presence")
    assert presence["viewers"] == ["Nguyễn Văn Ấn"] and presence["version"] == 1
    post = await _post(actor=personas["secretary_a"], topic=general, body="Xin chào **chi bộ**")
    event = await _next(communicator, "post.created")
    assert event["id"] == post.pk and event["version"] == 1 and "<strong>chi bộ</strong>" in event["html"]
    await sync_to_async(services.reaction_toggle)(actor=personas["secretary_a"], post=post)
    event = await _next(communicator, "reaction")
    assert (event["id"], event["count"]) == (post.pk, 1)
    await sync_to_async(services.post_edit)(actor=personas["secretary_a"], post=post, body="Đã sửa")
    assert (await _next(communicator, "post.edited"))["html"] == "<p>Đã sửa</p>"
    await sync_to_async(services.post_hide)(actor=personas["secretary_a"], post=post, reason="x")
    assert (await _next(communicator, "post.hidden"))["id"] == post.pk
    await communicator.disconnect()


async def test_it_does_not_leak_edits_of_hidden_posts(personas, general):
    post = await _post(actor=personas["secretary_a"], topic=general, body="một")
    await sync_to_async(services.post_hide)(actor=personas["member_a"], post=post, reason="x")
    communicator, _c, _ = await _connect(personas["member_a"], general.pk)
    await sync_to_async(services.post_edit)(actor=personas["secretary_a"], post=post, body="bí mật")
    visible = await _post(actor=personas["secretary_a"], topic=general, body="hai")
    seen = []
    while not seen or seen[-1]["type"] != "post.created":
        seen.append(await communicator.receive_json_from(timeout=3))
    assert seen[-1]["id"] == visible.pk
    assert "post.edited" not in [e["type"] for e in seen]  # the hidden post's edit never arrived
    await communicator.disconnect()


async def test_it_catches_up_after_an_id_then_goes_live(personas, general):
    first = await sync_to_async(lambda: general.posts.first())()
    missed = [await _post(actor=personas["secretary_a"], topic=general, body=f"lỡ {i}") for i in range(3)]
    hidden = await _post(actor=personas["secretary_a"], topic=general, body="ẩn")
    await sync_to_async(services.post_hide)(actor=personas["secretary_a"], post=hidden, reason="x")
    communicator, connected, _ = await _connect(personas["member_a"], general.pk, f"after={first.pk}")
    assert connected
    ids = [(await communicator.receive_json_from(timeout=3))["id"] for _ in missed]
    assert ids == [p.pk for p in missed]
    new = await _post(actor=personas["secretary_a"], topic=general, body="mới")
    assert (await _next(communicator, "post.created"))["id"] == new.pk
    await communicator.disconnect()


async def test_it_shares_typing_and_presence(personas, general):
    a, _c, _ = await _connect(personas["member_a"], general.pk)
    b, _c, _ = await _connect(personas["secretary_a"], general.pk)
    presence = await _next(a, "presence")
    while presence["viewers"] != ["Lê Thị Bích", "Nguyễn Văn Ấn"]:
        presence = await _next(a, "presence")
    await b.send_json_to({"type": "typing"})
    typing = await _next(a, "typing")
    assert typing["name"] == "Lê Thị Bích" and typing["version"] == 1
    await b.disconnect()
    presence = await _next(a, "presence")
    assert presence["viewers"] == ["Nguyễn Văn Ấn"]
    await a.disconnect()


async def test_viewers_joining_at_the_same_moment_are_all_listed(personas, org, general):
    from conftest import make_member

    others = [await sync_to_async(make_member)(f"dong_thoi_{i}", org["cell_a"]) for i in range(8)]
    users = [personas["member_a"], personas["secretary_a"], *others]
    sockets = [s for s, _ok, _code in await asyncio.gather(*(_connect(u, general.pk) for u in users))]
    for socket, user in zip(sockets, users, strict=True):  # each join is done once a roster lists it
        while user.full_name not in (await _next(socket, "presence"))["viewers"]:
            pass
    # A roster that lists one more viewer, who joined after all of them, lists them all.
    late = await sync_to_async(make_member)("den_sau", org["cell_a"])
    last, connected, _ = await _connect(late, general.pk)
    assert connected
    presence = await _next(last, "presence")
    while late.full_name not in presence["viewers"]:
        presence = await _next(last, "presence")
    assert presence["viewers"] == sorted(u.full_name for u in [*users, late])
    for socket in [*sockets, last]:
        await socket.disconnect()


async def test_a_flood_of_pings_sends_the_others_no_presence_events(personas, general):
    pinger, _c, _ = await _connect(personas["member_a"], general.pk)
    watcher, _c, _ = await _connect(personas["secretary_a"], general.pk)
    await _next(watcher, "presence")  # the watcher's own arrival
    for _ in range(3000):
        await pinger.send_json_to({"type": "presence.ping"})
    await pinger.send_json_to({"type": "typing"})  # handled after every ping
    kinds = []
    while not kinds or kinds[-1] != "typing":
        kinds.append((await watcher.receive_json_from(timeout=10))["type"])
    assert kinds == ["typing"]
    await pinger.disconnect()
    await watcher.disconnect()


async def test_a_viewer_whose_entry_expired_is_listed_again_on_the_next_ping(personas, general, monkeypatch):
    import forum.consumers

    monkeypatch.setattr(forum.consumers, "PING_INTERVAL", 0)
    pinger, _c, _ = await _connect(personas["member_a"], general.pk)
    watcher, _c, _ = await _connect(personas["secretary_a"], general.pk)
    assert (await _next(watcher, "presence"))["viewers"] == ["Lê Thị Bích", "Nguyễn Văn Ấn"]
    await sync_to_async(forum.consumers.cache.delete)(
        forum.consumers._presence_key(general.pk, personas["member_a"].pk)
    )
    await pinger.send_json_to({"type": "presence.ping"})
    assert (await _next(watcher, "presence"))["viewers"] == ["Lê Thị Bích", "Nguyễn Văn Ấn"]
    await pinger.send_json_to({"type": "presence.ping"})  # still listed: nothing to tell
    await pinger.send_json_to({"type": "typing"})
    assert (await watcher.receive_json_from(timeout=3))["type"] == "typing"
    await pinger.disconnect()
    await watcher.disconnect()


async def test_closing_one_of_two_tabs_keeps_the_viewer_listed(personas, general):
    phone, _c, _ = await _connect(personas["member_a"], general.pk)
    laptop, _c, _ = await _connect(personas["member_a"], general.pk)
    watcher, _c, _ = await _connect(personas["secretary_a"], general.pk)
    assert (await _next(watcher, "presence"))["viewers"] == ["Lê Thị Bích", "Nguyễn Văn Ấn"]
    await phone.disconnect()
    assert (await _next(watcher, "presence"))["viewers"] == ["Lê Thị Bích"]  # the phone left...
    assert (await _next(watcher, "presence"))["viewers"] == ["Lê Thị Bích", "Nguyễn Văn Ấn"]  # ...the laptop stays
    await laptop.disconnect()
    assert (await _next(watcher, "presence"))["viewers"] == ["Lê Thị Bích"]
    await watcher.disconnect()


async def test_it_closes_when_the_member_leaves_the_cell(personas, org, general):
    communicator, connected, _ = await _connect(personas["member_a"], general.pk)
    assert connected
    membership = await sync_to_async(lambda: personas["member_a"].memberships.get())()
    await sync_to_async(membership_move)(actor=None, membership=membership, to_cell=org["cell_b"])
    while True:
        output = await communicator.receive_output(timeout=3)
        if output["type"] == "websocket.close":
            break
        assert '"post.created"' not in output.get("text", "")
    assert output["code"] == 4403
    await communicator.wait()


async def test_it_stops_delivering_when_access_ends_without_the_revocation_event(personas, general, monkeypatch):
    communicator, connected, _ = await _connect(personas["member_a"], general.pk)
    assert connected
    await _next(communicator, "presence")
    membership = await sync_to_async(lambda: personas["member_a"].memberships.get())()
    # Lose the access.revoked event (a full channel layer): the per-event check still holds.
    monkeypatch.setattr("cells.services._access_revoked", lambda user_id, cell_id: None)
    await sync_to_async(membership_end)(actor=None, membership=membership, reason="Chuyển sinh hoạt")
    await _post(actor=personas["secretary_a"], topic=general, body="không được thấy")
    output = await communicator.receive_output(timeout=3)
    assert output["type"] == "websocket.close" and output["code"] == 4403
    await communicator.wait()
    await asyncio.sleep(0)
