"""A reader's unchanged page comes from the page cache (core.cache "Pages",
core.middleware.PageCacheMiddleware); what invalidates it is every generation its rendering
read, `table:<name>` included, and each test below changes one and sees it on the next load.
Nothing crosses users or sessions."""

import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from cells.models import Membership
from core.cache import generations
from core.tests.reads import cache_reads as _cache_reads

pytestmark = pytest.mark.django_db

PROFILE = "/accounts/profile/"


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    client.get(PROFILE)  # the CSRF cookie: pages are cached for a reader who has one
    return client


def _load(client, path: str) -> tuple[str, int]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    assert response.status_code == 200
    return response.content.decode(), len(ctx.captured_queries)


def test_a_reload_with_nothing_changed_is_the_stored_page(personas):
    reader = _client(personas["member_a"])
    first, _ = _load(reader, PROFILE)
    again, queries = _load(reader, PROFILE)
    assert queries == 0
    assert again == first


def test_a_write_through_raw_sql_shows_on_the_next_load(personas):
    member = personas["member_a"]
    reader = _client(member)
    _load(reader, PROFILE)
    assert _load(reader, PROFILE)[1] == 0  # stored
    with connection.cursor() as cursor:
        cursor.execute('UPDATE "accounts_user" SET "phone" = %s WHERE "id" = %s', ["0912345678", member.pk])
    html, queries = _load(reader, PROFILE)
    assert queries > 0 and "0912345678" in html


def test_every_write_bumps_the_generation_of_the_table_it_writes(personas):
    before = generations("table:accounts_user", "table:cells_membership")
    with connection.cursor() as cursor:
        cursor.execute('UPDATE "accounts_user" SET "phone" = %s', ["1"])
    after = generations("table:accounts_user", "table:cells_membership")
    assert after[0] != before[0] and after[1] == before[1]
    Membership.objects.filter(user=personas["member_a"]).update(ended_on=datetime.date.today())
    assert generations("table:cells_membership")[0] != after[1]


def test_nothing_crosses_users_or_sessions(personas):
    member_a, member_b = personas["member_a"], personas["member_b"]
    first = _client(member_a)
    _load(first, PROFILE)
    assert _load(first, PROFILE)[1] == 0  # stored for member_a's session
    html, _ = _load(_client(member_b), PROFILE)
    assert "member_b@example.org" in html and "member_a@example.org" not in html
    other_session = _client(member_a)
    html, queries = _load(other_session, PROFILE)
    assert queries > 0 and "member_a@example.org" in html  # rendered for that session, not reused


def test_access_that_ends_ends_on_the_next_load(personas, org):
    member = personas["member_a"]
    reader = _client(member)
    path = f"/cells/units/{org['cell_a'].pk}/"
    _load(reader, path)
    _, queries = _load(reader, path)
    assert queries == 0  # stored
    Membership.objects.filter(user=member).update(ended_on=datetime.date.today())
    assert reader.get(path).status_code in (403, 404)


def test_a_logged_out_reader_never_gets_the_stored_page(personas):
    reader = _client(personas["member_a"])
    _load(reader, PROFILE)
    assert _load(reader, PROFILE)[1] == 0  # stored
    reader.logout()
    assert reader.get(PROFILE).status_code == 302


def test_a_waiting_message_shows_instead_of_the_stored_page(personas):
    member = personas["member_a"]
    reader = _client(member)
    _load(reader, PROFILE)
    assert _load(reader, PROFILE)[1] == 0  # stored
    response = reader.post(
        PROFILE, {"email": member.email, "phone": "", "language": "vi", "large_text": "", "email_notifications": ""}
    )
    assert response.status_code == 302
    html, _ = _load(reader, PROFILE)
    assert "Đã lưu thông tin tài khoản." in html
    again, _ = _load(reader, PROFILE)
    assert "Đã lưu thông tin tài khoản." not in again  # shown once, and that page was not stored


def test_each_serving_of_a_stored_page_gets_its_own_idempotency_keys(personas, org):
    import re

    from forum.models import Topic

    topic = Topic.objects.create(cell=org["cell_a"], title="Chủ đề", author=personas["secretary_a"])
    reader = _client(personas["member_a"])
    keys = []
    for _ in range(3):
        html, _ = _load(reader, f"/forum/topics/{topic.pk}/")
        keys += re.findall(r'name="idempotency_key" value="([A-Za-z0-9_-]+)"', html)
    assert len(keys) == 3 and len(set(keys)) == 3


def test_renewing_keys_touches_the_rendered_field_only():
    from django.template import Context, Template
    from django.utils.html import escape

    from core.idempotency import renew_keys

    field = Template("{% load idempotency %}{% idempotency_field %}").render(Context())
    typed = escape('name="idempotency_key" value="typed-by-a-member"')
    page = f"<form>{field}</form><p>{typed}</p>"
    renewed = renew_keys(page)
    assert renewed != page and renewed.endswith(f"<p>{typed}</p>")
    assert renewed.count('name="idempotency_key" value="') == 1


@pytest.mark.parametrize(
    "sql, tables",
    [
        ('INSERT INTO "forum_post" ("body") VALUES (%s)', ["forum_post"]),
        ('INSERT OR IGNORE INTO "forum_readstate" ("user_id") VALUES (%s)', ["forum_readstate"]),  # SQLite
        ('UPDATE "cells_membership" SET "ended_on" = %s WHERE "id" IN (SELECT "id" FROM "x")', ["cells_membership"]),
        ('DELETE FROM "django_session" WHERE "expire_date" < %s', ["django_session"]),
        ("UPDATE cells_orgunit SET path = 'x'", ["cells_orgunit"]),  # treebeard's raw SQL
        ('TRUNCATE "accounts_user", "forum_post" RESTART IDENTITY CASCADE;', ["accounts_user", "forum_post"]),
        ('SELECT "forum_post"."id" FROM "forum_post"', []),
        ("SAVEPOINT s1", []),
    ],
)
def test_the_tables_a_statement_writes(sql, tables):
    from core.cache import _written_tables

    assert _written_tables(sql) == tables


@pytest.mark.parametrize("path", [PROFILE, "/", "/notifications/"])
def test_a_readers_next_request_reads_the_shared_cache_once(personas, monkeypatch, path):
    """The session and every generation the session's previous request read come in one
    round trip (four before: the session, the user's, the organisation's, the page's own)."""
    reader = _client(personas["member_a"])
    _load(reader, path)
    _load(reader, path)
    reads = _cache_reads(monkeypatch)
    _html, queries = _load(reader, path)
    assert queries == 0
    assert [name for name, _keys in reads] == ["get_many"], reads


def test_what_is_fetched_ahead_is_what_the_last_request_read_not_everything_ever_read(personas, monkeypatch):
    """The names fetched ahead (and a stored page's dependencies) are what the session's
    previous request read: visiting other pages in between adds nothing that stays."""
    reader = _client(personas["member_a"])
    _load(reader, PROFILE)
    _load(reader, PROFILE)
    reads = _cache_reads(monkeypatch)
    _load(reader, PROFILE)
    alone = sorted(reads[0][1])
    for path in ["/", "/notifications/", "/courses/", "/forum/", "/pledges/"]:
        _load(reader, path)
    _load(reader, PROFILE)  # fetches ahead what /pledges/ read, then what it lacks
    reads.clear()
    _html, queries = _load(reader, PROFILE)
    assert queries == 0
    assert [name for name, _keys in reads] == ["get_many"]
    assert sorted(reads[0][1]) == alone
