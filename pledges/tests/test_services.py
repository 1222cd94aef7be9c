import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection
from django.db.models import Count

from conftest import make_member
from notifications.models import Notification
from pledges import services
from pledges.models import Pledge, PledgeEvent, PledgeTemplate
from pledges.tests.conftest import close_review, fill

S = Pledge.Status


def actions(pledge):
    return list(PledgeEvent.objects.filter(pledge=pledge).values_list("action", flat=True))


def test_it_starts_one_draft_per_member_and_year(pledge, template, personas, org):
    again = services.pledge_start(member=personas["member_a"], template=template, cell=org["cell_a"])
    assert again.pk == pledge.pk
    assert pledge.status == S.DRAFT and pledge.answers.count() == 3
    assert actions(pledge) == ["started"]
    with pytest.raises(IntegrityError):
        Pledge.objects.create(template=template, member=personas["member_a"], cell=org["cell_a"], year=2020)


def test_it_refuses_to_start_in_a_cell_one_is_not_in(template, personas, org):
    with pytest.raises(PermissionDenied):
        services.pledge_start(member=personas["member_b"], template=template, cell=org["cell_a"])


def test_it_runs_the_whole_cycle_with_an_event_for_every_step(pledge, personas):
    member, secretary = personas["member_a"], personas["secretary_a"]
    p = services.pledge_save_draft(pledge=pledge, actor=member, answers=fill(pledge), expected_version=1)
    assert p.version == 2 and p.fingerprint
    p = services.pledge_submit(pledge=p, actor=member, expected_version=2)
    assert p.status == S.SUBMITTED
    p = services.pledge_return(pledge=p, actor=secretary, comment="Cụ thể hơn", section_comments={})
    assert p.status == S.RETURNED
    p = services.pledge_submit(pledge=p, actor=member, expected_version=p.version)
    p = services.pledge_approve(pledge=p, actor=secretary)
    assert p.status == S.APPROVED and p.approved_at
    p = services.pledge_reopen(pledge=p, actor=secretary, reason="Bổ sung kế hoạch")
    assert p.status == S.RETURNED
    p = services.pledge_submit(pledge=p, actor=member, expected_version=p.version)
    p = services.pledge_approve(pledge=p, actor=secretary)
    p = services.pledge_review_save_draft(
        pledge=p, actor=member, reviews=fill(p), proposed_rating="excellent", expected_version=p.version
    )
    p = services.pledge_review_submit(pledge=p, actor=member, expected_version=p.version)
    assert p.status == S.REVIEWED
    p = services.pledge_rate(pledge=p, actor=secretary, rating="good", comment="Tốt")
    assert p.status == S.RATED and p.rating == "good"
    assert actions(p) == [
        "started", "submitted", "returned", "resubmitted", "approved", "reopened", "resubmitted", "approved",
        "reviewed", "rated",
    ]  # fmt: skip


def test_it_lets_the_deputy_review_but_not_reopen(submitted, deputy_a):
    p = services.pledge_approve(pledge=submitted, actor=deputy_a)
    assert p.status == S.APPROVED
    with pytest.raises(PermissionDenied):
        services.pledge_reopen(pledge=p, actor=deputy_a, reason="x")


def test_it_keeps_section_comments_on_return(submitted, personas):
    sid = submitted.answers.order_by("section__order").first().section_id
    p = services.pledge_return(
        pledge=submitted, actor=personas["secretary_a"], comment="", section_comments={sid: "Thiếu *ví dụ*"}
    )
    event = p.events.last()
    assert event.section_comments[0]["text"] == "Thiếu *ví dụ*"
    assert "<em>ví dụ</em>" in event.section_comments[0]["html"]


@pytest.mark.parametrize("field", ["draft", "submit"])
def test_it_refuses_editing_an_approved_pledge(approved, personas, field):
    with pytest.raises(services.PledgeRefused):
        if field == "draft":
            services.pledge_save_draft(
                pledge=approved, actor=personas["member_a"], answers=fill(approved), expected_version=approved.version
            )
        else:
            services.pledge_submit(pledge=approved, actor=personas["member_a"], expected_version=approved.version)
    assert Pledge.objects.get(pk=approved.pk).status == S.APPROVED


def test_it_refuses_a_member_approving_their_own_pledge(submitted, personas):
    with pytest.raises(PermissionDenied):
        services.pledge_approve(pledge=submitted, actor=personas["member_a"])


def test_it_refuses_the_secretary_approving_their_own_pledge(template, personas, org, deputy_a):
    secretary = personas["secretary_a"]
    p = services.pledge_start(member=secretary, template=template, cell=org["cell_a"])
    p = services.pledge_save_draft(pledge=p, actor=secretary, answers=fill(p), expected_version=p.version)
    p = services.pledge_submit(pledge=p, actor=secretary, expected_version=p.version)
    with pytest.raises(PermissionDenied):
        services.pledge_approve(pledge=p, actor=secretary)
    assert services.pledge_approve(pledge=p, actor=deputy_a).status == S.APPROVED


@pytest.mark.parametrize("who", ["secretary_b", "officer", "member_b"])
def test_it_refuses_anyone_outside_the_cell_reviewing(submitted, personas, secretary_b, who):
    actor = secretary_b if who == "secretary_b" else personas[who]
    for call in (
        lambda: services.pledge_approve(pledge=submitted, actor=actor),
        lambda: services.pledge_return(pledge=submitted, actor=actor, comment="x"),
        lambda: services.pledge_rate(pledge=submitted, actor=actor, rating="good"),
        lambda: services.pledge_reopen(pledge=submitted, actor=actor, reason="x"),
    ):
        with pytest.raises(PermissionDenied):
            call()
    assert Pledge.objects.get(pk=submitted.pk).status == S.SUBMITTED


def test_it_refuses_editing_by_anyone_but_the_member(pledge, personas):
    with pytest.raises(PermissionDenied):
        services.pledge_save_draft(pledge=pledge, actor=personas["secretary_a"], answers={}, expected_version=1)


def test_it_refuses_skipping_submission(pledge, personas):
    secretary = personas["secretary_a"]
    with pytest.raises(services.PledgeRefused):
        services.pledge_approve(pledge=pledge, actor=secretary)
    with pytest.raises(services.PledgeRefused):
        services.pledge_return(pledge=pledge, actor=secretary, comment="x")
    with pytest.raises(services.PledgeRefused):
        services.pledge_rate(pledge=pledge, actor=secretary, rating="good")
    with pytest.raises(services.PledgeRefused):
        services.pledge_review_submit(pledge=pledge, actor=personas["member_a"], expected_version=pledge.version)
    assert Pledge.objects.get(pk=pledge.pk).status == S.DRAFT and actions(pledge) == ["started"]


def test_it_refuses_other_forbidden_transitions(submitted, approved, personas):
    secretary, member = personas["secretary_a"], personas["member_a"]
    with pytest.raises(services.PledgeRefused):
        services.pledge_approve(pledge=approved, actor=secretary)  # twice
    with pytest.raises(services.PledgeRefused):
        services.pledge_return(pledge=approved, actor=secretary, comment="x")  # reopen is the way
    with pytest.raises(services.PledgeRefused):
        services.pledge_rate(pledge=approved, actor=secretary, rating="good")  # before the self-review
    with pytest.raises(services.PledgeRefused):
        services.pledge_reopen(pledge=approved, actor=secretary, reason="  ")  # no reason
    with pytest.raises(services.PledgeRefused):
        services.pledge_review_submit(pledge=approved, actor=member, expected_version=approved.version)  # empty


def test_it_refuses_changes_after_rating(reviewed, personas):
    p = services.pledge_rate(pledge=reviewed, actor=personas["secretary_a"], rating="done")
    for call in (
        lambda: services.pledge_rate(pledge=p, actor=personas["secretary_a"], rating="good"),
        lambda: services.pledge_reopen(pledge=p, actor=personas["secretary_a"], reason="x"),
        lambda: services.pledge_review_save_draft(
            pledge=p, actor=personas["member_a"], reviews={}, proposed_rating="", expected_version=p.version
        ),
        lambda: services.pledge_save_draft(
            pledge=p, actor=personas["member_a"], answers={}, expected_version=p.version
        ),
    ):
        with pytest.raises(services.PledgeRefused):
            call()
    assert Pledge.objects.get(pk=p.pk).rating == "done"


def test_it_refuses_an_unknown_rating(reviewed, personas):
    with pytest.raises(services.PledgeRefused):
        services.pledge_rate(pledge=reviewed, actor=personas["secretary_a"], rating="great")


def test_it_refuses_a_stale_save_and_keeps_the_stored_text(pledge, personas):
    member = personas["member_a"]
    tab1 = services.pledge_save_draft(
        pledge=pledge, actor=member, answers=fill(pledge, ["Tab một viết"]), expected_version=1
    )
    with pytest.raises(services.StaleVersion):
        services.pledge_save_draft(
            pledge=pledge, actor=member, answers=fill(pledge, ["Tab hai viết"]), expected_version=1
        )
    assert tab1.answers.order_by("section__order").first().text == "Tab một viết"


def test_it_checks_required_sections_and_minimum_lengths(pledge, personas):
    member = personas["member_a"]
    p = services.pledge_save_draft(
        pledge=pledge, actor=member, answers=fill(pledge, ["ngắn", "", ""]), expected_version=1
    )
    with pytest.raises(services.PledgeIncomplete) as info:
        services.pledge_submit(pledge=p, actor=member, expected_version=p.version)
    ids = list(p.answers.order_by("section__order").values_list("section_id", flat=True))
    assert set(info.value.errors) == {ids[0], ids[1]}
    assert p.answers.get(section_id=ids[0]).text == "ngắn"  # the draft stays


def test_it_notifies_the_secretary_on_submit_and_the_member_on_decisions(submitted, personas, deputy_a):
    assert Notification.objects.filter(user=personas["secretary_a"], kind="pledge.submitted").count() == 1
    assert not Notification.objects.filter(user=personas["member_a"], kind="pledge.submitted").exists()
    services.pledge_return(pledge=submitted, actor=personas["secretary_a"], comment="Sửa")
    assert Notification.objects.filter(user=personas["member_a"], kind="pledge.returned").count() == 1


def test_it_refuses_to_change_a_template_members_have_started(template, personas, pledge):
    with pytest.raises(services.PledgeRefused):
        services.template_update(actor=personas["officer"], template=template, title="Mới")
    assert PledgeTemplate.objects.get(pk=template.pk).title != "Mới"


def test_it_changes_a_template_nobody_started_and_gives_default_sections(personas, org):
    t = services.template_create(
        actor=personas["officer"], unit=org["committee"], year=2021, title="T", due_on=datetime.date(2021, 3, 1)
    )
    assert t.sections.first().title == "Tư tưởng chính trị" and t.sections.count() == 6
    services.template_update(actor=personas["officer"], template=t, title="T2", sections=[{"title": "Một"}])
    t.refresh_from_db()
    assert t.title == "T2" and list(t.sections.values_list("title", flat=True)) == ["Một"]


def test_it_refuses_templates_from_non_officers(personas, org):
    with pytest.raises(PermissionDenied):
        services.template_create(
            actor=personas["secretary_a"], unit=org["committee"], year=2021, title="T", due_on=datetime.date(2021, 3, 1)
        )
    with pytest.raises(PermissionDenied):
        services.template_create(
            actor=personas["officer"],
            unit=org["other_committee"],
            year=2021,
            title="T",
            due_on=datetime.date(2021, 3, 1),
        )


def test_it_refuses_the_self_review_before_its_window(approved, personas):
    approved.template.review_opens_on = datetime.date(2999, 1, 1)
    approved.template.save()
    with pytest.raises(services.PledgeRefused):
        services.pledge_review_save_draft(
            pledge=approved,
            actor=personas["member_a"],
            reviews={},
            proposed_rating="",
            expected_version=approved.version,
        )


def test_it_rates_straight_after_approval_when_the_template_has_no_year_end_review(approved, personas):
    approved.template.has_year_end_review = False
    approved.template.save()
    with pytest.raises(services.PledgeRefused):
        services.pledge_review_save_draft(
            pledge=approved,
            actor=personas["member_a"],
            reviews={},
            proposed_rating="good",
            expected_version=approved.version,
        )
    p = services.pledge_rate(pledge=approved, actor=personas["secretary_a"], rating="good")
    assert p.status == S.RATED and actions(p)[-1] == "rated"


def test_it_emails_and_pushes_the_decision_to_the_member(
    submitted, personas, mailoutbox, django_capture_on_commit_callbacks, monkeypatch
):
    sent = []
    monkeypatch.setattr("core.events.send_now", lambda group, event: sent.append((group, event)))
    with django_capture_on_commit_callbacks(execute=True):
        services.pledge_approve(pledge=submitted, actor=personas["secretary_a"])
    assert [m.to for m in mailoutbox] == [[personas["member_a"].email]]
    assert "phê duyệt" in mailoutbox[0].subject
    assert any(e["type"] == "notification.created" and g.endswith(f".{personas['member_a'].pk}") for g, e in sent)


def test_the_reminder_service_chooses_whom_to_remind(template, personas, org, submitted):
    """The service, not the view, picks the recipients: the cell's active members whose pledge
    is behind (not started, draft, returned), never the sender, never another cell's."""
    from core.reminders import RemindTooSoon

    make_member("late_a", org["cell_a"], full_name="Đinh Văn Chậm")
    make_member("late_b", org["cell_b"], full_name="Ngô Văn Khác")
    count = services.pledges_remind(actor=personas["secretary_a"], cell=org["cell_a"], template=template)
    reminded = set(Notification.objects.filter(kind="pledge.reminder").values_list("user__username", flat=True))
    assert count == 1 and reminded == {"late_a"}  # member_a has submitted; the secretary sent it
    with pytest.raises(RemindTooSoon):
        services.pledges_remind(actor=personas["secretary_a"], cell=org["cell_a"], template=template)


def test_a_refusal_is_a_validation_error_with_the_message_for_the_user(pledge, personas):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        services.pledge_approve(pledge=pledge, actor=personas["secretary_a"])  # a draft
    assert refused.value.messages == [refused.value.message]


def test_it_notifies_both_leaders_but_never_the_member_on_submit_and_self_review(deputy_a, reviewed):
    from notifications.models import Notification

    for kind in ("pledge.submitted", "pledge.reviewed"):
        notified = set(Notification.objects.filter(kind=kind).values_list("user__username", flat=True))
        assert notified == {"secretary_a", "deputy_a"}, kind


def test_it_finds_the_template_through_the_shared_ancestor_paths(template, org):
    from pledges import permissions, selectors

    assert permissions.ancestor_paths(org["cell_a"].path)[-2:] == [org["committee"].path, org["cell_a"].path]
    assert selectors.template_for_cell(org["cell_a"], 2020) == template
    assert selectors.template_for_cell(org["cell_c"], 2020) is None
    assert selectors.years_for_unit(org["cell_a"]) == [2020]


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


def test_it_refuses_self_review_writes_after_the_review_closes(approved, personas):
    from pledges import services

    closed = close_review(approved)
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

    close_review(approved, days_ago=0)
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

    # The cells' pledge tables are the reports' now: who started one, per cell.
    started = dict(
        Pledge.objects.filter(year=pledge.year)
        .values_list("cell_id")
        .annotate(n=Count("id"))
        .values_list("cell_id", "n")
    )
    assert (started.get(org["cell_a"].pk, 0), started.get(org["cell_b"].pk, 0)) == (0, 1)


def test_it_leaves_a_rated_pledge_where_it_was_rated(personas, org, this_year):
    from pledges.models import Pledge

    Pledge.objects.filter(pk=this_year.pk).update(status=Pledge.Status.RATED)
    _move(personas, org)
    assert Pledge.objects.get(pk=this_year.pk).cell == org["cell_a"]


def test_it_leaves_earlier_years_where_they_were(personas, org, submitted):
    from pledges.models import Pledge

    _move(personas, org)
    assert Pledge.objects.get(pk=submitted.pk).cell == org["cell_a"]  # the 2020 pledge


def test_it_notifies_the_member_in_their_own_language(personas, submitted, template, org):
    from django.utils import translation

    from notifications.models import Notification

    member = personas["member_a"]
    member.language = "en"
    member.save(update_fields=["language"])
    with translation.override("vi"):  # the secretary works in Vietnamese
        services.pledge_return(pledge=submitted, actor=personas["secretary_a"], comment="Sửa lại")
    returned = Notification.objects.get(user=member, kind="pledge.returned")
    assert returned.message == "Your 2020 pledge was returned for revision."
    member.language = "vi"
    member.save(update_fields=["language"])
    with translation.override("en"):
        p = services.pledge_save_draft(
            pledge=submitted, actor=member, answers={}, expected_version=Pledge.objects.get(pk=submitted.pk).version
        )
        p = services.pledge_submit(pledge=p, actor=member, expected_version=p.version)
        services.pledge_approve(pledge=p, actor=personas["secretary_a"])
    approved = Notification.objects.get(user=member, kind="pledge.approved")
    assert approved.message != "Your 2020 pledge was approved." and "2020" in approved.message


def test_it_names_the_rating_in_the_members_language(personas, reviewed):
    from django.utils import translation

    from notifications.models import Notification

    member = personas["member_a"]
    member.language = "en"
    member.save(update_fields=["language"])
    with translation.override("vi"):
        services.pledge_rate(pledge=reviewed, actor=personas["secretary_a"], rating="good")
    assert Notification.objects.get(user=member, kind="pledge.rated").message == (
        "Your 2020 rating: Completed duties well."
    )


def _at_once(*calls):
    """Run the calls together from threads, each on its own database connection; return what
    each returned or raised."""
    import threading

    from django.db import connections

    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        except Exception as exc:  # what the caller asserts on
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


needs_concurrent_writers = pytest.mark.skipif(
    connection.vendor == "sqlite", reason="needs a database that allows concurrent writers"
)


@needs_concurrent_writers
@pytest.mark.django_db(transaction=True)
def test_concurrent_templates_for_one_committee_and_year_make_one_and_refuse_the_rest(personas, org):
    """Both checks may run before either insert commits: the constraint then keeps one and the
    other officer gets the refusal, never a 500."""

    def create():
        return services.template_create(
            actor=personas["officer"],
            unit=org["committee"],
            year=2031,
            title="Cam kết",
            due_on=datetime.date(2031, 3, 31),
        )

    results = _at_once(*[create] * 5)
    assert PledgeTemplate.objects.filter(unit=org["committee"], year=2031).count() == 1
    assert sum(isinstance(r, PledgeTemplate) for r in results) == 1
    assert all(isinstance(r, (PledgeTemplate, services.PledgeRefused)) for r in results), results


@needs_concurrent_writers
@pytest.mark.django_db(transaction=True)
def test_a_template_edited_while_members_start_never_changes_the_form_under_them(personas, org):
    """pledge_start and template_update race: either the edit is refused (someone started) or
    it came first and every pledge has the new sections; never answers to sections that are gone."""
    from pledges.models import PledgeAnswer

    for round_ in range(4):
        year = 2040 + round_
        template = services.template_create(
            actor=personas["officer"],
            unit=org["committee"],
            year=year,
            title="Cam kết",
            due_on=datetime.date(year, 3, 31),
            sections=[{"title": "Cũ", "required": False, "min_length": 0}],
        )
        members = [make_member(f"starter_{round_}_{i}", org["cell_a"]) for i in range(3)]
        starts = [
            (lambda m=m, t=template: services.pledge_start(member=m, template=t, cell=org["cell_a"])) for m in members
        ]

        def edit(template=template):
            return services.template_update(
                actor=personas["officer"],
                template=template,
                sections=[{"title": "Mới", "required": False, "min_length": 0}],
            )

        results = _at_once(edit, *starts)
        assert all(not isinstance(r, Exception) or isinstance(r, services.PledgeRefused) for r in results), results
        current = set(template.sections.values_list("pk", flat=True))
        for pledge in Pledge.objects.filter(template=template):
            answered = set(PledgeAnswer.objects.filter(pledge=pledge).values_list("section_id", flat=True))
            assert answered == current, (round_, results)


def test_the_rating_notification_follows_the_reader_when_they_switch_language(personas, reviewed):
    from django.utils import translation

    from notifications.models import Notification

    member = personas["member_a"]
    with translation.override("en"):
        services.pledge_rate(pledge=reviewed, actor=personas["secretary_a"], rating="good")
    note = Notification.objects.get(user=member, kind="pledge.rated")  # read back from JSON
    assert note.message == "Xếp loại năm 2020 của đồng chí: Hoàn thành tốt nhiệm vụ."  # sent in Vietnamese
    with translation.override("en"):  # the member later reads in English
        assert note.text == "Your 2020 rating: Completed duties well."
