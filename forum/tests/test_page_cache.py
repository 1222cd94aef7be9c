"""The topic page comes from the cache while nothing it shows has changed, and every change
shows on the very next view, for every reader it concerns (core.cache, forum.selectors)."""

import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.services import user_rename
from cells import services as cell_services
from cells.models import Membership
from forum import services

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _page(client, topic) -> str:
    response = client.get(f"/forum/topics/{topic.pk}/?page=1")
    assert response.status_code == 200
    return response.content.decode()


def test_a_second_reader_gets_the_page_without_queries_and_with_their_own_parts(personas, general):
    secretary, member = personas["secretary_a"], personas["member_a"]
    post = services.post_create(actor=secretary, topic=general, body="Ý kiến của bí thư")
    services.reaction_toggle(actor=member, post=post)
    _page(_client(secretary), general)  # builds the shared pieces
    reader = _client(member)
    _page(reader, general)  # the member's own session and roles; marks the page read
    _page(reader, general)  # reads the moved read mark once
    with CaptureQueriesContext(connection) as ctx:
        html = _page(reader, general)
    assert [q["sql"] for q in ctx.captured_queries] == []
    own, others = html.split(f'id="p{post.pk}"')
    assert "/edit/" in own and "/flag/" not in own.split("<article")[-1]  # the member's first post
    assert 'aria-pressed="true"' in others.split("</article>")[0]  # agreed with the secretary's
    assert f"/posts/{post.pk}/flag/" in others and f"/posts/{post.pk}/hide/" not in others


def test_a_new_post_an_edit_and_a_reaction_show_on_the_next_view(personas, general):
    member, secretary = personas["member_a"], personas["secretary_a"]
    reader = _client(member)
    _page(reader, general)
    post = services.post_create(actor=secretary, topic=general, body="Bài mới xuất hiện")
    assert "Bài mới xuất hiện" in _page(reader, general)
    services.post_edit(actor=secretary, post=post, body="Bài đã sửa lại")
    html = _page(reader, general)
    assert "Bài đã sửa lại" in html and "Bài mới xuất hiện" not in html
    services.reaction_toggle(actor=member, post=post)
    assert "<span data-agree-count>1</span>" in _page(reader, general)


def test_hiding_reaches_each_reader_as_it_should(personas, general, org):
    from conftest import make_member

    member, secretary = personas["member_a"], personas["secretary_a"]
    other = make_member("other_a", org["cell_a"], full_name="Lê Thị Khác")
    post = services.post_create(actor=member, topic=general, body="Bài sẽ bị ẩn")
    readers = {"author": _client(member), "other": _client(other), "secretary": _client(secretary)}
    for client in readers.values():
        assert "Bài sẽ bị ẩn" in _page(client, general)
    services.post_hide(actor=secretary, post=post, reason="Lạc đề")
    assert "Bài sẽ bị ẩn" not in _page(readers["other"], general)
    for who in ("author", "secretary"):
        html = _page(readers[who], general)
        assert "Bài sẽ bị ẩn" in html and "Lạc đề" in html and "is-hidden" in html


def test_two_authors_of_hidden_posts_never_see_each_others(personas, general, org):
    from conftest import make_member

    secretary = personas["secretary_a"]
    first, second = personas["member_a"], make_member("other_a", org["cell_a"])
    a = services.post_create(actor=first, topic=general, body="Ẩn của người thứ nhất")
    b = services.post_create(actor=second, topic=general, body="Ẩn của người thứ hai")
    services.post_hide(actor=secretary, post=a, reason="x")
    services.post_hide(actor=secretary, post=b, reason="y")
    html_first, html_second = _page(_client(first), general), _page(_client(second), general)
    assert "người thứ nhất" in html_first and "người thứ hai" not in html_first
    assert "người thứ hai" in html_second and "người thứ nhất" not in html_second


def test_a_new_name_shows_on_every_cached_page(personas, general):
    reader = _client(personas["secretary_a"])
    assert "Nguyễn Văn Ấn" in _page(reader, general)
    member = personas["member_a"]
    user_rename(actor=personas["secretary_a"], user=member, full_name="Nguyễn Văn Ấn Mới")
    assert "Nguyễn Văn Ấn Mới" in _page(reader, general)


def test_locking_removes_the_reply_form_at_once(personas, general):
    reader = _client(personas["member_a"])
    assert 'id="reply"' in _page(reader, general)
    services.topic_lock(actor=personas["secretary_a"], topic=general, locked=True)
    assert 'id="reply"' not in _page(reader, general)


def test_an_ended_membership_loses_the_cached_page_at_once(personas, general):
    member = personas["member_a"]
    reader = _client(member)
    _page(reader, general)
    membership = Membership.objects.get(user=member, ended_on__isnull=True)
    cell_services.membership_end(actor=personas["secretary_a"], membership=membership, reason="Chuyển công tác")
    assert reader.get(f"/forum/topics/{general.pk}/?page=1").status_code == 404


def test_a_membership_ended_in_the_admin_loses_it_too(personas, general):
    member = personas["member_a"]
    reader = _client(member)
    _page(reader, general)
    membership = Membership.objects.get(user=member, ended_on__isnull=True)
    membership.ended_on = datetime.date.today()
    membership.save()  # as the admin does
    assert reader.get(f"/forum/topics/{general.pk}/?page=1").status_code == 404


def test_a_deactivated_account_is_logged_out_on_the_next_request(personas, general):
    member = personas["member_a"]
    reader = _client(member)
    _page(reader, general)
    member.is_active = False
    member.save()
    assert reader.get(f"/forum/topics/{general.pk}/?page=1").status_code == 302


@pytest.mark.parametrize("large_text", [False, True])
def test_the_page_from_the_cache_is_the_page_rendered_in_full(personas, general, large_text):
    import re

    from forum.tests.test_selectors import _bulk_posts

    member, secretary = personas["member_a"], personas["secretary_a"]
    member.large_text = large_text
    member.save()
    _bulk_posts(general, secretary, 60)  # two pages
    post = services.post_create(actor=secretary, topic=general, body="**Ý kiến** có <script>x</script>")
    services.post_edit(actor=secretary, post=post, body="Ý kiến đã sửa")
    services.reaction_toggle(actor=member, post=post)
    own = services.post_create(actor=member, topic=general, body="Của tôi, sẽ bị ẩn")
    services.post_hide(actor=secretary, post=own, reason="Thử")
    reader = _client(member)
    path = f"/forum/topics/{general.pk}/?page=2"

    keys = []
    key_field = re.compile(r'name="idempotency_key" value="([A-Za-z0-9_-]+)"')

    def html() -> str:
        # each response gives the reply form a new idempotency key; all else matches byte for byte
        text = reader.get(path).content.decode()
        keys.extend(key_field.findall(text))
        return key_field.sub('name="idempotency_key" value="key"', text)

    html()  # moves the read mark: a rendering that writes is not stored
    full = html()  # rendered and stored
    with CaptureQueriesContext(connection) as ctx:
        assert html() == full  # from the cache
    assert ctx.captured_queries == []
    assert len(keys) == 3 and len(set(keys)) == 3  # one key per serving, never shared from the cache
    assert "Của tôi, sẽ bị ẩn" in full and "Ý kiến đã sửa" in full and 'aria-pressed="true"' in full
    assert f'data-user-id="{member.pk}"' in full and ("large-text" in full) == large_text


def test_assembling_never_shows_a_hidden_post_to_another_member():
    # Pieces built just after a hide committed can carry the hidden post into a page whose
    # ids were read before it: assemble itself leaves it out for anyone but its author.
    from forum.rendering import PostPieces, assemble

    def piece(pk: int, author: int, hidden: bool) -> PostPieces:
        return PostPieces(pk, author, hidden, frozenset(), f"<article id=p{pk}>", "", "", "", "", "", "", "", "")

    pieces = (piece(1, 10, False), piece(2, 20, True))
    assert "p2" not in assemble(pieces, user_id=30, moderator=False, csrf_token="t")
    assert "p2" in assemble(pieces, user_id=20, moderator=False, csrf_token="t")
    assert "p2" in assemble(pieces, user_id=30, moderator=True, csrf_token="t")
    assert "p1" in assemble(pieces, user_id=30, moderator=False, csrf_token="t")
