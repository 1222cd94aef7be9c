import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import make_member
from forum import permissions, selectors, services
from forum.models import Post, Topic

pytestmark = pytest.mark.django_db


def _bulk_posts(topic: Topic, author, n: int) -> None:
    start = Topic.objects.get(pk=topic.pk).seq
    Post.objects.bulk_create(
        [
            Post(
                topic=topic,
                author=author,
                body_source=f"ý kiến {i}",
                body_html=f"<p>ý kiến {i}</p>",
                search_text="",
                seq=start + 1 + i,
            )
            for i in range(n)
        ]
    )
    Topic.objects.filter(pk=topic.pk).update(seq=start + n)


def test_it_shows_themes_of_every_committee_above_the_cell(personas, org, theme):
    province_theme = services.theme_create(actor=personas["officer"], committee=org["province"], year=2020, title="T")
    other = services.theme_create(actor=personas["officer"], committee=org["other_committee"], year=2020, title="O")
    assert set(selectors.themes_for_cell(org["cell_a"])) == {theme, province_theme}
    assert set(selectors.themes_for_cell(org["cell_c"])) == {other, province_theme}


def test_it_hides_hidden_posts_from_other_members(personas, general):
    post = general.posts.first()
    services.post_hide(actor=personas["secretary_a"], post=post, reason="Lạc đề")
    other = make_member("other", general.cell)
    assert list(selectors.visible_posts(other.pk, general.pk, moderator=False)) == []
    assert list(selectors.visible_posts(personas["member_a"].pk, general.pk, moderator=False)) == [post]
    assert list(selectors.visible_posts(personas["secretary_a"].pk, general.pk, moderator=True)) == [post]
    # The topic page applies the same rule to the cached ids: the two must agree.
    for reader, moderator in ((other, False), (personas["member_a"], False), (personas["secretary_a"], True)):
        expected = tuple(p.pk for p in selectors.visible_posts(reader.pk, general.pk, moderator).order_by("id"))
        assert selectors._visible_ids(reader.pk, general.pk, moderator) == expected


def test_it_counts_unread_and_finds_the_first_unread(personas, org, general, session):
    services.post_create(actor=personas["secretary_a"], topic=general, body="hai")
    third = services.post_create(actor=personas["secretary_a"], topic=general, body="ba")
    second = general.posts.order_by("id")[1]
    services.read_state_mark(user=personas["member_a"], topic=general, post_id=second.pk, last_read=None)
    forum = selectors.cell_forum(personas["member_a"], org["cell_a"])
    topic = forum["topics"][0]
    assert (topic.post_count, topic.unread, topic.first_unread) == (3, 1, third.pk)
    row = forum["theme_rows"][0]
    assert row.session.pk == session.pk and row.unread == 1


def test_it_searches_without_diacritics_within_the_own_cell(personas, org, general):
    services.post_create(actor=personas["member_a"], topic=general, body="Khối Đại Đoàn Kết toàn dân")
    services.topic_create(actor=personas["member_b"], cell=org["cell_b"], title="B", body="đại đoàn kết ở chi bộ B")
    roles = permissions.roles_of(personas["member_a"])
    found = selectors.search_posts(personas["member_a"], roles, "dai doan KET")
    assert [p.body_source for p in found] == ["Khối Đại Đoàn Kết toàn dân"]
    assert selectors.search_posts(personas["member_a"], roles, "ĐẠI đoàn") == found
    assert selectors.search_posts(personas["officer"], permissions.roles_of(personas["officer"]), "dai") == []


def test_it_reads_a_topic_page_in_flat_queries(personas, general):
    user = personas["member_a"]

    def count() -> int:
        cache.clear()  # cold: every query the page can make
        with CaptureQueriesContext(connection) as ctx:
            page = selectors.topic_page(user, general, moderator=False, page_number="1")
            assert len(page.pieces) == min(len(page.page.object_list), selectors.POSTS_PER_PAGE)
        return len(ctx)

    _bulk_posts(general, personas["secretary_a"], 9)
    small = count()
    _bulk_posts(general, personas["secretary_a"], 990)
    assert count() == small


def test_it_catches_up_in_order_with_visibility(personas, general):
    first = general.posts.first()
    a = services.post_create(actor=personas["secretary_a"], topic=general, body="a")
    b = services.post_create(actor=personas["secretary_a"], topic=general, body="b")
    services.post_hide(actor=personas["secretary_a"], post=a, reason="x")
    seen = selectors.posts_after(personas["member_a"].pk, general.pk, first.pk, moderator=False)
    assert [p.pk for p in seen] == [b.pk]
    seen = selectors.posts_after(personas["secretary_a"].pk, general.pk, first.pk, moderator=True)
    assert [p.pk for p in seen] == [a.pk, b.pk]


def test_one_rule_decides_who_sees_a_hidden_post(personas, general):
    """forum.permissions.may_see_post is the rule; its filter form, the cached ids, the live
    socket article and the search all give what it says, persona by persona."""
    from forum.permissions import may_see_post

    post = general.posts.first()
    services.post_hide(actor=personas["secretary_a"], post=post, reason="Lạc đề")
    services.post_create(actor=personas["member_a"], topic=general, body="đoàn kết một lòng")
    other = make_member("other", general.cell)
    posts = list(general.posts.order_by("id"))
    live = selectors.LivePosts(general.pk, [p.pk for p in posts])
    for reader, moderator in ((other, False), (personas["member_a"], False), (personas["secretary_a"], True)):
        expected = tuple(
            p.pk
            for p in posts
            if may_see_post(hidden=p.is_hidden, author_id=p.author_id, user_id=reader.pk, moderator=moderator)
        )
        assert tuple(p.pk for p in selectors.visible_posts(reader.pk, general.pk, moderator).order_by("id")) == expected
        assert selectors._visible_ids(reader.pk, general.pk, moderator) == expected
        for p in posts:
            shown = live.article(p.pk, user_id=reader.pk, moderator=moderator) is not None
            assert shown == (p.pk in expected), (reader.username, p.pk)
    for reader, found in ((other, False), (personas["member_a"], True), (personas["secretary_a"], True)):
        hits = selectors.search_posts(reader, permissions.roles_of(reader), "kien dau tien")
        assert (post.pk in [p.pk for p in hits]) == found, reader.username
