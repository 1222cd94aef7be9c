"""Nothing is lost live, and what arrives live is what a reload shows.

A client that follows the protocol (forum.consumers): keep the highest change number up to
which it has everything; on a skipped number, or on its heartbeat, send `sync` and apply
what comes back up to the `head` reply.
"""

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.utils import translation

from forum import selectors, services
from forum.models import Topic
from forum.rendering import assemble
from forum.tests.test_consumers import _connect, _post

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


class Follower:
    """A client that detects gaps and checks the head, like static/js/forum.js."""

    def __init__(self, communicator, known: int) -> None:
        self.socket = communicator
        self.known = known
        self.ahead: set[int] = set()
        self.articles: dict[int, str] = {}  # post id -> the HTML shown
        self.syncs = 0

    def _advance(self) -> None:
        while self.known + 1 in self.ahead:
            self.known += 1
            self.ahead.discard(self.known)
        self.ahead = {seq for seq in self.ahead if seq > self.known}

    def apply(self, event: dict) -> None:
        if event["type"] in ("post.created", "post.edited", "post.hidden"):
            if "article" in event:
                self.articles[event["id"]] = event["article"]
            else:
                self.articles.pop(event["id"], None)
            self.ahead.add(event["seq"])
            self._advance()
        elif event["type"] == "head":
            self.known = max(self.known, event["seq"])
            self._advance()

    async def sync(self) -> None:
        """Ask for everything after what we have, and apply it up to the head reply."""
        self.syncs += 1
        await self.socket.send_json_to({"type": "sync", "after": self.known})
        await self.until_head()

    async def until_head(self) -> None:
        while True:
            event = await self.socket.receive_json_from(timeout=5)
            self.apply(event)
            if event["type"] == "head" and not event["more"]:
                return

    async def receive_post(self) -> dict:
        """The next post event (presence and typing skipped), then a sync if it shows a gap."""
        while True:
            event = await self.socket.receive_json_from(timeout=5)
            self.apply(event)
            if event["type"].startswith("post."):
                if self.ahead:
                    await self.sync()
                return event


async def _head(topic) -> int:
    return await sync_to_async(lambda: Topic.objects.get(pk=topic.pk).seq)()


@pytest.fixture
def lose_next_post_event(monkeypatch):
    """Make the channel layer's send raise for the next post event (core.events logs it and
    goes on: the post is committed, its event is lost)."""
    layer = get_channel_layer()
    original = layer.group_send
    pending = {"count": 0}

    async def group_send(group, message):
        event = message.get("event", {})
        if pending["count"] and str(event.get("type", "")).startswith("post."):
            pending["count"] -= 1
            raise ConnectionError("channel layer down")
        return await original(group, message)

    monkeypatch.setattr(layer, "group_send", group_send)

    def lose(count: int = 1) -> None:
        pending["count"] = count

    return lose


async def test_every_client_gets_a_post_whose_event_was_lost(personas, general, lose_next_post_event):
    head = await _head(general)
    followers = []
    for who in ("member_a", "secretary_a"):
        communicator, connected, _ = await _connect(personas[who], general.pk, f"after_seq={head}")
        assert connected
        follower = Follower(communicator, head)
        await follower.until_head()  # the connect's own catch-up: nothing yet
        followers.append(follower)

    # A post whose event is lost, then one that arrives: the gap brings the first.
    lose_next_post_event()
    lost = await sync_to_async(services.post_create)(actor=personas["secretary_a"], topic=general, body="mất sự kiện")
    after = await sync_to_async(services.post_create)(actor=personas["member_a"], topic=general, body="đến nơi")
    for follower in followers:
        event = await follower.receive_post()
        assert event["id"] == after.pk
        assert follower.syncs == 1
        assert "mất sự kiện" in follower.articles[lost.pk]

    # An edit whose event is lost is covered the same way.
    lose_next_post_event()
    await sync_to_async(services.post_edit)(actor=personas["secretary_a"], post=lost, body="đã sửa lại")
    await sync_to_async(services.post_create)(actor=personas["member_a"], topic=general, body="tiếp")
    for follower in followers:
        await follower.receive_post()
        assert "đã sửa lại" in follower.articles[lost.pk]

    # The last post's event is lost: no later event shows the gap, the heartbeat does.
    lose_next_post_event()
    last = await sync_to_async(services.post_create)(actor=personas["secretary_a"], topic=general, body="cuối cùng")
    for follower in followers:
        await follower.sync()
        assert "cuối cùng" in follower.articles[last.pk]
        assert follower.known == await _head(general) and not follower.ahead

    # A hide whose event is lost: the member's copy goes, the secretary's shows the note.
    lose_next_post_event()
    await sync_to_async(services.post_hide)(actor=personas["secretary_a"], post=after, reason="lạc đề")
    for follower in followers:
        await follower.sync()
    member, secretary = followers
    assert after.pk in member.articles  # the member wrote it: they still see it, marked
    assert "is-hidden" in member.articles[after.pk] and "is-hidden" in secretary.articles[after.pk]
    for follower in followers:
        await follower.socket.disconnect()


async def test_a_hidden_post_reaches_other_members_as_its_number_only(personas, general):
    from conftest import make_member

    other = await sync_to_async(make_member)("thanh_vien_khac", general.cell)
    post = await sync_to_async(services.post_create)(actor=personas["secretary_a"], topic=general, body="sẽ bị ẩn")
    await sync_to_async(services.post_hide)(actor=personas["secretary_a"], post=post, reason="x")
    communicator, connected, _ = await _connect(other, general.pk, "after_seq=0")
    assert connected
    follower = Follower(communicator, 0)
    await follower.until_head()
    assert post.pk not in follower.articles and follower.known == await _head(general)
    assert "sẽ bị ẩn" not in str(follower.articles)
    await communicator.disconnect()


def _page_article(user, topic, post_id: int, moderator: bool) -> str:
    """The post's HTML on the topic page for this reader (with an empty CSRF token)."""
    with translation.override("vi"):
        view = selectors.topic_page(user, topic, moderator=moderator)
        piece = next(p for p in view.pieces if p.id == post_id)
        return str(assemble((piece,), user_id=user.pk, moderator=moderator, csrf_token=""))


async def test_a_live_post_is_the_post_the_page_shows_to_each_reader(personas, general, monkeypatch):
    loads = []
    real = selectors.LivePosts

    def counted(*args):
        loads.append(args)
        return real(*args)

    monkeypatch.setattr(selectors, "LivePosts", counted)
    from conftest import make_member

    others = [await sync_to_async(make_member)(f"doc_gia_{i}", general.cell) for i in range(3)]
    readers = [(personas["member_a"], False), (personas["secretary_a"], True)] + [(u, False) for u in others]
    head = await _head(general)
    sockets = []
    for user, _moderator in readers:
        communicator, connected, _ = await _connect(user, general.pk)
        assert connected
        sockets.append(communicator)
    first = await sync_to_async(lambda: general.posts.first())()
    post = await sync_to_async(services.post_create)(
        actor=personas["member_a"], topic=general, body="Trả lời **ý kiến**", quoted=first
    )
    articles = []
    for communicator in sockets:
        event = await Follower(communicator, head).receive_post()
        assert event["id"] == post.pk
        articles.append(event["article"])
    assert len(loads) == 1  # one load and render for the five sockets of this process
    topic = await sync_to_async(Topic.objects.select_related("cell").get)(pk=general.pk)
    for (user, moderator), article in zip(readers, articles, strict=True):
        assert article == await sync_to_async(_page_article)(user, topic, post.pk, moderator)
    author, secretary, other = articles[0], articles[1], articles[2]
    assert 'class="post-quote"' in author and "?post=" in author  # the quote and the time link
    assert "Sửa" in author and "Báo cáo" not in author and "Ẩn</a>" not in author
    assert "Báo cáo" in secretary and "Ẩn</a>" in secretary and "Sửa" not in secretary
    assert "Báo cáo" in other and "Ẩn</a>" not in other and "Sửa" not in other
    for communicator in sockets:
        await communicator.disconnect()


async def test_odd_sync_requests_get_an_answer_or_nothing_never_an_error(personas, general):
    head = await _head(general)
    communicator, connected, _ = await _connect(personas["member_a"], general.pk, f"after_seq={10**30}")
    assert connected
    follower = Follower(communicator, 0)
    await follower.until_head()
    for after in (-1, "3", None, 1.5, True, [1]):
        await communicator.send_json_to({"type": "sync", "after": after})
    await follower.sync()  # the only one answered, after the ignored ones
    await communicator.send_json_to({"type": "sync", "after": 10**30})
    await follower.until_head()
    assert follower.known == head
    await communicator.disconnect()


async def test_a_post_reaches_every_socket_of_the_topic_with_a_few_thread_hops_not_one_each(
    personas, general, monkeypatch
):
    """Calls to the sync thread queue behind each other (thread-sensitive calls share one
    thread), so a post's fan-out must cost a few of them in a process, not one per socket.
    Channels' own dispatch made one per socket and message (to close old database
    connections, which each database call here already does in its own)."""
    from asgiref.sync import SyncToAsync

    from conftest import make_member

    others = [await sync_to_async(make_member)(f"nhanh_{i}", general.cell) for i in range(7)]
    sockets = []
    for user in [personas["member_a"], *others]:
        communicator, connected, _ = await _connect(user, general.pk)
        assert connected
        sockets.append(communicator)
    head = await _head(general)
    followers = [Follower(communicator, head) for communicator in sockets]

    async def post_and_receive() -> None:
        post = await _post(actor=personas["secretary_a"], topic=general, body="Nhanh")
        for follower in followers:
            while (await follower.receive_post())["id"] != post.pk:
                pass
        assert all(follower.syncs == 0 for follower in followers)

    await post_and_receive()  # warm: the first event after connecting may load more
    hops = []
    real_call = SyncToAsync.__call__

    async def counted(self, *args, **kwargs):
        hops.append(getattr(self.func, "__qualname__", repr(self.func)))
        return await real_call(self, *args, **kwargs)

    monkeypatch.setattr(SyncToAsync, "__call__", counted)
    await post_and_receive()
    monkeypatch.setattr(SyncToAsync, "__call__", real_call)
    # The post itself, then the cell's members and the post's rendering, shared by 8 sockets.
    assert len(hops) <= 3, __import__("collections").Counter(hops)
    for communicator in sockets:
        await communicator.disconnect()
