import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse

from cells.services import membership_end
from forum import services
from forum.models import Flag, Minutes, ModerationEvent, Post, PostRevision, Topic
from forum.text import fold
from notifications.models import Notification

pytestmark = pytest.mark.django_db


def _types(events):
    return [e["type"] for _g, e in events]


def test_it_folds_vietnamese_for_search():
    assert fold("Tăng cường khối ĐẠI ĐOÀN KẾT") == "tang cuong khoi dai doan ket"


def test_it_rejects_a_theme_set_by_a_cell(personas, org):
    with pytest.raises(ValidationError):
        services.theme_create(actor=personas["officer"], committee=org["cell_a"], year=2020, title="X")


def test_it_opens_a_session_with_the_opening_paper_first(
    personas, org, theme, events, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        topic = services.session_open(actor=personas["secretary_a"], cell=org["cell_a"], theme=theme, opening="Đề dẫn")
    first = topic.posts.get()
    assert first.kind == Post.Kind.OPENING and first.author == personas["secretary_a"]
    assert topic.is_session and topic.state == Topic.State.OPEN
    assert ModerationEvent.objects.filter(topic=topic, action="opened").exists()
    # The topic's events, then the notice to every other member of the cell (member_a).
    assert _types(events) == ["post.created", "topic.state", "notification.created"]
    assert events[0][1]["id"] == first.pk and events[0][1]["version"] == 1


def test_it_opens_one_session_per_cell_and_theme(personas, org, theme, session):
    with pytest.raises(ValidationError):
        services.session_open(actor=personas["secretary_a"], cell=org["cell_a"], theme=theme, opening="Lần hai")


def test_it_refuses_a_theme_from_another_committee(personas, org, theme):
    with pytest.raises(ValidationError):
        services.session_open(actor=personas["member_b"], cell=org["cell_c"], theme=theme, opening="x")


def test_it_concludes_locks_and_makes_minutes(personas, session, events, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.post_create(actor=personas["member_a"], topic=session, body="Tôi đồng ý.")
        services.session_conclude(actor=personas["secretary_a"], topic=session, conclusion="Chi bộ thống nhất.")
    session.refresh_from_db()
    assert session.is_concluded and session.concluded_at is not None
    assert session.posts.last().kind == Post.Kind.CONCLUSION
    minutes = Minutes.objects.get(topic=session)
    assert minutes.participants == 2 and minutes.absentees == 0
    assert _types(events) == ["post.created", "post.created", "topic.state"]
    with pytest.raises(ValidationError) as exc:
        services.post_create(actor=personas["member_a"], topic=session, body="Muộn rồi")
    assert exc.value.code == "concluded"


def test_it_reopens_with_a_reason_in_the_audit(personas, session, events, django_capture_on_commit_callbacks):
    services.session_conclude(actor=personas["secretary_a"], topic=session, conclusion="Kết luận")
    with pytest.raises(ValidationError):
        services.session_reopen(actor=personas["secretary_a"], topic=session, reason="  ")
    with django_capture_on_commit_callbacks(execute=True):
        services.session_reopen(actor=personas["secretary_a"], topic=session, reason="Bổ sung ý kiến")
    session.refresh_from_db()
    assert session.state == Topic.State.OPEN
    assert ModerationEvent.objects.get(topic=session, action="reopened").detail == "Bổ sung ý kiến"
    assert _types(events) == ["topic.state"]
    services.post_create(actor=personas["member_a"], topic=session, body="Bổ sung")


@pytest.mark.parametrize("body", ["", "   \n ", "x" * (services.MAX_POST_CHARS + 1)])
def test_it_refuses_empty_or_long_posts(personas, general, body):
    with pytest.raises(ValidationError):
        services.post_create(actor=personas["member_a"], topic=general, body=body)


def test_it_stores_source_html_and_folded_text(personas, general):
    post = services.post_create(actor=personas["member_a"], topic=general, body="**Đại đoàn kết** <script>x</script>")
    assert post.body_source.startswith("**Đại")
    assert "<strong>Đại đoàn kết</strong>" in post.body_html and "<script" not in post.body_html
    assert "dai doan ket" in post.search_text


def test_it_keeps_quotes_within_the_topic(personas, general, session):
    other = session.posts.first()
    first = general.posts.first()
    post = services.post_create(actor=personas["member_a"], topic=general, body="Đúng", quoted=first)
    assert post.quoted == first
    post = services.post_create(actor=personas["member_a"], topic=general, body="Đúng", quoted=other)
    assert post.quoted is None


def test_it_keeps_revisions_on_edit(personas, general, events, django_capture_on_commit_callbacks):
    post = general.posts.first()
    with django_capture_on_commit_callbacks(execute=True):
        services.post_edit(actor=personas["member_a"], post=post, body="Ý kiến đã sửa")
    post.refresh_from_db()
    assert post.body_source == "Ý kiến đã sửa" and post.edited_at is not None
    assert list(PostRevision.objects.filter(post=post).values_list("body_source", flat=True)) == ["Ý kiến đầu tiên."]
    assert _types(events) == ["post.edited"]
    with pytest.raises(ValidationError):
        services.post_edit(actor=personas["secretary_a"], post=post, body="không phải của tôi")


def test_it_hides_never_deletes(personas, general, events, django_capture_on_commit_callbacks):
    post = general.posts.first()
    with django_capture_on_commit_callbacks(execute=True):
        services.post_hide(actor=personas["secretary_a"], post=post, reason="Lạc đề")
    post.refresh_from_db()
    assert post.is_hidden and post.hidden_reason == "Lạc đề" and Post.objects.filter(pk=post.pk).exists()
    assert ModerationEvent.objects.get(action="hidden").post == post
    assert _types(events) == ["post.hidden"] and events[0][1]["id"] == post.pk


def test_it_toggles_agreement(personas, general, events, django_capture_on_commit_callbacks):
    post = general.posts.first()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.reaction_toggle(actor=personas["secretary_a"], post=post) is True
        assert services.reaction_toggle(actor=personas["secretary_a"], post=post) is False
    post.refresh_from_db()
    assert post.agree_count == 0
    assert [e["count"] for _g, e in events] == [1, 0] and _types(events) == ["reaction", "reaction"]


def test_it_notifies_mentioned_cell_members_only(personas, general, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.post_create(
            actor=personas["member_a"], topic=general, body="Ý kiến của @secretary_a và @member_b, @member_a?"
        )
    assert list(Notification.objects.values_list("user__username", "kind")) == [("secretary_a", "forum.mention")]
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["secretary_a@example.org"]


def test_it_queues_flags_for_the_secretary(personas, general):
    post = general.posts.first()
    flag = services.flag_create(actor=personas["secretary_a"], post=post, reason="Không phù hợp")
    assert services.flag_create(actor=personas["secretary_a"], post=post, reason="Lần nữa") == flag
    assert Notification.objects.filter(user=personas["secretary_a"], kind="forum.flag").exists()
    services.flag_resolve(actor=personas["secretary_a"], flag=flag, resolution="Đã nhắc nhở")
    flag.refresh_from_db()
    assert flag.resolved_at is not None and ModerationEvent.objects.filter(action="flag_resolved").exists()
    assert Flag.objects.filter(resolved_at__isnull=True).count() == 0


def test_it_pins_and_locks_with_audit(personas, general, events, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.topic_pin(actor=personas["secretary_a"], topic=general, pinned=True)
        services.topic_lock(actor=personas["secretary_a"], topic=general, locked=True)
    assert list(ModerationEvent.objects.values_list("action", flat=True)) == ["pinned", "locked"]
    assert _types(events) == ["topic.state", "topic.state"] and events[1][1]["locked"] is True
    with pytest.raises(ValidationError) as exc:
        services.post_create(actor=personas["member_a"], topic=general, body="x")
    assert exc.value.code == "locked"
    services.topic_lock(actor=personas["secretary_a"], topic=general, locked=False)
    services.post_create(actor=personas["member_a"], topic=general, body="x")


def test_it_rate_limits_posts_per_user(personas, settings):
    settings.FORUM_POST_RATE = (3, 60)
    user = personas["member_a"]
    assert [services.post_rate_check(user=user) for _ in range(3)] == [0, 0, 0]
    wait = services.post_rate_check(user=user)
    assert 1 <= wait <= 60
    assert services.post_rate_check(user=personas["secretary_a"]) == 0


def test_it_reminds_members_who_have_not_posted(personas, org, session, django_capture_on_commit_callbacks):
    from conftest import make_member

    late = make_member("late", org["cell_a"], full_name="Phạm Văn Muộn")
    services.post_create(actor=personas["member_a"], topic=session, body="Ý kiến")
    with django_capture_on_commit_callbacks(execute=True):
        assert services.participation_remind(actor=personas["secretary_a"], topic=session) == 1
    note = Notification.objects.get(kind="forum.reminder")
    assert note.user == late
    assert any(m.to == ["late@example.org"] for m in mail.outbox)


def test_it_sends_one_round_of_reminders_an_hour(personas, org, session, client):
    services.participation_remind(actor=personas["secretary_a"], topic=session)
    with pytest.raises(ValidationError, match="một giờ qua"):
        services.participation_remind(actor=personas["secretary_a"], topic=session)
    client.force_login(personas["secretary_a"])  # the page says so, never a 500
    response = client.post(reverse("forum:participation", args=[session.pk]), follow=True)
    assert response.status_code == 200
    assert "một giờ qua" in response.content.decode()


def test_it_counts_the_members_at_the_time(personas, org, session):
    membership_end(actor=None, membership=personas["member_a"].memberships.get(), reason="Chuyển đi")
    services.session_conclude(actor=personas["secretary_a"], topic=session, conclusion="Kết luận")
    minutes = Minutes.objects.get(topic=session)
    # member_a left before the conclusion: neither participant nor absentee.
    assert (minutes.participants, minutes.absentees) == (1, 0)


def test_change_numbers_have_no_gaps_and_existing_posts_get_them_on_migration(personas, general):
    import importlib

    from django.apps import apps

    first = general.posts.get()
    second = services.post_create(actor=personas["secretary_a"], topic=general, body="hai")
    services.post_edit(actor=personas["member_a"], post=first, body="một, đã sửa")
    services.post_hide(actor=personas["secretary_a"], post=second, reason="x")
    services.post_edit(actor=personas["member_a"], post=first, body="một, đã sửa")  # unchanged: no number
    assert Topic.objects.get(pk=general.pk).seq == 4
    assert dict(Post.objects.filter(topic=general).values_list("id", "seq")) == {first.pk: 3, second.pk: 4}

    # Posts written before the numbers existed get 1, 2, ... in id order.
    from django.db.models import F

    Post.objects.filter(topic=general).update(seq=F("id") + 1000)  # any numbers: they are redrawn
    Topic.objects.filter(pk=general.pk).update(seq=0)
    migration = importlib.import_module("forum.migrations.0003_post_seq")
    migration.number_existing_posts(apps, None)
    assert Topic.objects.get(pk=general.pk).seq == 2
    assert dict(Post.objects.filter(topic=general).values_list("id", "seq")) == {first.pk: 1, second.pk: 2}


def test_a_mention_is_worded_in_the_readers_language_not_the_writers(personas, general):
    # Issue 13: the writer's page is in Vietnamese; a reader who chose English reads English.
    from django.utils import translation

    personas["secretary_a"].language = "en"
    personas["secretary_a"].save(update_fields=["language"])
    with translation.override("vi"):
        services.post_create(actor=personas["member_a"], topic=general, body="Ý kiến của @secretary_a")
    (message,) = Notification.objects.values_list("message", flat=True)
    assert message == "Nguyễn Văn Ấn mentioned you in “Sinh hoạt tháng Ba”"
    personas["secretary_a"].language = "vi"
    personas["secretary_a"].save(update_fields=["language"])
    with translation.override("en"):
        services.post_create(actor=personas["member_a"], topic=general, body="Lần nữa @secretary_a")
    assert Notification.objects.first().message.startswith("Nguyễn Văn Ấn đã nhắc đến đồng chí")
