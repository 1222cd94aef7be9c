import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import error_summary, make_member, summary_links
from forum import services
from forum.models import Post, Theme, Topic
from forum.selectors import POSTS_PER_PAGE
from forum.tests.test_selectors import _bulk_posts

pytestmark = pytest.mark.django_db

NOT_MEMBERS = ["member_b", "officer", "outsider"]


def _url(name, *args):
    return reverse(f"forum:{name}", args=args)


@pytest.mark.parametrize("who", NOT_MEMBERS)
def test_it_hides_a_topic_and_its_posts_from_non_members(client_as, personas, general, who):
    client = client_as(personas[who])
    post = general.posts.first()
    for url in [
        _url("topic", general.pk),
        _url("post_edit", post.pk),
        _url("post_hide", post.pk),
        _url("post_flag", post.pk),
        _url("post_revisions", post.pk),
        _url("participation", general.pk),
        _url("session_conclude", general.pk),
    ]:
        assert client.get(url).status_code == 404, url
    for url in [_url("topic", general.pk), _url("post_agree", post.pk), _url("topic_moderate", general.pk)]:
        assert client.post(url, {"body": "x", "action": "pin"}).status_code == 404, url
    assert Post.objects.count() == 1


def test_it_sends_anonymous_visitors_to_log_in(client_as, general):
    client = client_as(None)
    for url in [_url("home"), _url("topic", general.pk), _url("minutes", general.pk), _url("tracking")]:
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("who", ["outsider", "member_b"])
def test_it_refuses_the_tracking_and_themes_pages_to_non_officers(client_as, personas, who):
    client = client_as(personas[who])
    assert client.get(_url("tracking")).status_code == 404  # no report to send them to
    assert client.get(_url("themes")).status_code == 404


def test_it_refuses_leader_actions_to_a_plain_member(client_as, personas, session):
    client = client_as(personas["member_a"])
    post = session.posts.first()
    assert client.get(_url("session_conclude", session.pk)).status_code == 403
    assert client.post(_url("session_reopen", session.pk), {"reason": "x"}).status_code == 403
    assert client.post(_url("topic_moderate", session.pk), {"action": "lock"}).status_code == 403
    assert client.get(_url("participation", session.pk)).status_code == 403
    assert client.get(_url("post_hide", post.pk)).status_code == 403
    assert client.get(_url("post_revisions", post.pk)).status_code == 403
    assert client.get(_url("flags")).status_code == 403
    assert client.get(_url("post_edit", post.pk)).status_code == 403
    assert client.get(_url("session_open", session.theme_id)).status_code in (302, 403)
    session.refresh_from_db()
    assert not session.is_locked and not session.is_concluded


def test_it_shows_the_cell_forum_with_themes_and_topics(client_as, personas, session, general):
    response = client_as(personas["member_a"]).get(_url("home"))
    assert response.status_code == 200
    html = response.content.decode()
    assert session.theme.title in html and general.title in html


def test_it_posts_a_reply_without_javascript(client_as, personas, general):
    client = client_as(personas["member_a"])
    quoted = general.posts.first()
    response = client.post(_url("topic", general.pk), {"body": "Tôi **đồng ý**", "quote": quoted.pk})
    post = Post.objects.latest("id")
    assert response.status_code == 302 and response["Location"].endswith(f"#p{post.pk}")
    assert post.quoted == quoted and post.body_html == "<p>Tôi <strong>đồng ý</strong></p>"
    page = client.get(response["Location"]).content.decode()
    assert "<strong>đồng ý</strong>" in page


def test_it_answers_background_submits_in_json(client_as, personas, general):
    client = client_as(personas["member_a"])
    response = client.post(_url("topic", general.pk), {"body": "ok"}, HTTP_X_REQUESTED_WITH="fetch")
    assert response.status_code == 200 and response.json()["id"] == Post.objects.latest("id").pk
    response = client.post(_url("topic", general.pk), {"body": " "}, HTTP_X_REQUESTED_WITH="fetch")
    assert response.status_code == 400 and response.json()["errors"]


@pytest.mark.parametrize(
    ("body", "message"),
    [("   ", "Vui lòng viết nội dung trước khi gửi."), ("dài " * 6000, "tối đa 20000 ký tự")],
)
def test_it_keeps_the_typed_text_on_bad_input(client_as, personas, general, body, message):
    client = client_as(personas["member_a"])
    response = client.post(_url("topic", general.pk), {"body": body})
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html.replace("20.000", "20000").replace("20,000", "20000")
    if body.strip():
        assert "dài dài dài" in html
    assert Post.objects.count() == 1


def test_it_refuses_posts_in_a_concluded_session_keeping_the_text(client_as, personas, session):
    services.session_conclude(actor=personas["secretary_a"], topic=session, conclusion="Kết luận")
    client = client_as(personas["member_a"])
    response = client.post(_url("topic", session.pk), {"body": "Ý kiến muộn của tôi"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Ý kiến muộn của tôi" in html and "đã kết luận: không thể gửi thêm ý kiến" in html
    assert not Post.objects.filter(body_source="Ý kiến muộn của tôi").exists()


def test_it_rate_limits_with_a_time_to_wait(client_as, personas, general, settings):
    settings.FORUM_POST_RATE = (2, 60)
    client = client_as(personas["member_a"])
    for i in range(2):
        assert client.post(_url("topic", general.pk), {"body": f"nhanh {i}"}).status_code == 302
    response = client.post(_url("topic", general.pk), {"body": "quá nhanh"})
    assert response.status_code == 429
    html = response.content.decode()
    assert "quá nhanh" in html
    assert re.search(r"sau ([1-9]|[1-5][0-9]|60) giây", html)


def test_it_makes_the_same_queries_for_10_and_1000_posts(client_as, personas, general):
    client = client_as(personas["member_a"])
    _bulk_posts(general, personas["secretary_a"], 9)

    def count() -> int:
        cache.clear()  # cold: every query the page can make (bulk_create bumps no cache)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(_url("topic", general.pk)).status_code == 200
        return len(ctx)

    count()  # the first view creates the read state; later ones move it forward
    _bulk_posts(general, personas["secretary_a"], 1)
    small = count()
    _bulk_posts(general, personas["secretary_a"], 989)
    assert Post.objects.filter(topic=general).count() == 1000
    big = count()
    assert small == big
    assert big <= 12
    # A page already read, of a topic that has not changed since: wholly from the cache.
    # (Without ?page= each view opens on the first unread page and moves the read mark.)
    assert client.get(_url("topic", general.pk) + "?page=1").status_code == 200
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(_url("topic", general.pk) + "?page=1").status_code == 200
    assert [q["sql"] for q in ctx.captured_queries] == []


def test_it_paginates_long_topics(client_as, personas, general):
    _bulk_posts(general, personas["secretary_a"], 2 * POSTS_PER_PAGE)
    client = client_as(personas["member_a"])
    html = client.get(_url("topic", general.pk) + "?page=1").content.decode()
    assert html.count('class="post ') == POSTS_PER_PAGE
    html = client.get(_url("topic", general.pk) + "?page=3").content.decode()
    assert html.count('class="post ') == 1


def test_it_lets_the_secretary_open_and_conclude_a_session(client_as, personas, theme):
    client = client_as(personas["secretary_a"])
    response = client.post(_url("session_open", theme.pk), {"opening": "Đề dẫn", "meeting_at": "2020-04-02T08:00"})
    topic = Topic.objects.get(theme=theme)
    assert response.status_code == 302 and topic.meeting_at is not None
    response = client.post(_url("session_conclude", topic.pk), {"conclusion": "Kết luận"})
    topic.refresh_from_db()
    assert response.status_code == 302 and topic.is_concluded
    assert client.get(_url("minutes", topic.pk))["Content-Type"] == "application/pdf"
    client.post(_url("session_reopen", topic.pk), {"reason": "Bổ sung"})
    topic.refresh_from_db()
    assert not topic.is_concluded


def test_it_serves_minutes_to_members_and_officers_only(client_as, personas, session):
    services.session_conclude(actor=personas["secretary_a"], topic=session, conclusion="Kết luận")
    for who in ["member_a", "officer"]:
        response = client_as(personas[who]).get(_url("minutes", session.pk))
        assert response.status_code == 200 and response.content.startswith(b"%PDF"), who
    for who in ["member_b", "outsider"]:
        assert client_as(personas[who]).get(_url("minutes", session.pk)).status_code == 404, who
    # The officer sees the state but never the discussion.
    assert client_as(personas["officer"]).get(_url("topic", session.pk)).status_code == 404


def test_it_moderates_through_forms(client_as, personas, general):
    client = client_as(personas["secretary_a"])
    post = general.posts.first()
    client.post(_url("post_hide", post.pk), {"reason": "Lạc đề"})
    post.refresh_from_db()
    assert post.is_hidden
    client.post(_url("topic_moderate", general.pk), {"action": "pin"})
    general.refresh_from_db()
    assert general.is_pinned
    other = client_as(personas["member_a"])
    assert "Lạc đề" in other.get(_url("topic", general.pk)).content.decode()  # the author still sees it


def test_it_edits_own_post_and_secretary_reads_revisions(client_as, personas, general):
    post = general.posts.first()
    client = client_as(personas["member_a"])
    assert client.post(_url("post_edit", post.pk), {"body": "Bản sửa"}).status_code == 302
    html = client_as(personas["secretary_a"]).get(_url("post_revisions", post.pk)).content.decode()
    assert "Ý kiến đầu tiên." in html and "Bản sửa" in html


def test_it_flags_and_resolves(client_as, personas, general):
    post = general.posts.first()
    client_as(personas["secretary_a"])
    response = client_as(personas["secretary_a"]).post(_url("post_flag", post.pk), {"reason": "Sai sự thật"})
    assert response.status_code == 302
    html = client_as(personas["secretary_a"]).get(_url("flags")).content.decode()
    assert "Sai sự thật" in html


def test_it_agrees_with_a_post(client_as, personas, general):
    post = general.posts.first()
    client_as(personas["secretary_a"]).post(_url("post_agree", post.pk))
    post.refresh_from_db()
    assert post.agree_count == 1


def test_it_searches_from_the_forum(client_as, personas, general):
    services.post_create(actor=personas["member_a"], topic=general, body="khối đại đoàn kết")
    html = client_as(personas["member_a"]).get(_url("search") + "?q=dai+doan+ket").content.decode()
    assert "khối đại đoàn kết" in html


def test_it_shows_participation_and_sends_reminders(client_as, personas, session):
    client = client_as(personas["secretary_a"])
    html = client.get(_url("participation", session.pk)).content.decode()
    assert "Nguyễn Văn Ấn" in html
    assert client.post(_url("participation", session.pk)).status_code == 302
    assert personas["member_a"].notifications.filter(kind="forum.reminder").exists()


@pytest.mark.parametrize("who", ["officer", "secretary_a"])
def test_forum_tracking_is_now_the_reports(client_as, personas, session, who):
    """The old page redirects for good to /reports/, which opens on the officer's node (the
    themes held per unit) or the secretary's cell (who took part in each theme)."""
    client = client_as(personas[who])
    response = client.get(_url("tracking") + "?year=2020")
    assert response.status_code == 301 and response["Location"] == reverse("reports:start") + "?year=2020"
    page = client.get(response["Location"], follow=True)
    assert page.status_code == 200 and session.theme.title in page.content.decode()


def test_it_lets_an_officer_publish_a_theme(client_as, personas, org):
    client = client_as(personas["officer"])
    response = client.post(
        _url("themes"), {"committee": org["committee"].pk, "year": 2021, "title": "Chủ đề mới", "order": 1}
    )
    assert response.status_code == 302 and Theme.objects.get().title == "Chủ đề mới"
    response = client.post(_url("themes"), {"committee": org["province"].pk, "year": 2021, "title": "X", "order": 1})
    assert response.status_code == 200 and Theme.objects.count() == 1  # not a committee they oversee


@pytest.mark.parametrize("who", ["outsider", "officer"])
def test_it_gives_people_without_a_cell_no_forum_of_their_own(client_as, personas, theme, who):
    client = client_as(personas[who])
    response = client.get(_url("home"))
    if who == "officer":
        assert response.status_code == 302 and response["Location"] == reverse("reports:start")
    else:
        assert response.status_code == 404
    for url in [_url("topic_new"), _url("search") + "?q=a", _url("flags"), _url("session_open", theme.pk)]:
        assert client.get(url).status_code == 404, url
    assert client.post(_url("topic_new"), {"title": "x", "body": "y"}).status_code == 404
    assert not Topic.objects.exists()


def test_it_keeps_flags_of_another_cell_out_of_reach(client_as, personas, org, general):
    flag = services.flag_create(actor=personas["secretary_a"], post=general.posts.first(), reason="x")
    secretary_b = make_member("secretary_b", org["cell_b"], role="secretary")
    response = client_as(secretary_b).post(_url("flag_resolve", flag.pk), {"resolution": "y"})
    assert response.status_code == 404
    flag.refresh_from_db()
    assert flag.resolved_at is None
    assert "Sinh hoạt tháng Ba" not in client_as(secretary_b).get(_url("flags")).content.decode()


def test_it_never_shows_a_session_of_another_cell_to_its_secretary(client_as, personas, org, session):
    secretary_b = make_member("secretary_b", org["cell_b"], role="secretary")
    client = client_as(secretary_b)
    for url in [_url("topic", session.pk), _url("participation", session.pk), _url("session_conclude", session.pk)]:
        assert client.get(url).status_code == 404, url
    assert client.post(_url("session_reopen", session.pk), {"reason": "x"}).status_code == 404


def test_it_shows_the_audit_trail_to_leaders_only(client_as, personas, session):
    services.session_conclude(actor=personas["secretary_a"], topic=session, conclusion="Kết luận")
    services.session_reopen(actor=personas["secretary_a"], topic=session, reason="Bổ sung ý kiến mới")
    assert "Bổ sung ý kiến mới" in client_as(personas["secretary_a"]).get(_url("topic", session.pk)).content.decode()
    assert "Bổ sung ý kiến mới" not in client_as(personas["member_a"]).get(_url("topic", session.pk)).content.decode()


# --- The error summary at the top of a refused form (issue 13) -------------------------------


def test_a_refused_new_topic_is_summed_up_at_the_top_keeping_the_text(client_as, personas):
    response = client_as(personas["member_a"]).post(_url("topic_new"), {"title": "  ", "body": "Ý kiến của tôi"})
    page = response.content.decode()
    assert summary_links(page) == ["id_title"]
    assert "Vui lòng đặt tiêu đề cho chủ đề thảo luận." in error_summary(page)
    assert "Ý kiến của tôi</textarea>" in page
    assert not Topic.objects.exists()


def test_a_refused_reply_without_javascript_is_summed_up_at_the_top(client_as, personas, general):
    response = client_as(personas["member_a"]).post(_url("topic", general.pk), {"body": "   "})
    assert response.status_code == 400
    page = response.content.decode()
    assert summary_links(page) == ["id_body"]
    assert page.index('id="error-summary"') < page.index(f'id="p{general.posts.first().pk}"')  # above the posts
    assert Post.objects.count() == 1


def test_a_refused_reply_to_a_closed_session_links_to_the_text_kept(client_as, personas, session):
    services.session_conclude(actor=personas["secretary_a"], topic=session, conclusion="Kết luận")
    response = client_as(personas["member_a"]).post(_url("topic", session.pk), {"body": "Ý kiến muộn"})
    page = response.content.decode()
    [kept] = summary_links(page)
    assert re.search(rf'<textarea id="{kept}"[^>]*>Ý kiến muộn</textarea>', page)


def test_a_refused_post_edit_is_summed_up_at_the_top(client_as, personas, general):
    post = general.posts.first()
    response = client_as(personas["member_a"]).post(_url("post_edit", post.pk), {"body": "  "})
    assert summary_links(response.content.decode()) == ["id_body"]
    post.refresh_from_db()
    assert post.body_source == "Ý kiến đầu tiên."
