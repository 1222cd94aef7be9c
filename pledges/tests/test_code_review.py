"""Fixes from the code review of pledges (access, races, stale saves, admin, moves)."""

import pytest

pytestmark = pytest.mark.django_db


# --- One helper for the leaders' notifications; one ancestor-path builder ---------------------


def test_it_notifies_both_leaders_but_never_the_member_on_submit_and_self_review(deputy_a, reviewed):
    from notifications.models import Notification

    for kind in ("pledge.submitted", "pledge.reviewed"):
        notified = set(Notification.objects.filter(kind=kind).values_list("user__username", flat=True))
        assert notified == {"secretary_a", "deputy_a"}, kind


def test_it_finds_the_template_through_the_shared_ancestor_paths(template, org):
    from cells import permissions
    from pledges import selectors

    assert permissions.ancestor_paths(org["cell_a"].path)[-2:] == [org["committee"].path, org["cell_a"].path]
    assert selectors.template_for_cell(org["cell_a"], 2020) == template
    assert selectors.template_for_cell(org["cell_c"], 2020) is None
    assert selectors.years_for_unit(org["cell_a"]) == [2020]


# --- Template creation and pledge start: no duplicate 500, no form changed under a start -------


def test_it_refuses_a_second_template_for_the_same_committee_and_year(template, personas, org):
    import datetime

    from pledges import services

    with pytest.raises(services.PledgeRefused) as exc:
        services.template_create(
            actor=personas["officer"],
            unit=org["committee"],
            year=2020,
            title="Again",
            due_on=datetime.date(2020, 3, 31),
        )
    assert exc.value.message == "Cấp ủy này đã có mẫu cho năm đó."


def test_it_turns_the_constraint_race_into_a_refusal_not_a_500(template, personas, org, monkeypatch):
    import datetime

    from django.db.models import QuerySet

    from pledges import services

    # The check ran before the other officer's insert committed: only the constraint catches it.
    monkeypatch.setattr(QuerySet, "exists", lambda self: False)
    with pytest.raises(services.PledgeRefused):
        services.template_create(
            actor=personas["officer"],
            unit=org["committee"],
            year=2020,
            title="Again",
            due_on=datetime.date(2020, 3, 31),
        )


def test_it_locks_the_template_row_when_a_pledge_starts(template, personas, org, monkeypatch):
    from django.db.models import QuerySet

    from pledges import services
    from pledges.models import PledgeTemplate

    locked = []
    original = QuerySet.select_for_update

    def spy(self, *args, **kwargs):
        locked.append(self.model)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(QuerySet, "select_for_update", spy)
    services.pledge_start(member=personas["member_a"], template=template, cell=org["cell_a"])
    assert PledgeTemplate in locked


# --- The year-end review window closes -------------------------------------------------------


def _close_review(pledge, days_ago=1):
    import datetime

    from django.utils import timezone

    template = pledge.template
    template.review_closes_on = timezone.localdate() - datetime.timedelta(days=days_ago)
    template.save(update_fields=["review_closes_on"])
    pledge.refresh_from_db()
    return template.review_closes_on


def test_it_refuses_self_review_writes_after_the_review_closes(approved, personas):
    from pledges import services

    closed = _close_review(approved)
    with pytest.raises(services.PledgeRefused) as exc:
        services.pledge_review_save_draft(
            pledge=approved,
            actor=personas["member_a"],
            reviews={},
            proposed_rating="good",
            expected_version=approved.version,
        )
    assert closed.strftime("%d/%m/%Y") in exc.value.message
    with pytest.raises(services.PledgeRefused):
        services.pledge_review_submit(pledge=approved, actor=personas["member_a"], expected_version=approved.version)


def test_it_accepts_self_review_on_the_closing_day(approved, personas):
    from pledges import services

    _close_review(approved, days_ago=0)
    before = approved.version
    services.pledge_review_save_draft(
        pledge=approved,
        actor=personas["member_a"],
        reviews={},
        proposed_rating="good",
        expected_version=approved.version,
    )
    approved.refresh_from_db()
    assert (approved.proposed_rating, approved.version) == ("good", before + 1)


def test_it_shows_the_review_window_on_the_page(approved, personas, client_as):
    import datetime

    from django.utils import timezone

    approved.template.review_closes_on = timezone.localdate() + datetime.timedelta(days=3)
    approved.template.save(update_fields=["review_closes_on"])
    page = client_as(personas["member_a"]).get(f"/pledges/{approved.pk}/")
    assert approved.template.review_closes_on.strftime("%d/%m/%Y") in page.content.decode()
    assert b'name="proposed_rating"' in page.content

    closed = _close_review(approved)
    page = client_as(personas["member_a"]).get(f"/pledges/{approved.pk}/")
    assert closed.strftime("%d/%m/%Y") in page.content.decode()
    assert b'name="proposed_rating"' not in page.content
    response = client_as(personas["member_a"]).post(
        f"/pledges/{approved.pk}/self-review/",
        {"version": approved.version, "proposed_rating": "good", "action": "submit"},
    )
    assert response.status_code == 409
    approved.refresh_from_db()
    assert approved.status == "approved"


# --- Pledge access decided in cells.permissions ----------------------------------------------


def test_it_answers_the_pledges_predicates(personas, org, deputy_a):
    from cells import permissions

    cell, committee = org["cell_a"], org["committee"]
    assert permissions.can_review_pledges(personas["secretary_a"], cell)
    assert permissions.can_review_pledges(deputy_a, cell)
    assert not permissions.can_review_pledges(personas["member_a"], cell)
    assert not permissions.can_review_pledges(personas["officer"], cell)
    assert permissions.can_author_pledge_templates(personas["officer"])
    assert permissions.can_author_pledge_templates(personas["officer"], committee)
    assert not permissions.can_author_pledge_templates(personas["officer"], org["other_committee"])
    assert not permissions.can_author_pledge_templates(personas["secretary_a"])


# --- The admin: no raw HTML, templates through the services ------------------------------------


def _admin(client):
    from conftest import make_user

    root = make_user("root", is_superuser=True, is_staff=True)
    client.force_login(root)
    return client


def _admin_form(org, **extra):
    data = {
        "unit": org["other_committee"].pk,
        "year": 2021,
        "title": "Bản cam kết 2021",
        "intro": "**Đậm** <script>alert(1)</script>",
        "intro_html": "<script>alert(2)</script>",
        "has_year_end_review": "on",
        "due_on": "2021-03-31",
        "review_opens_on": "",
        "review_closes_on": "",
        "sections-TOTAL_FORMS": "1",
        "sections-INITIAL_FORMS": "0",
        "sections-MIN_NUM_FORMS": "0",
        "sections-MAX_NUM_FORMS": "1000",
        "sections-0-order": "1",
        "sections-0-title": "Tư tưởng chính trị",
        "sections-0-guidance": "",
        "sections-0-required": "on",
        "sections-0-min_length": "10",
    }
    data.update(extra)
    return data


def test_it_never_offers_stored_html_as_an_admin_field():
    from pledges.models import Pledge, PledgeAnswer, PledgeEvent, PledgeTemplate

    for model in (PledgeTemplate, Pledge, PledgeAnswer, PledgeEvent):
        for field in model._meta.fields:
            if field.name.endswith("_html") or field.name == "html":
                assert not field.editable, f"{model.__name__}.{field.name}"


def test_it_creates_a_template_in_the_admin_through_the_service(client, org):
    from pledges.models import PledgeTemplate

    response = _admin(client).post("/admin/pledges/pledgetemplate/add/", _admin_form(org))
    assert response.status_code == 302, response.content.decode()[:2000]
    template = PledgeTemplate.objects.get(unit=org["other_committee"], year=2021)
    assert "<strong>Đậm</strong>" in template.intro_html
    assert "<script" not in template.intro_html
    assert template.created_by.username == "root"
    assert list(template.sections.values_list("title", flat=True)) == ["Tư tưởng chính trị"]


def test_it_refuses_admin_changes_to_a_started_template(client, template, pledge, org):
    from pledges.models import PledgeTemplate

    client = _admin(client)
    page = client.get(f"/admin/pledges/pledgetemplate/{template.pk}/change/").content.decode()
    assert 'name="sections-0-title"' not in page  # the sections are shown, not editable
    assert 'name="title"' not in page
    data = _admin_form(org, title="Changed", unit=template.unit.pk, year=2020)
    data.update({"sections-TOTAL_FORMS": "0", "sections-INITIAL_FORMS": "0"})
    client.post(f"/admin/pledges/pledgetemplate/{template.pk}/change/", data)
    assert PledgeTemplate.objects.get(pk=template.pk).title == template.title
    assert template.sections.count() == 3


def test_it_updates_an_unstarted_template_in_the_admin_through_the_service(client, template, org):
    from pledges.models import PledgeTemplate

    client = _admin(client)
    sections = list(template.sections.all())
    data = _admin_form(org, title="Đổi tên", intro="_nghiêng_")
    data.update({"sections-TOTAL_FORMS": str(len(sections)), "sections-INITIAL_FORMS": str(len(sections))})
    for i, s in enumerate(sections):
        data.update(
            {
                f"sections-{i}-id": s.pk,
                f"sections-{i}-template": template.pk,
                f"sections-{i}-order": s.order,
                f"sections-{i}-title": s.title,
                f"sections-{i}-guidance": "",
                f"sections-{i}-min_length": s.min_length,
            }
        )
        if s.required:
            data[f"sections-{i}-required"] = "on"
    response = client.post(f"/admin/pledges/pledgetemplate/{template.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    template = PledgeTemplate.objects.get(pk=template.pk)
    assert template.title == "Đổi tên"
    assert "<em>nghiêng</em>" in template.intro_html


# --- Parking text from expired sessions: bounded ---------------------------------------------


def _anonymous_post(client, pk, text="Gõ lúc hết phiên", cookie=True, ip="10.0.0.1"):
    from django.conf import settings

    if cookie:
        client.cookies[settings.SESSION_COOKIE_NAME] = "expired0session0key0000000000000"
    return client.post(f"/pledges/{pk}/save/", {"version": 1, "action": "save", "answer-1": text}, REMOTE_ADDR=ip)


def test_it_parks_nothing_for_a_post_without_a_session_cookie(client, pledge):
    from django.contrib.sessions.models import Session

    response = _anonymous_post(client, pledge.pk, cookie=False)
    assert response.status_code == 302
    assert Session.objects.count() == 0


def test_it_parks_nothing_for_a_pledge_that_does_not_exist(client, pledge):
    from django.contrib.sessions.models import Session

    assert _anonymous_post(client, pledge.pk + 1000).status_code == 302
    assert Session.objects.count() == 0
    _anonymous_post(client, pledge.pk)
    assert Session.objects.count() == 1


def test_it_parks_nothing_over_50000_characters(client, pledge):
    from django.contrib.sessions.models import Session

    _anonymous_post(client, pledge.pk, text="x" * 60_000)
    assert Session.objects.count() == 0


def test_it_limits_parking_per_ip(client, pledge):
    from django.contrib.sessions.models import Session

    from pledges.views import STASH_LIMIT

    for _ in range(STASH_LIMIT + 5):
        client.cookies.clear()
        _anonymous_post(client, pledge.pk)
    assert Session.objects.count() == STASH_LIMIT
    client.cookies.clear()
    _anonymous_post(client, pledge.pk, ip="10.0.0.2")  # another address is not held back
    assert Session.objects.count() == STASH_LIMIT + 1


# --- A member's open pledge follows them to the new cell ---------------------------------------


@pytest.fixture
def this_year(personas, org):
    import datetime

    from django.utils import timezone

    from pledges import services

    year = timezone.localdate().year
    template = services.template_create(
        actor=personas["officer"],
        unit=org["committee"],
        year=year,
        title="Bản cam kết",
        due_on=datetime.date(year, 12, 31),
        sections=[{"title": "Tư tưởng chính trị", "required": True, "min_length": 0}],
    )
    member = personas["member_a"]
    pledge = services.pledge_start(member=member, template=template, cell=org["cell_a"])
    pledge = services.pledge_save_draft(
        pledge=pledge, actor=member, answers=fill_one(pledge, "Kiên định."), expected_version=pledge.version
    )
    return services.pledge_submit(pledge=pledge, actor=member, expected_version=pledge.version)


def fill_one(pledge, text):
    return {pledge.answers.get().section_id: text}


def _move(personas, org):
    from cells.models import Membership
    from cells.services import membership_move

    membership = Membership.objects.get(user=personas["member_a"], ended_on__isnull=True)
    return membership_move(actor=personas["officer"], membership=membership, to_cell=org["cell_b"])


def test_it_moves_the_open_pledge_with_the_member(client_as, personas, org, secretary_b, this_year):
    from pledges.models import Pledge, PledgeEvent

    _move(personas, org)
    pledge = Pledge.objects.get(pk=this_year.pk)
    assert pledge.cell == org["cell_b"]
    event = pledge.events.order_by("id").last()
    assert event.action == PledgeEvent.Action.MOVED and event.actor == personas["officer"]
    assert "Chi bộ A" in event.comment and "Chi bộ B" in event.comment

    assert client_as(personas["secretary_a"]).get(f"/pledges/{pledge.pk}/").status_code == 404
    assert client_as(secretary_b).get(f"/pledges/{pledge.pk}/").status_code == 200
    response = client_as(secretary_b).post(f"/pledges/{pledge.pk}/decide/", {"action": "approve", "comment": ""})
    assert response.status_code == 302
    assert Pledge.objects.get(pk=pledge.pk).status == Pledge.Status.APPROVED

    from reports.selectors import cell_overview  # the cells' tables: in the reports now

    in_a, in_b = cell_overview(org["cell_a"], pledge.year), cell_overview(org["cell_b"], pledge.year)
    assert (len(in_a.lines), sum(line.pledge is not None for line in in_a.lines)) == (1, 0)
    assert (len(in_b.lines), sum(line.pledge is not None for line in in_b.lines)) == (3, 1)


def test_it_leaves_a_rated_pledge_where_it_was_rated(personas, org, this_year):
    from pledges.models import Pledge

    Pledge.objects.filter(pk=this_year.pk).update(status=Pledge.Status.RATED)
    _move(personas, org)
    assert Pledge.objects.get(pk=this_year.pk).cell == org["cell_a"]


def test_it_leaves_earlier_years_where_they_were(personas, org, submitted):
    from pledges.models import Pledge

    _move(personas, org)
    assert Pledge.objects.get(pk=submitted.pk).cell == org["cell_a"]  # the 2020 pledge


# --- Autosave: the page's own in-flight save is not a conflict --------------------------------


def _save(pledge, member, text, version, token="", seq=0):
    from pledges import services
    from pledges.tests.conftest import fill

    return services.pledge_save_draft(
        pledge=pledge,
        actor=member,
        answers=fill(pledge, [text]),
        expected_version=version,
        client_token=token,
        client_seq=seq,
    )


def test_it_accepts_a_save_one_version_behind_from_the_page_that_made_the_newer_one(pledge, personas):
    from pledges.models import PledgeAnswer

    member, base = personas["member_a"], pledge.version
    _save(pledge, member, "Gõ dở", base, "page-token-1", 1)  # in flight when the page was hidden
    saved = _save(pledge, member, "Gõ dở và chữ cuối", base, "page-token-1", 2)  # the keepalive save
    assert saved.version == base + 2
    assert PledgeAnswer.objects.filter(pledge=pledge).order_by("section__order")[0].text == "Gõ dở và chữ cuối"


def test_it_refuses_a_save_one_version_behind_from_another_page(pledge, personas):
    from pledges import services

    member, base = personas["member_a"], pledge.version
    _save(pledge, member, "Thẻ một", base, "page-token-1", 1)
    with pytest.raises(services.StaleVersion):
        _save(pledge, member, "Thẻ hai", base, "page-token-2", 1)
    with pytest.raises(services.StaleVersion):
        _save(pledge, member, "Không có mã", base)


def test_it_refuses_the_pages_older_save_arriving_after_its_newer_one(pledge, personas):
    from pledges import services
    from pledges.models import PledgeAnswer

    member, base = personas["member_a"], pledge.version
    _save(pledge, member, "Bản mới nhất", base, "page-token-1", 5)
    with pytest.raises(services.StaleVersion):
        _save(pledge, member, "Bản cũ hơn", base, "page-token-1", 4)
    assert PledgeAnswer.objects.filter(pledge=pledge).order_by("section__order")[0].text == "Bản mới nhất"


def test_it_refuses_two_versions_behind_or_after_a_transition(submitted, personas):
    from pledges import services

    member = personas["member_a"]
    services.pledge_return(pledge=submitted, actor=personas["secretary_a"], comment="Viết thêm.")
    with pytest.raises(services.StaleVersion):  # the newer version was the return, not this page's save
        _save(submitted, member, "x", submitted.version, "page-token-1", 9)


def test_it_passes_the_pages_token_from_an_autosave_post(client_as, personas, pledge):
    section = pledge.answers.order_by("section__order")[0].section_id
    client = client_as(personas["member_a"])
    url = f"/pledges/{pledge.pk}/save/"
    base = pledge.version

    def post(text, token, seq):
        data = {"version": base, "autosave": "1", f"answer-{section}": text, "client_token": token, "client_seq": seq}
        return client.post(url, data)

    assert post("Một", "page-token-1", 1).status_code == 200
    response = post("Một hai", "page-token-1", 2)
    assert response.status_code == 200 and response.json()["version"] == base + 2
    assert post("Ba", "page-token-2", 1).status_code == 409
    assert post("Bốn", "bad token!", 3).status_code == 409  # not a token: an ordinary stale save


def test_it_links_the_review_queue_for_the_cells_leaders_only(client_as, personas, template):
    assert b"/pledges/review/" in client_as(personas["secretary_a"]).get("/pledges/").content
    assert b"/pledges/review/" not in client_as(personas["member_a"]).get("/pledges/").content
