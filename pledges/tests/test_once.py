"""A form POST sent again (a double tap, a network retry) carries the same idempotency key
(core.idempotency): it changes nothing more and is answered as the first was, never with a
false "changed in another tab" nor a refused transition."""

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from core.idempotency import new_key
from core.tests.concurrency import post_at_once
from notifications.models import Notification
from pledges import services
from pledges.models import Pledge, PledgeEvent, PledgeReminder, PledgeTemplate
from pledges.tests.conftest import fill
from pledges.tests.test_views_member import post_data

S = Pledge.Status
A = PledgeEvent.Action


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _texts(pledge) -> list[str]:
    return list(fill(pledge).values())


@pytest.mark.skipif(connection.vendor == "sqlite", reason="needs a database that allows concurrent writers")
@pytest.mark.django_db(transaction=True)
def test_five_identical_concurrent_submits_submit_once(personas, pledge):
    data = post_data(pledge, _texts(pledge), action="submit", idempotency_key=new_key())
    responses = post_at_once(personas["member_a"], reverse("pledges:save", args=[pledge.pk]), data, times=5)
    assert {r.status_code for r in responses} == {302}
    assert {r["Location"] for r in responses} == {reverse("pledges:detail", args=[pledge.pk])}
    pledge.refresh_from_db()
    assert pledge.status == S.SUBMITTED and pledge.version == 3  # one save, one submission
    assert pledge.events.filter(action=A.SUBMITTED).count() == 1
    assert Notification.objects.filter(kind="pledge.submitted").count() == 1


@pytest.mark.django_db
def test_a_retried_submit_answers_as_the_first(personas, pledge):
    client = _client(personas["member_a"])
    data = post_data(pledge, _texts(pledge), action="submit", idempotency_key=new_key())
    url = reverse("pledges:save", args=[pledge.pk])
    first = client.post(url, data, follow=True)
    again = client.post(url, data, follow=True)
    assert first.redirect_chain == again.redirect_chain == [(reverse("pledges:detail", args=[pledge.pk]), 302)]
    assert [str(m) for m in again.context["messages"]] == [str(m) for m in first.context["messages"]]
    pledge.refresh_from_db()
    assert pledge.status == S.SUBMITTED and pledge.version == 3
    assert pledge.events.filter(action=A.SUBMITTED).count() == 1
    assert Notification.objects.filter(kind="pledge.submitted").count() == 1


@pytest.mark.django_db
def test_a_retried_save_is_no_false_conflict_but_a_real_one_still_is(personas, pledge):
    client = _client(personas["member_a"])
    url = reverse("pledges:save", args=[pledge.pk])
    data = post_data(pledge, ["Bản nháp một"], action="save", idempotency_key=new_key())
    assert client.post(url, data).status_code == 302
    assert client.post(url, data).status_code == 302  # the same POST again: answered, not 409
    pledge.refresh_from_db()
    assert pledge.version == 2
    # The same page sent with other text, or another page's save on the old version: a real
    # conflict, refused and shown as before.
    for other in (
        post_data(pledge, ["Chữ khác"], version=1, action="save", idempotency_key=data["idempotency_key"]),
        post_data(pledge, ["Bản nháp một"], version=1, action="save", idempotency_key=new_key()),
    ):
        assert client.post(url, other).status_code == 409
    pledge.refresh_from_db()
    assert pledge.version == 2


@pytest.mark.django_db
def test_a_save_that_failed_to_submit_is_answered_the_same_again(personas, pledge):
    client = _client(personas["member_a"])
    url = reverse("pledges:save", args=[pledge.pk])
    data = post_data(pledge, ["ngắn", ""], action="submit", idempotency_key=new_key())
    assert client.post(url, data).status_code == 400
    assert client.post(url, data).status_code == 400  # the same refusal, not a conflict
    pledge.refresh_from_db()
    assert pledge.status == S.DRAFT and pledge.version == 2


@pytest.mark.django_db
def test_the_secretarys_transitions_count_once(personas, submitted, org):
    secretary = _client(personas["secretary_a"])
    approve = {"action": "approve", "comment": "Tốt", "idempotency_key": new_key()}
    for _ in range(2):
        response = secretary.post(reverse("pledges:decide", args=[submitted.pk]), approve)
        assert response.status_code == 302 and response["Location"] == reverse("pledges:queue")
    reopen = {"reason": "Bổ sung", "idempotency_key": new_key()}
    for _ in range(2):
        response = secretary.post(reverse("pledges:reopen", args=[submitted.pk]), reopen)
        assert response.status_code == 302
    assert [e.action for e in submitted.events.all()] == [A.STARTED, A.SUBMITTED, A.APPROVED, A.REOPENED]
    assert Notification.objects.filter(kind__in=["pledge.approved", "pledge.reopened"]).count() == 2


@pytest.mark.django_db
def test_a_retried_self_review_and_rating_count_once(personas, approved):
    member = _client(personas["member_a"])
    ids = list(fill(approved))
    review = {
        f"review-{ids[0]}": "Đã làm",
        f"review-{ids[1]}": "Đã học",
        "proposed_rating": "good",
        "version": approved.version,
        "action": "submit",
        "idempotency_key": new_key(),
    }
    for _ in range(2):
        assert member.post(reverse("pledges:self_review", args=[approved.pk]), review).status_code == 302
    rate = {"rating": "excellent", "comment": "Gương mẫu", "idempotency_key": new_key()}
    secretary = _client(personas["secretary_a"])
    for _ in range(2):
        assert secretary.post(reverse("pledges:rate", args=[approved.pk]), rate).status_code == 302
    approved.refresh_from_db()
    assert approved.status == S.RATED
    assert approved.events.filter(action=A.REVIEWED).count() == approved.events.filter(action=A.RATED).count() == 1


@pytest.mark.django_db
def test_a_reminder_click_sent_twice_reminds_once(personas, template, org):
    from conftest import make_member

    make_member("behind_a", org["cell_a"])
    client = _client(personas["secretary_a"])
    data = {"year": template.year, "idempotency_key": new_key(), "item": "pledge"}
    url = reverse("reports:remind", args=[org["cell_a"].pk])
    for _ in range(2):
        shown = client.post(url, data, follow=True).context["messages"]
        assert [m.level_tag for m in shown] == ["success"]  # never "already sent"
    assert PledgeReminder.objects.count() == 1


@pytest.mark.django_db
def test_a_template_form_sent_twice_creates_one(personas, org):
    client = _client(personas["officer"])
    data = {
        "unit": org["committee"].pk,
        "year": 2031,
        "title": "Mẫu cam kết",
        "due_on": "2031-03-31",
        "has_year_end_review": "on",
        "sections-TOTAL_FORMS": "1",
        "sections-INITIAL_FORMS": "0",
        "sections-0-title": "Tư tưởng",
        "sections-0-min_length": "0",
        "idempotency_key": new_key(),
    }
    for _ in range(2):
        response = client.post(reverse("pledges:template_new"), data)
        assert response.status_code == 302
    assert PledgeTemplate.objects.filter(year=2031).count() == 1


@pytest.mark.django_db
def test_another_users_key_is_not_theirs(personas, submitted):
    # The member's submission used a key; the secretary approving with the same stored key
    # is a new transition, not a repeat of the member's.
    key = "k" * 40
    PledgeEvent.objects.filter(pledge=submitted, action=A.SUBMITTED).update(client_key=key)
    services.pledge_approve(pledge=submitted, actor=personas["secretary_a"], client_key=key)
    submitted.refresh_from_db()
    assert submitted.status == S.APPROVED
    assert PledgeEvent.objects.filter(client_key=key).count() == 2


@pytest.mark.django_db
def test_the_detail_page_gives_each_form_a_fresh_key(personas, pledge):
    import re

    client = _client(personas["member_a"])
    url = reverse("pledges:detail", args=[pledge.pk])
    keys = re.findall(r'name="idempotency_key" value="([^"]+)"', client.get(url).content.decode())
    keys += re.findall(r'name="idempotency_key" value="([^"]+)"', client.get(url).content.decode())
    assert len(keys) >= 2 and len(set(keys)) == len(keys)
