"""Every pledge view tried as each persona that must be refused: hidden -> 404, visible but
forbidden -> 403, anonymous -> login."""

import pytest
from django.urls import reverse

from pledges.models import Pledge

REFUSED_PLEDGE = ["member_b", "secretary_b", "outsider"]


@pytest.fixture
def who(personas, secretary_b):
    return {**personas, "secretary_b": secretary_b}


def pledge_views(pk):
    return [
        ("get", reverse("pledges:detail", args=[pk])),
        ("get", reverse("pledges:pdf", args=[pk])),
        ("post", reverse("pledges:decide", args=[pk])),
        ("post", reverse("pledges:reopen", args=[pk])),
        ("post", reverse("pledges:rate", args=[pk])),
        ("post", reverse("pledges:save", args=[pk])),
        ("post", reverse("pledges:self_review", args=[pk])),
    ]


@pytest.mark.parametrize("persona", REFUSED_PLEDGE)
def test_it_hides_a_members_pledge_from_other_cells(client_as, who, submitted, persona):
    client = client_as(who[persona])
    for method, url in pledge_views(submitted.pk):
        assert getattr(client, method)(url, {"version": 1}).status_code == 404, url
    assert client.get(reverse("pledges:compare", args=[submitted.pk, submitted.pk])).status_code == 404
    assert Pledge.objects.get(pk=submitted.pk).status == Pledge.Status.SUBMITTED


def test_it_sends_anonymous_visitors_to_log_in(client_as, submitted):
    client = client_as(None)
    for method, url in pledge_views(submitted.pk):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and reverse("account_login") in response.url, url


@pytest.mark.parametrize("persona", ["secretary_a", "officer"])
def test_it_keeps_a_draft_never_handed_in_private(client_as, who, pledge, persona):
    client = client_as(who[persona])
    assert client.get(reverse("pledges:detail", args=[pledge.pk])).status_code == 404
    assert client.get(reverse("pledges:pdf", args=[pledge.pk])).status_code == 404


def test_it_lets_the_committee_officer_read_but_not_act(client_as, who, submitted):
    client = client_as(who["officer"])
    page = client.get(reverse("pledges:detail", args=[submitted.pk]))
    assert page.status_code == 200 and 'action="/pledges/' not in page.content.decode()
    assert client.post(reverse("pledges:decide", args=[submitted.pk]), {"action": "approve"}).status_code == 403
    assert client.post(reverse("pledges:rate", args=[submitted.pk]), {"rating": "good"}).status_code == 403
    assert client.post(reverse("pledges:save", args=[submitted.pk]), {"version": 1}).status_code == 403
    assert Pledge.objects.get(pk=submitted.pk).status == Pledge.Status.SUBMITTED


def test_it_refuses_the_member_acting_as_reviewer(client_as, who, submitted):
    client = client_as(who["member_a"])
    assert client.post(reverse("pledges:decide", args=[submitted.pk]), {"action": "approve"}).status_code == 403
    assert client.post(reverse("pledges:reopen", args=[submitted.pk]), {"reason": "x"}).status_code == 403
    assert Pledge.objects.get(pk=submitted.pk).status == Pledge.Status.SUBMITTED


def test_it_refuses_the_secretary_editing_the_members_text(client_as, who, submitted):
    client = client_as(who["secretary_a"])
    assert client.post(reverse("pledges:save", args=[submitted.pk]), {"version": submitted.version}).status_code == 403


@pytest.mark.parametrize("persona", ["officer", "outsider"])
def test_it_shows_the_review_queue_only_to_cell_leaders(client_as, who, persona):
    assert client_as(who[persona]).get(reverse("pledges:queue")).status_code == 404


def test_it_forbids_the_review_queue_to_a_plain_member_of_the_cell(client_as, who):
    # The member's own cell is visible to them; reviewing its pledges is not theirs: 403.
    assert client_as(who["member_a"]).get(reverse("pledges:queue")).status_code == 403


def test_it_shows_each_secretary_only_their_cells_queue(client_as, who, submitted):
    name = who["member_a"].full_name
    assert name not in client_as(who["secretary_b"]).get(reverse("pledges:queue")).content.decode()
    assert name in client_as(who["secretary_a"]).get(reverse("pledges:queue")).content.decode()


@pytest.mark.parametrize("persona", ["member_b", "secretary_b", "outsider"])
def test_it_hides_the_cell_table_and_zip(client_as, who, org, persona, template):
    client = client_as(who[persona])
    cell = org["cell_a"]
    assert client.get(reverse("pledges:tracking", args=[cell.pk])).status_code == 404  # no redirect to tell
    assert client.get(reverse("pledges:approved_zip", args=[cell.pk, 2020])).status_code == 404
    assert client.post(reverse("reports:remind", args=[cell.pk]), {"year": 2020, "item": "pledge"}).status_code == 404


def test_it_forbids_the_cell_table_and_zip_to_a_member_of_that_cell(client_as, who, org, template):
    # The cell is visible to its member (its page, its forum); its pledge table is not: 403.
    client = client_as(who["member_a"])
    cell = org["cell_a"]
    assert client.get(reverse("pledges:tracking", args=[cell.pk])).status_code == 403
    assert client.get(reverse("pledges:approved_zip", args=[cell.pk, 2020])).status_code == 403
    assert client.post(reverse("reports:remind", args=[cell.pk]), {"year": 2020, "item": "pledge"}).status_code == 403


def test_it_refuses_reminders_from_the_officer(client_as, who, org, template):
    url = reverse("reports:remind", args=[org["cell_a"].pk])
    response = client_as(who["officer"]).post(url, {"year": 2020, "item": "pledge"})
    assert response.status_code == 403


@pytest.mark.parametrize("persona", ["member_a", "secretary_a", "member_b", "outsider"])
def test_it_hides_committee_counts_from_non_officers(client_as, who, org, persona):
    client = client_as(who[persona])
    unit = org["committee"]
    assert client.get(reverse("pledges:committee", args=[unit.pk])).status_code in (403, 404)  # never a redirect
    assert client.get(reverse("pledges:committee_csv", args=[unit.pk, 2020])).status_code in (403, 404)


def test_it_hides_other_subtrees_from_the_officer(client_as, who, org):
    client = client_as(who["officer"])
    assert client.get(reverse("pledges:committee", args=[org["other_committee"].pk])).status_code == 404
    assert client.get(reverse("pledges:tracking", args=[org["cell_c"].pk])).status_code == 404


def test_it_answers_the_pledges_predicates(personas, org, deputy_a):
    from pledges import permissions

    cell, committee = org["cell_a"], org["committee"]
    assert permissions.can_review_pledges(personas["secretary_a"], cell)
    assert permissions.can_review_pledges(deputy_a, cell)
    assert not permissions.can_review_pledges(personas["member_a"], cell)
    assert not permissions.can_review_pledges(personas["officer"], cell)
    assert permissions.can_author_pledge_templates(personas["officer"])
    assert permissions.can_author_pledge_templates(personas["officer"], committee)
    assert not permissions.can_author_pledge_templates(personas["officer"], org["other_committee"])
    assert not permissions.can_author_pledge_templates(personas["secretary_a"])
