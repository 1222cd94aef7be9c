"""One reply, once: a form's idempotency key (core.idempotency) makes a submission sent
again (a double tap, a network retry, forum.js falling back to a plain POST after a failed
fetch) store nothing new and answer as the first did."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from conftest import make_member
from core.idempotency import new_key
from core.tests.concurrency import post_at_once
from forum import services
from forum.models import ModerationEvent, Post, Reaction, Theme, Topic
from notifications.models import Notification

FETCH = {"X-Requested-With": "fetch"}
# Threads need a database that takes concurrent writers: the in-memory SQLite test database
# locks whole tables between connections. On SQLite, e2e/test_once.py sends the same five
# POSTs to a real server on its own SQLite file.
concurrent = pytest.mark.skipif(connection.vendor == "sqlite", reason="needs PostgreSQL (SQLite: e2e/test_once.py)")


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _url(name, *args) -> str:
    return reverse(f"forum:{name}", args=args)


def _rendered_key(html: str) -> str:
    return re.search(r'name="idempotency_key" value="([A-Za-z0-9_-]+)"', html).group(1)


@concurrent
@pytest.mark.django_db(transaction=True)
def test_five_identical_concurrent_replies_store_one_post(personas, general):
    member = personas["member_a"]
    data = {"body": "Gửi một lần thôi", "idempotency_key": new_key()}
    responses = post_at_once(member, _url("topic", general.pk), data, times=5)
    posts = Post.objects.filter(topic=general, body_source="Gửi một lần thôi")
    assert posts.count() == 1
    post = posts.get()
    assert {r.status_code for r in responses} == {302}
    assert {r["Location"] for r in responses} == {f"{_url('topic', general.pk)}?post={post.pk}#p{post.pk}"}


@concurrent
@pytest.mark.django_db(transaction=True)
def test_five_identical_concurrent_new_topics_store_one_topic(personas, org):
    member = personas["member_a"]
    data = {"title": "Chủ đề gửi một lần", "body": "Nội dung", "idempotency_key": new_key()}
    responses = post_at_once(member, _url("topic_new"), data, times=5)
    topics = Topic.objects.filter(title="Chủ đề gửi một lần")
    assert topics.count() == 1 and topics.get().posts.count() == 1
    assert {r["Location"] for r in responses} == {_url("topic", topics.get().pk)}


@concurrent
@pytest.mark.django_db(transaction=True)
def test_five_identical_concurrent_session_opens_and_flags_make_one_each(personas, theme, general):
    opening = {"opening": "Đề dẫn gửi một lần", "idempotency_key": new_key()}
    responses = post_at_once(personas["secretary_a"], _url("session_open", theme.pk), opening, times=5)
    session = Topic.objects.get(theme=theme)
    assert {r.status_code for r in responses} == {302}  # no IntegrityError, no "already opened"
    assert {r["Location"] for r in responses} == {_url("topic", session.pk)}
    assert session.posts.count() == 1
    post = general.posts.get()
    flag = {"reason": "Lạc đề", "idempotency_key": new_key()}
    responses = post_at_once(personas["secretary_a"], _url("post_flag", post.pk), flag, times=5)
    assert {r.status_code for r in responses} == {302}
    assert post.flags.count() == 1


@pytest.mark.django_db
def test_the_topic_page_gives_each_rendering_its_own_key(personas, general):
    client = _client(personas["member_a"])
    first = _rendered_key(client.get(_url("topic", general.pk)).content.decode())
    second = _rendered_key(client.get(_url("topic", general.pk)).content.decode())
    assert first != second


@pytest.mark.django_db
def test_a_retried_reply_answers_as_the_first_and_stores_nothing(personas, general):
    client = _client(personas["member_a"])
    key = _rendered_key(client.get(_url("topic", general.pk)).content.decode())
    data = {"body": "Một ý kiến", "idempotency_key": key}
    first = client.post(_url("topic", general.pk), data)
    again = client.post(_url("topic", general.pk), data)
    assert first.status_code == again.status_code == 302 and first["Location"] == again["Location"]
    assert Post.objects.filter(body_source="Một ý kiến").count() == 1


@pytest.mark.django_db
def test_the_fallback_after_a_lost_fetch_answer_stores_nothing_new(personas, general):
    client = _client(personas["member_a"])
    data = {"body": "Qua fetch rồi gửi lại", "idempotency_key": new_key()}
    fetched = client.post(_url("topic", general.pk), data, headers=FETCH)  # its answer was lost
    post = Post.objects.get(body_source="Qua fetch rồi gửi lại")
    assert fetched.json() == {"ok": True, "id": post.pk}
    assert client.post(_url("topic", general.pk), data, headers=FETCH).json() == {"ok": True, "id": post.pk}
    fallback = client.post(_url("topic", general.pk), data)  # forum.js's form.submit()
    assert fallback.status_code == 302 and fallback["Location"].endswith(f"?post={post.pk}#p{post.pk}")
    assert Post.objects.filter(body_source="Qua fetch rồi gửi lại").count() == 1


@pytest.mark.django_db
def test_a_repeat_is_answered_even_past_the_rate_limit_or_a_lock(personas, general, settings):
    settings.FORUM_POST_RATE = (1, 60)
    client = _client(personas["member_a"])
    data = {"body": "Chỉ một lần", "idempotency_key": new_key()}
    first = client.post(_url("topic", general.pk), data)
    services.topic_lock(actor=personas["secretary_a"], topic=general, locked=True)
    again = client.post(_url("topic", general.pk), data)
    assert again.status_code == 302 and again["Location"] == first["Location"]
    assert Post.objects.filter(body_source="Chỉ một lần").count() == 1


@pytest.mark.django_db
def test_a_new_key_or_new_text_is_a_new_post(personas, general):
    client = _client(personas["member_a"])
    key = new_key()
    client.post(_url("topic", general.pk), {"body": "Lần một", "idempotency_key": key})
    client.post(_url("topic", general.pk), {"body": "Lần một", "idempotency_key": new_key()})
    # The same page sent again with other text (back button, edit): never answered with the old post.
    client.post(_url("topic", general.pk), {"body": "Lần hai, khác chữ", "idempotency_key": key})
    assert Post.objects.filter(body_source="Lần một").count() == 2
    assert Post.objects.filter(body_source="Lần hai, khác chữ").count() == 1


@pytest.mark.django_db
def test_a_post_without_a_key_is_stored_as_before(personas, general):
    client = _client(personas["member_a"])
    for key in ("", "too-short", "<script>alert(1)</script>-0123456789"):
        client.post(_url("topic", general.pk), {"body": "Không có khóa", "idempotency_key": key})
    assert Post.objects.filter(body_source="Không có khóa", client_key="").count() == 3


@pytest.mark.django_db
def test_another_users_key_neither_collides_nor_leaks(personas, general):
    member, secretary = personas["member_a"], personas["secretary_a"]
    data = {"body": "Cùng chữ, cùng khóa", "idempotency_key": new_key()}
    mine = _client(member).post(_url("topic", general.pk), data)
    theirs = _client(secretary).post(_url("topic", general.pk), data)
    posts = Post.objects.filter(body_source="Cùng chữ, cùng khóa").order_by("id")
    assert [p.author for p in posts] == [member, secretary]
    assert theirs["Location"].endswith(f"#p{posts[1].pk}") and mine["Location"].endswith(f"#p{posts[0].pk}")
    # A member of another cell with the same key gets a 404 for the topic, never the post.
    assert _client(personas["member_b"]).post(_url("topic", general.pk), data, headers=FETCH).status_code == 404


@pytest.mark.django_db
def test_the_leaders_forms_count_once(personas, org, theme):
    secretary, officer = personas["secretary_a"], personas["officer"]
    leader = _client(secretary)
    opening = {"opening": "Bài đề dẫn", "idempotency_key": new_key()}
    first = leader.post(_url("session_open", theme.pk), opening)
    assert leader.post(_url("session_open", theme.pk), opening)["Location"] == first["Location"]
    session = Topic.objects.get(theme=theme)
    assert session.posts.count() == 1
    conclusion = {"conclusion": "Kết luận", "idempotency_key": new_key()}
    assert leader.post(_url("session_conclude", session.pk), conclusion).status_code == 302
    again = leader.post(_url("session_conclude", session.pk), conclusion)
    assert again.status_code == 302 and again["Location"] == _url("topic", session.pk)
    assert session.posts.filter(kind=Post.Kind.CONCLUSION).count() == 1
    reopen = {"reason": "Bổ sung", "idempotency_key": new_key()}
    leader.post(_url("session_reopen", session.pk), reopen)
    leader.post(_url("session_reopen", session.pk), reopen)
    assert ModerationEvent.objects.filter(topic=session, action="reopened").count() == 1
    shown = leader.get(_url("topic", session.pk)).context["messages"]
    assert [m.message for m in shown if m.level_tag == "error"] == []  # no "not concluded" error
    make_member("absent_a", org["cell_a"])
    remind = {"idempotency_key": new_key()}
    leader.post(_url("participation", session.pk), remind)
    leader.post(_url("participation", session.pk), remind)
    assert Notification.objects.filter(kind="forum.reminder").count() == 2  # member_a and absent_a, once
    theme_data = {
        "committee": org["committee"].pk,
        "year": 2021,
        "title": "Chủ đề mới",
        "order": 1,
        "idempotency_key": new_key(),
    }
    officer_client = _client(officer)
    officer_client.post(_url("themes"), theme_data)
    officer_client.post(_url("themes"), theme_data)
    assert Theme.objects.filter(title="Chủ đề mới").count() == 1


@pytest.mark.django_db
def test_a_double_tap_on_agree_stays_agreed(personas, general):
    post = general.posts.get()
    client = _client(personas["secretary_a"])
    html = client.get(_url("topic", general.pk)).content.decode()
    assert 'name="agree" value="1"' in html
    for _ in range(2):
        client.post(_url("post_agree", post.pk), {"agree": "1"})
    assert Reaction.objects.filter(post=post).count() == 1
    post.refresh_from_db()
    assert post.agree_count == 1
    assert 'name="agree" value="0"' in client.get(_url("topic", general.pk)).content.decode()
    for _ in range(2):
        client.post(_url("post_agree", post.pk), {"agree": "0"})
    post.refresh_from_db()
    assert post.agree_count == 0 and not Reaction.objects.filter(post=post).exists()


@pytest.mark.django_db
def test_copies_of_one_submission_count_once_against_the_rate_limit(personas, settings):
    settings.FORUM_POST_RATE = (2, 60)
    member = personas["member_a"]
    first, second, third = ("a" * 40, "b" * 40, "c" * 40)
    assert [services.post_rate_check(user=member, client_key=first) for _ in range(5)] == [0] * 5
    assert services.post_rate_check(user=member, client_key=second) == 0
    assert services.post_rate_check(user=member, client_key=third) > 0
    assert services.post_rate_check(user=member, client_key=third) > 0  # refused again, not let through
    assert services.post_rate_check(user=member) > 0  # and no way around it without a key


# --- Meetings: scheduling, roll call, motions and votes, each sent five times at once ----------


@concurrent
@pytest.mark.django_db(transaction=True)
def test_five_identical_concurrent_schedulings_make_one_meeting_and_one_notice(personas, org):
    data = {"title": "Sinh hoạt tháng 12", "meeting_at": "2020-12-05T08:00", "idempotency_key": new_key()}
    responses = post_at_once(personas["secretary_a"], _url("meeting_new"), data, times=5)
    meeting = Topic.objects.get(kind=Topic.Kind.MEETING)
    assert {r["Location"] for r in responses} == {_url("topic", meeting.pk)}
    assert Notification.objects.filter(user=personas["member_a"]).count() == 1


@concurrent
@pytest.mark.django_db(transaction=True)
def test_five_identical_concurrent_motions_roll_calls_and_votes_count_once(personas, session):
    from forum.models import Ballot, Motion

    secretary, member = personas["secretary_a"], personas["member_a"]
    roll = {f"status_{member.pk}": "excused", f"reason_{member.pk}": "Ốm", "idempotency_key": new_key()}
    post_at_once(secretary, _url("attendance", session.pk), roll, times=5)
    assert ModerationEvent.objects.filter(topic=session, action="attendance").count() == 1
    services.attendance_record(actor=secretary, topic=session, entries={member.pk: ("present", "")})
    for ballot in ("open", "secret"):
        motion_data = {"text": f"Biểu quyết {ballot}", "ballot": ballot, "idempotency_key": new_key()}
        responses = post_at_once(secretary, _url("motion_open", session.pk), motion_data, times=5)
        assert {r.status_code for r in responses} == {302}
        motion = Motion.objects.get(text=f"Biểu quyết {ballot}")
        vote = {"choice": "1", "idempotency_key": new_key()}
        responses = post_at_once(member, _url("motion_vote", motion.pk), vote, times=5)
        assert {r.status_code for r in responses} == {302}  # a repeat is answered as the first, never "twice"
        motion.refresh_from_db()
        assert motion.counts == [0, 1, 0] and Ballot.objects.filter(motion=motion).count() == 1


@concurrent
@pytest.mark.django_db(transaction=True)
def test_two_reminder_clicks_at_once_from_two_tabs_send_one_round(personas, org, session):
    """Two requests with different keys (the secretary and the deputy, or two tabs) reach the
    throttle together: the cell's row lock lets one round through; the other is refused."""
    import threading

    from django.core.exceptions import ValidationError
    from django.db import connections

    make_member("behind_a", org["cell_a"])
    barrier = threading.Barrier(2)
    outcomes: list = []

    def click() -> None:
        try:
            barrier.wait(timeout=10)
            outcomes.append(
                services.participation_remind(actor=personas["secretary_a"], topic=session, client_key=new_key())
            )
        except ValidationError as refused:
            outcomes.append(refused)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=click) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(outcomes) == 2
    assert len([o for o in outcomes if isinstance(o, int)]) == 1, outcomes
    assert ModerationEvent.objects.filter(topic=session, action="reminded").count() == 1
    behind = Notification.objects.filter(user__username="behind_a", kind="forum.reminder")
    assert behind.count() == 1
