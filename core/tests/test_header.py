"""The site header is right on every page, cached or not (core.templatetags.site)."""

import pytest
from django.test import Client

from notifications.services import notification_send

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _header(client, path: str = "/") -> str:
    html = client.get(path).content.decode()
    return html[html.index('<header class="site-header">') : html.index("</header>")]


def test_the_bell_counts_a_new_notification_on_the_next_page(personas):
    member = personas["member_a"]
    client = _client(member)
    assert 'data-unread-count aria-live="polite">0<' in _header(client)
    notification_send(user=member, kind="test", message="Có tin mới", email=False)
    assert 'data-unread-count aria-live="polite">1<' in _header(client)


def test_the_language_switch_returns_to_the_page_it_was_on(personas):
    client = _client(personas["member_a"])
    assert 'name="next" value="/"' in _header(client, "/")
    assert 'name="next" value="/notifications/?a=1&amp;b=2"' in _header(client, "/notifications/?a=1&b=2")


def test_each_user_gets_their_own_name_menu_and_token(personas):
    member, officer = personas["member_a"], personas["officer"]
    first, second = _header(_client(member)), _header(_client(officer))
    assert member.full_name in first and officer.full_name not in first
    assert officer.full_name in second and member.full_name not in second
    assert "/forum/" in first and "/reports/" in second and "/reports/" not in first
    assert 'name="csrfmiddlewaretoken" value="' in first and "hole" not in first.replace("whole", "")


def test_a_new_name_and_a_moved_membership_show_at_once(personas, org):
    from cells.models import Membership
    from cells.services import membership_move

    member = personas["member_a"]
    client = _client(member)
    assert f"/cells/units/{org['cell_a'].pk}/" in _header(client)
    member.full_name = "Tên Mới Hẳn"
    member.save()
    membership = Membership.objects.get(user=member, ended_on__isnull=True)
    membership_move(actor=None, membership=membership, to_cell=org["cell_b"])
    header = _header(client)
    assert "Tên Mới Hẳn" in header and f"/cells/units/{org['cell_b'].pk}/" in header


def test_anonymous_visitors_get_the_login_link():
    header = _header(Client(), "/accounts/login/")
    assert "/accounts/login/" in header and "Đăng xuất" not in header
