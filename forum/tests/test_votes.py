"""Votes (biểu quyết): opened by the meeting's secretary, one vote per present member, an
open ballot's tally live, a secret ballot's choices never stored. Every refusal is tried as
each persona over HTTP and over the topic socket."""

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connections
from django.test import Client

from asgi import application
from forum import services
from forum.models import Ballot, Motion

TWICE = "Đồng chí đã biểu quyết nội dung này rồi"
CLOSED = "Biểu quyết này đã kết thúc"
ABSENT = "được ghi nhận vắng mặt"


@pytest.fixture
def motion(personas, session):
    return services.motion_open(actor=personas["secretary_a"], topic=session, text="Thông qua nghị quyết tháng 12")


@pytest.fixture
def secret(personas, session):
    return services.motion_open(actor=personas["secretary_a"], topic=session, text="Giới thiệu đồng chí A", secret=True)


def test_the_secretary_opens_a_motion_with_the_default_options(client_as, personas, session):
    client = client_as(personas["secretary_a"])
    data = {"text": "Thông qua kế hoạch", "options": "", "ballot": "open", "idempotency_key": "m" * 20}
    assert client.post(f"/forum/topics/{session.pk}/votes/open/", data).status_code == 302
    assert client.post(f"/forum/topics/{session.pk}/votes/open/", data).status_code == 302  # sent twice: one motion
    motion = Motion.objects.get()
    assert motion.options == ["Tán thành", "Không tán thành", "Ý kiến khác"] and not motion.secret
    empty = client.post(f"/forum/topics/{session.pk}/votes/open/", {"text": " ", "ballot": "open"})
    assert empty.status_code == 400 and "Xin ghi nội dung cần biểu quyết" in empty.content.decode()


@pytest.mark.parametrize(
    ("persona", "status"), [("member_a", 403), ("member_b", 404), ("officer", 404), ("outsider", 404)]
)
def test_others_cannot_open_or_close_a_motion(client_as, personas, session, motion, persona, status):
    client = client_as(personas[persona])
    assert client.post(f"/forum/topics/{session.pk}/votes/open/", {"text": "X", "ballot": "open"}).status_code == status
    assert client.post(f"/forum/motions/{motion.pk}/close/").status_code == status
    assert Motion.objects.count() == 1 and not Motion.objects.get().is_closed


def test_a_member_votes_once_without_javascript_and_the_open_tally_counts(client_as, personas, motion):
    client = client_as(personas["member_a"])
    page = client.get(f"/forum/topics/{motion.topic_id}/votes/").content.decode()
    assert 'name="choice"' in page and "Tán thành" in page
    vote = client.post(f"/forum/motions/{motion.pk}/vote/", {"choice": "0", "idempotency_key": "v" * 20})
    assert vote.status_code == 302
    again = client.post(f"/forum/motions/{motion.pk}/vote/", {"choice": "0", "idempotency_key": "v" * 20})
    assert again.status_code == 302  # the same form sent again: the first answer
    twice = client.post(f"/forum/motions/{motion.pk}/vote/", {"choice": "1", "idempotency_key": "w" * 20})
    assert twice.status_code == 400 and TWICE in twice.content.decode()
    motion.refresh_from_db()
    assert motion.counts == [1, 0, 0] and Ballot.objects.get().choice == 0


def test_an_open_ballot_is_tallied_live(personas, motion, events, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.ballot_cast(actor=personas["member_a"], motion=motion, choice=1)
    tally = [e for _g, e in events if e["type"] == "motion.tally"]
    assert tally == [{**tally[0], "counts": [0, 1, 0], "voted": 1}]


def test_a_secret_ballot_never_stores_who_voted_what(personas, secret, events, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.ballot_cast(actor=personas["member_a"], motion=secret, choice=1, client_key="k" * 40)
        services.ballot_cast(actor=personas["secretary_a"], motion=secret, choice=0)
    ballots = list(Ballot.objects.filter(motion=secret).values("user_id", "choice"))
    assert sorted(b["user_id"] for b in ballots) == sorted([personas["member_a"].pk, personas["secretary_a"].pk])
    assert {b["choice"] for b in ballots} == {None}
    secret.refresh_from_db()
    assert secret.counts == [1, 1, 0]
    # While it is open, sockets hear only how many voted; the counts come at the close.
    assert all("counts" not in e for _g, e in events if e["type"] == "motion.tally")
    with django_capture_on_commit_callbacks(execute=True):
        services.motion_close(actor=personas["secretary_a"], motion=secret)
    assert [e["counts"] for _g, e in events if e["type"] == "motion.closed"] == [[1, 1, 0]]


def test_a_secret_ballots_counts_are_hidden_until_the_close(client_as, personas, secret):
    services.ballot_cast(actor=personas["member_a"], motion=secret, choice=1)
    client = client_as(personas["secretary_a"])
    page = client.get(f"/forum/topics/{secret.topic_id}/votes/").content.decode()
    assert "chỉ công bố khi kết thúc" in page and 'data-count="1"' not in page
    client.post(f"/forum/motions/{secret.pk}/close/")
    page = client.get(f"/forum/topics/{secret.topic_id}/votes/").content.decode()
    assert 'data-count="1">1<' in page


def test_a_secret_vote_sent_over_http_stores_no_key_that_tells_the_choice(client_as, personas, secret):
    client = client_as(personas["member_a"])
    client.post(f"/forum/motions/{secret.pk}/vote/", {"choice": "2", "idempotency_key": "s" * 20})
    stored = Ballot.objects.get().client_key
    from core.idempotency import secret_key

    assert stored and all(
        stored == secret_key(type("R", (), {"POST": {"idempotency_key": "s" * 20, "choice": c}})) for c in "012"
    )


def test_voting_after_the_close_is_refused(client_as, personas, motion):
    services.motion_close(actor=personas["secretary_a"], motion=motion)
    response = client_as(personas["member_a"]).post(f"/forum/motions/{motion.pk}/vote/", {"choice": "0"})
    assert response.status_code == 400 and CLOSED in response.content.decode()
    assert not Ballot.objects.exists()


def test_a_member_recorded_absent_cannot_vote(client_as, personas, motion):
    member = personas["member_a"]
    services.attendance_record(actor=personas["secretary_a"], topic=motion.topic, entries={member.pk: ("absent", "")})
    response = client_as(member).post(f"/forum/motions/{motion.pk}/vote/", {"choice": "0"})
    assert response.status_code == 400 and ABSENT in response.content.decode()


@pytest.mark.parametrize("persona", ["member_b", "officer", "outsider"])
def test_voting_from_outside_the_cell_is_refused(client_as, personas, motion, persona):
    client = client_as(personas[persona])
    assert client.get(f"/forum/topics/{motion.topic_id}/votes/").status_code == 404
    assert client.post(f"/forum/motions/{motion.pk}/vote/", {"choice": "0"}).status_code == 404
    assert not Ballot.objects.exists()


def test_a_member_who_left_is_refused_by_the_service_with_a_message(personas, motion):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="Chỉ đảng viên của chi bộ này"):
        services.ballot_cast(actor=personas["member_b"], motion=motion, choice=0)


def test_no_motion_after_the_conclusion_and_the_conclusion_closes_open_votes(personas, session, motion):
    from django.core.exceptions import ValidationError

    services.session_conclude(actor=personas["secretary_a"], topic=session, conclusion="Kết luận")
    motion.refresh_from_db()
    assert motion.is_closed
    with pytest.raises(ValidationError, match="đã kết luận"):
        services.motion_open(actor=personas["secretary_a"], topic=session, text="Muộn")


# --- Over the topic socket --------------------------------------------------------------------

ORIGIN = b"http://localhost"


@sync_to_async
def _login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


async def _connect(user, topic_id: int) -> tuple[WebsocketCommunicator, bool, int | None]:
    client = await _login(user)
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    headers = [(b"origin", ORIGIN), (b"host", b"localhost"), (b"cookie", cookie)]
    communicator = WebsocketCommunicator(application, f"/ws/forum/topics/{topic_id}/", headers=headers)
    connected, code = await communicator.connect(timeout=5)
    return communicator, connected, code


async def _reply(socket: WebsocketCommunicator, kind_prefix: str) -> dict:
    while True:
        message = await socket.receive_json_from(timeout=3)
        if message["type"].startswith(kind_prefix):
            return message


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_over_the_socket_a_vote_counts_once_and_refusals_say_why(personas, motion):
    try:
        socket, connected, _code = await _connect(personas["member_a"], motion.topic_id)
        assert connected
        await socket.send_json_to({"type": "vote", "motion": motion.pk, "choice": 0, "key": "z" * 20})
        assert (await _reply(socket, "vote."))["type"] == "vote.ok"
        await socket.send_json_to({"type": "vote", "motion": motion.pk, "choice": 0, "key": "y" * 20})
        refused = await _reply(socket, "vote.")
        assert refused["type"] == "vote.refused" and TWICE in refused["message"]
        await sync_to_async(services.motion_close)(actor=personas["secretary_a"], motion=motion)
        other, connected, _code = await _connect(personas["secretary_a"], motion.topic_id)
        await other.send_json_to({"type": "vote", "motion": motion.pk, "choice": 1})
        late = await _reply(other, "vote.")
        assert late["type"] == "vote.refused" and CLOSED in late["message"]
        await socket.disconnect()
        await other.disconnect()
        assert await sync_to_async(lambda: list(Ballot.objects.values_list("choice", flat=True)))() == [0]
    finally:
        await sync_to_async(connections.close_all)()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
@pytest.mark.parametrize("persona", ["member_b", "officer", "outsider"])
async def test_over_the_socket_outsiders_are_refused_before_they_can_vote(personas, motion, persona):
    try:
        _socket, connected, code = await _connect(personas[persona], motion.topic_id)
        assert not connected and code == 4404
        assert not await sync_to_async(Ballot.objects.exists)()
    finally:
        await sync_to_async(connections.close_all)()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_an_open_ballots_tally_reaches_other_sockets(personas, motion):
    try:
        watcher, connected, _code = await _connect(personas["secretary_a"], motion.topic_id)
        assert connected
        await sync_to_async(services.ballot_cast)(actor=personas["member_a"], motion=motion, choice=2)
        tally = await _reply(watcher, "motion.")
        assert tally["type"] == "motion.tally" and tally["counts"] == [0, 0, 1] and tally["voted"] == 1
        await watcher.disconnect()
    finally:
        await sync_to_async(connections.close_all)()
