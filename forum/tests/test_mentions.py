"""Mentions: rendered as links with the member's name; `@` offers the cell's members by name."""

import datetime

import pytest
from django.urls import reverse

from cells.models import Membership
from conftest import make_member, make_user
from forum import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def topic(personas, org):
    return services.topic_create(actor=personas["secretary_a"], cell=org["cell_a"], title="Nghị quyết", body="Mở đầu")


def _members_url(topic):
    return reverse("forum:topic_members", args=[topic.pk])


def test_a_member_gets_the_cells_active_members_by_name(client_as, personas, org, topic):
    hostile = make_member("quote_man", org["cell_a"], full_name='Hùng "</script><b>x</b>')
    gone = make_member("gone", org["cell_a"], full_name="Đã Chuyển Đi")
    Membership.objects.filter(user=gone).update(ended_on=datetime.date(2021, 1, 1))
    response = client_as(personas["member_a"]).get(_members_url(topic))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-store" in response["Cache-Control"]
    members = dict(map(tuple, response.json()["members"]))
    assert members["quote_man"] == hostile.full_name  # the exact name, quotes and all
    assert members["member_a"] == "Nguyễn Văn Ấn" and members["secretary_a"] == "Lê Thị Bích"
    assert "gone" not in members and "member_b" not in members  # ended, and another cell's
    assert b"</script>" not in response.content  # escaped as JSON (\u003c), never raw


def test_a_membership_change_shows_in_the_list(client_as, personas, org, topic):
    client = client_as(personas["member_a"])
    assert "newbie" not in dict(map(tuple, client.get(_members_url(topic)).json()["members"]))
    make_member("newbie", org["cell_a"], full_name="Mới Vào")
    assert "newbie" in dict(map(tuple, client.get(_members_url(topic)).json()["members"]))


@pytest.mark.parametrize("who", ["member_b", "outsider", "officer_of_other_committee"])
def test_who_may_not_read_the_topic_gets_404(client_as, personas, org, topic, who):
    if who == "officer_of_other_committee":
        from cells.models import CommitteeRole

        user = make_user("other_officer")
        CommitteeRole.objects.create(user=user, unit=org["other_committee"], started_on=datetime.date(2020, 1, 1))
    else:
        user = personas[who]
    assert client_as(user).get(_members_url(topic)).status_code == 404


def test_anonymous_gets_no_list(client_as, topic):
    response = client_as(None).get(_members_url(topic))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_mention_is_a_link_with_the_members_name(client_as, personas, org, topic):
    make_member("hung", org["cell_a"], full_name='Phạm "Hùng" <b>')
    make_user("stranger", "Tên Bí Mật")  # not in the cell: stays as typed, no name shown
    services.post_create(
        actor=personas["member_a"], topic=topic, body="Xin @hung cho ý kiến, @stranger và `@hung` trong mã."
    )
    page = client_as(personas["secretary_a"]).get(reverse("forum:topic", args=[topic.pk])).content.decode()
    assert '<a class="mention" href="/forum/search/?q=%40hung">@Phạm &quot;Hùng&quot; &lt;b&gt;</a>' in page
    assert "@stranger" in page and "Tên Bí Mật" not in page
    assert "<code>@hung</code>" in page  # code stays code
    assert page.count('class="mention"') == 1


def test_a_name_change_shows_in_the_mention(client_as, personas, org, topic):
    hung = make_member("hung", org["cell_a"], full_name="Phạm Hùng")
    services.post_create(actor=personas["member_a"], topic=topic, body="Xin @hung cho ý kiến")
    client = client_as(personas["secretary_a"])
    assert ">@Phạm Hùng</a>" in client.get(reverse("forum:topic", args=[topic.pk])).content.decode()
    hung.full_name = "Phạm Văn Hùng"
    hung.save()
    assert ">@Phạm Văn Hùng</a>" in client.get(reverse("forum:topic", args=[topic.pk])).content.decode()


def test_the_reply_form_names_where_suggestions_come_from(client_as, personas, topic):
    page = client_as(personas["member_a"]).get(reverse("forum:topic", args=[topic.pk])).content.decode()
    assert f'data-mention-url="{_members_url(topic)}"' in page and "js/mention.js" in page


def test_a_member_who_joins_later_gets_the_link(client_as, personas, org, topic):
    services.post_create(actor=personas["member_a"], topic=topic, body="Chờ @late đến")
    client = client_as(personas["secretary_a"])
    assert 'class="mention"' not in client.get(reverse("forum:topic", args=[topic.pk])).content.decode()
    late = make_user("late", "Đến Muộn")
    client.get(reverse("forum:topic", args=[topic.pk]))  # the user exists, not yet a member
    Membership.objects.create(user=late, cell=org["cell_a"], role="member", started_on=datetime.date(2020, 1, 1))
    assert ">@Đến Muộn</a>" in client.get(reverse("forum:topic", args=[topic.pk])).content.decode()


# --- The new-topic and edit pages (the topic may not exist yet: the list is the cell's) ------


def _cell_members_url(cell):
    return reverse("forum:cell_members", args=[cell.pk])


def test_the_new_topic_page_offers_the_members_of_the_cell_it_posts_in(client_as, personas, org):
    hostile = make_member("quote_man", org["cell_a"], full_name='Hùng "</script><b>x</b>')
    gone = make_member("gone", org["cell_a"], full_name="Đã Chuyển Đi")
    Membership.objects.filter(user=gone).update(ended_on=datetime.date(2021, 1, 1))
    client = client_as(personas["member_a"])
    page = client.get(reverse("forum:topic_new")).content.decode()
    url = _cell_members_url(org["cell_a"])
    assert f'data-mention-url="{url}"' in page and "js/mention.js" in page
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert "no-store" in response["Cache-Control"]
    members = dict(map(tuple, response.json()["members"]))
    assert members == {
        "member_a": "Nguyễn Văn Ấn",
        "secretary_a": "Lê Thị Bích",
        "quote_man": hostile.full_name,
    }  # not the one who left, nor another cell's member
    assert b"</script>" not in response.content


def test_the_edit_page_offers_the_members_of_the_topics_cell(client_as, personas, topic):
    post = topic.posts.get()
    page = client_as(personas["secretary_a"]).get(reverse("forum:post_edit", args=[post.pk])).content.decode()
    assert f'data-mention-url="{_members_url(topic)}"' in page and "js/mention.js" in page
    assert 'data-mention-label="Đảng viên của chi bộ"' in page


@pytest.mark.parametrize(
    "who",
    ["member_b", "secretary_b", "officer", "officer_of_other_committee", "site_admin", "former_member", "outsider"],
)
def test_who_may_not_post_in_the_cell_gets_404_for_its_members(client_as, personas, org, who):
    from cells.models import CommitteeRole

    if who == "secretary_b":
        user = make_member("secretary_b", org["cell_b"], role="secretary")
    elif who == "officer_of_other_committee":
        user = make_user("other_officer")
        CommitteeRole.objects.create(user=user, unit=org["other_committee"], started_on=datetime.date(2020, 1, 1))
    elif who == "site_admin":
        user = make_user("root", is_superuser=True, is_staff=True)
    elif who == "former_member":
        user = make_member("former", org["cell_a"])
        Membership.objects.filter(user=user).update(ended_on=datetime.date(2021, 1, 1))
    else:
        user = personas[who]
    response = client_as(user).get(_cell_members_url(org["cell_a"]))
    assert response.status_code == 404
    assert b"member_a" not in response.content


def test_a_unit_that_is_not_a_cell_or_does_not_exist_gets_404(client_as, personas, org):
    client = client_as(personas["member_a"])
    assert client.get(_cell_members_url(org["committee"])).status_code == 404
    assert client.get(reverse("forum:cell_members", args=[999_999])).status_code == 404


def test_anonymous_gets_no_list_of_a_cell(client_as, org):
    response = client_as(None).get(_cell_members_url(org["cell_a"]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
