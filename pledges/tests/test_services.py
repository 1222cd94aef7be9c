import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError

from notifications.models import Notification
from pledges import services
from pledges.models import Pledge, PledgeEvent, PledgeTemplate
from pledges.tests.conftest import fill

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
    from conftest import make_member
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
