"""What the overview and the committee report show, their filters, exports and reminders."""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from cells import services as cells_services
from cells.models import Membership
from conftest import make_member
from notifications.models import Notification
from reports import selectors

pytestmark = pytest.mark.django_db


def _cell_url(org, **params) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return reverse("reports:unit", args=[org["cell_a"].pk]) + (f"?{query}" if query else "")


def _body(response) -> str:
    """A response's text, streamed or not."""
    data = b"".join(response.streaming_content) if response.streaming else response.content
    return data.decode("utf-8-sig")


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_cell_overview_rows_columns_and_counts(client_as, personas, org, world):
    leaver = make_member("leaver", org["cell_a"], full_name="Đỗ Văn Rời")
    cells_services.membership_end(actor=None, membership=Membership.objects.get(user=leaver), reason="Chuyển công tác")
    Membership.objects.filter(user=leaver).update(ended_on=datetime.date(2020, 6, 30))
    later = make_member("later", org["cell_a"], full_name="Hồ Văn Sau")  # left after 2020: not in its report
    cells_services.membership_end(actor=None, membership=Membership.objects.get(user=later), reason="Nghỉ hưu")
    response = client_as(personas["secretary_a"]).get(_cell_url(org, year=2020))
    assert response.status_code == 200
    overview = response.context["overview"]
    lines = {line.membership.user.username: line for line in overview.lines}
    assert set(lines) == {"member_a", "secretary_a"}  # active members only
    assert lines["member_a"].themes == [selectors.TOOK_PART]
    assert lines["secretary_a"].themes == [selectors.TOOK_PART]  # the opening paper is a post
    assert overview.themes[0].state == selectors.OPEN and overview.themes[0].took_part == 2
    assert lines["member_a"].modules[0].completed and not lines["secretary_a"].modules[0].completed
    assert overview.modules[0].completed == 1 and overview.modules[0].certificates == 1
    assert lines["member_a"].pledge_state == "submitted" and lines["secretary_a"].pledge_state == "not_started"
    assert overview.pledges_handed_in == 1
    # The form was due 31/03/2020: the secretary, who has not started, is overdue.
    assert (overview.pledges_started, overview.pledges_overdue) == (1, 1)
    assert lines["member_a"].missing == set()
    assert lines["secretary_a"].missing == {overview.modules[0].key, "pledge"}
    assert [m.user.username for m in overview.former] == ["leaver"]  # shown apart
    html = response.content.decode()
    assert "Đỗ Văn Rời" in html and "Nguyễn Văn Ấn" in html
    assert "1 đã bắt đầu" in html and '<span class="tag overdue">1 quá hạn</span>' in html


def test_cell_overview_links_each_handed_in_pledge_and_certificate(client_as, personas, org, world):
    from courses.models import Certificate

    certificate = Certificate.objects.get(user=personas["member_a"], module=world["module"], is_current=True)
    html = client_as(personas["secretary_a"]).get(_cell_url(org, year=2020)).content.decode()
    pledge_url = reverse("pledges:detail", args=[world["pledge"].pk])
    assert f'<a href="{pledge_url}"><span class="pledge-status status-submitted">' in html
    certificate_url = reverse("courses:certificate", args=[certificate.pk])
    assert f'<a href="{certificate_url}">Giấy chứng nhận {certificate.serial}</a>' in html
    rows = html[html.index("<tbody>") : html.index("</tbody>")]
    assert rows.count('<a href="') == 2  # the secretary's own pledge is not started, and no certificate


def test_a_cells_years_are_those_of_what_reaches_it(client_as, personas, org, world):
    """The cell's year selector (read with its overview's themes, modules and pledge forms)
    lists the same years as `years_for`: what is set above the cell, not beside it."""
    import datetime as dt

    from cells.models import CommitteeRole
    from conftest import make_user
    from courses.tests.conftest import build_module
    from forum import services as forum_services
    from pledges import services as pledge_services

    build_module(org["province"], title="Chuyên đề 2019", year=2019)
    build_module(org["province"], title="Chưa công bố 2016", year=2016, publish_from=None)
    theme = {"description": "", "order": 1, "window_start": dt.date(2021, 1, 1), "window_end": dt.date(2021, 6, 30)}
    forum_services.theme_create(actor=personas["officer"], committee=org["committee"], year=2021, title="A", **theme)
    beside = make_user("officer_beside", "Cán Bộ Bên Cạnh")
    CommitteeRole.objects.create(user=beside, unit=org["other_committee"], started_on=dt.date(2020, 1, 1))
    forum_services.theme_create(actor=beside, committee=org["other_committee"], year=2017, title="B", **theme)
    pledge_services.template_create(
        actor=personas["officer"],
        unit=org["committee"],
        year=2018,
        title="Bản cam kết năm 2018",
        due_on=dt.date(2018, 3, 31),
        has_year_end_review=False,
        sections=[{"title": "Tư tưởng chính trị", "required": True, "min_length": 0}],
    )
    response = client_as(personas["secretary_a"]).get(_cell_url(org, year=2021))
    assert response.context["years"] == selectors.years_for(org["cell_a"]) == [2021, 2020, 2019, 2018]
    overview = response.context["overview"]
    assert [c.theme.title for c in overview.themes] == ["A"] and overview.modules == []
    assert overview.pledge_template is None  # the 2018 form is not 2021's


def test_filter_who_still_needs_and_sort(client_as, personas, org, world):
    client = client_as(personas["secretary_a"])
    response = client.get(_cell_url(org, year=2020, need=f"module:{world['module'].pk}"))
    assert [line.membership.user.username for line in response.context["lines"]] == ["secretary_a"]
    response = client.get(_cell_url(org, year=2020, need="pledge", sort="missing"))
    assert [line.membership.user.username for line in response.context["lines"]] == ["secretary_a"]
    response = client.get(_cell_url(org, year=2020, sort="missing"))
    assert [line.membership.user.username for line in response.context["lines"]] == ["secretary_a", "member_a"]


@pytest.mark.parametrize("bad", ["module:abc", "theme:999999", "pledge;drop", "x" * 500, "module:"])
def test_a_malformed_filter_is_ignored_with_a_message(client_as, personas, org, world, bad):
    response = client_as(personas["secretary_a"]).get(_cell_url(org, year=2020, need=bad, sort=bad))
    assert response.status_code == 200
    assert len(response.context["lines"]) == 2
    assert len(_messages(response)) == 2  # one for the filter, one for the sort


@pytest.mark.parametrize("bad", ["abc", "1800", "99999", "-1", "2020.5", "٢٠٢٠"])
def test_a_year_out_of_range_gets_a_clear_message(client_as, personas, org, world, bad):
    for who, unit in (("secretary_a", "cell_a"), ("officer", "committee")):
        response = client_as(personas[who]).get(reverse("reports:unit", args=[org[unit].pk]) + f"?year={bad}")
        assert response.status_code == 200
        assert response.context["year"] == 2020  # the latest year with data
        assert len(_messages(response)) == 1
        assert (
            client_as(personas[who]).get(reverse("reports:unit_csv", args=[org[unit].pk]) + f"?year={bad}").status_code
            == 200
        )


def test_an_officer_sees_states_never_discussion_content(client_as, personas, org, world):
    client = client_as(personas["officer"])
    for url in (
        reverse("reports:unit", args=[org["committee"].pk]) + "?year=2020",
        reverse("reports:unit_csv", args=[org["committee"].pk]) + "?year=2020",
        _cell_url(org, year=2020),
        reverse("reports:unit_csv", args=[org["cell_a"].pk]) + "?year=2020",
    ):
        body = _body(client.get(url))
        assert "BÍ-MẬT" not in body, url
    assert "BÍ-MẬT" not in client_as(personas["secretary_a"]).get(_cell_url(org, year=2020)).content.decode()


def test_committee_report_one_row_per_child_with_totals(client_as, personas, org, world):
    make_member("member_b2", org["cell_b"])
    response = client_as(personas["officer"]).get(reverse("reports:unit", args=[org["committee"].pk]) + "?year=2020")
    report = response.context["report"]
    assert [row.unit.name for row in report.rows] == ["Chi bộ A", "Chi bộ B"]
    a, b = report.rows
    assert (a.cells, a.members, b.members) == (1, 2, 2)
    assert (a.themes[0].held.part, a.themes[0].held.whole, a.themes[0].open) == (0, 1, 1)
    assert a.themes[0].past_deadline == 1 and b.themes[0].past_deadline == 1  # window ended 30/06/2020
    assert (a.modules[0].part, a.modules[0].whole) == (1, 2)
    assert (a.pledges.submitted, a.pledges.approved, b.pledges.submitted) == (1, 0, 0)
    assert (report.total.members, report.total.modules[0].part, report.total.themes[0].past_deadline) == (4, 1, 2)
    html = response.content.decode()
    assert reverse("reports:unit", args=[org["cell_a"].pk]) in html  # drill-down
    assert '<svg class="bar"' in html and "50% (1/2)" in html  # the bar and its text


def test_breadcrumbs_stop_at_the_officers_node(client_as, personas, org, world):
    response = client_as(personas["officer"]).get(_cell_url(org))
    assert [a.pk for a in response.context["ancestors"]] == [org["committee"].pk]
    response = client_as(personas["secretary_a"]).get(_cell_url(org))
    assert response.context["ancestors"] == []


def test_cell_csv_is_excel_safe(client_as, personas, org, world):
    make_member("hostile", org["cell_a"], full_name='=HYPERLINK("http://x")')
    response = client_as(personas["secretary_a"]).get(
        reverse("reports:unit_csv", args=[org["cell_a"].pk]) + "?year=2020"
    )
    assert response["Content-Type"].startswith("text/csv")
    raw = b"".join(response.streaming_content)
    assert raw.startswith("\ufeff".encode())
    text = raw.decode("utf-8-sig")
    assert "'=HYPERLINK" in text and "\n=HYPERLINK" not in text
    assert "Nguyễn Văn Ấn" in text and world["module"].title in text


def test_committee_csv_has_a_row_per_child_and_a_total(client_as, personas, org, world):
    response = client_as(personas["officer"]).get(
        reverse("reports:unit_csv", args=[org["committee"].pk]) + "?year=2020"
    )
    lines = _body(response).strip().splitlines()
    assert len(lines) == 4  # header, A, B, total
    # cells, members; theme held, reached, past; module 1/2; pledges overdue 1 (the secretary),
    # started 1, submitted 1, approved 0, rated 0
    assert lines[1].startswith("Chi bộ A,1,2,0,1,1,1,2,1,1,1,0,0")


def test_remind_everyone_missing_a_module_then_the_throttle(client_as, personas, org, world):
    client = client_as(personas["secretary_a"])
    url = reverse("reports:remind", args=[org["cell_a"].pk])
    make_member("member_a2", org["cell_a"])
    response = client.post(url, {"item": f"module:{world['module'].pk}", "year": "2020"})
    assert response.status_code == 302
    assert set(Notification.objects.filter(kind="courses.reminder").values_list("user__username", flat=True)) == {
        "member_a2"
    }  # not the one who finished, not the secretary who sends it
    response = client.post(url, {"item": f"module:{world['module'].pk}", "year": "2020"}, follow=True)
    assert Notification.objects.filter(kind="courses.reminder").count() == 1
    assert "đã được gửi trong vòng một giờ qua" in response.content.decode()  # the refusal, shown


def test_remind_theme_and_pledge_with_their_throttles(client_as, personas, org, world):
    client = client_as(personas["secretary_a"])
    url = reverse("reports:remind", args=[org["cell_a"].pk])
    make_member("member_a2", org["cell_a"])
    client.post(url, {"item": f"theme:{world['theme'].pk}", "year": "2020"})
    assert list(Notification.objects.filter(kind="forum.reminder").values_list("user__username", flat=True)) == [
        "member_a2"
    ]  # participation_remind reminds every member who has not posted
    client.post(url, {"item": f"theme:{world['theme'].pk}", "year": "2020"})
    assert Notification.objects.filter(kind="forum.reminder").count() == 1  # once an hour
    client.post(url, {"item": "pledge", "year": "2020"})
    client.post(url, {"item": "pledge", "year": "2020"})
    assert list(Notification.objects.filter(kind="pledge.reminder").values_list("user__username", flat=True)) == [
        "member_a2"
    ]


@pytest.mark.parametrize("item", ["", "theme:999999", "module:x", "pledge'", "nothing"])
def test_remind_with_a_bad_item_says_so(client_as, personas, org, world, item):
    response = client_as(personas["secretary_a"]).post(
        reverse("reports:remind", args=[org["cell_a"].pk]), {"item": item, "year": "2020"}, follow=True
    )
    assert response.status_code == 200
    assert not Notification.objects.filter(kind__endswith="reminder").exists()


def test_remind_theme_refused_once_concluded(client_as, personas, org, world):
    from forum import services as forum_services

    forum_services.session_conclude(actor=personas["secretary_a"], topic=world["session"], conclusion="Kết luận")
    client_as(personas["secretary_a"]).post(
        reverse("reports:remind", args=[org["cell_a"].pk]), {"item": f"theme:{world['theme'].pk}", "year": "2020"}
    )
    assert not Notification.objects.filter(kind="forum.reminder").exists()


def test_home_pages(client_as, personas, org, world):
    officer_home = client_as(personas["officer"]).get("/")
    section = next(s for s in officer_home.context["sections"] if s["template"] == "reports/_home_section.html")
    assert section["total"].members == 3 and section["year"] == 2020
    assert reverse("reports:unit", args=[org["committee"].pk]) in officer_home.content.decode()
    secretary_home = client_as(personas["secretary_a"]).get("/").content.decode()
    assert reverse("reports:unit", args=[org["cell_a"].pk]) in secretary_home
    member_home = client_as(personas["member_a"]).get("/").content.decode()
    assert "/reports/" not in member_home


def test_default_year_prefers_this_year_then_the_latest_past_one():
    this_year = datetime.date.today().year
    assert selectors.default_year([]) == this_year
    assert selectors.default_year([2021, 2020]) == 2021
    assert selectors.default_year([this_year + 1, this_year]) == this_year


def test_cell_pdf_for_the_meeting(client_as, personas, org, world):
    url = reverse("reports:unit_pdf", args=[org["cell_a"].pk]) + "?year=2020"
    response = client_as(personas["secretary_a"]).get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF") and "attachment" in response["Content-Disposition"]
    assert client_as(personas["officer"]).get(url).status_code == 200
    assert client_as(personas["member_a"]).get(url).status_code == 403
    for who in ("member_b", "outsider"):
        assert client_as(personas[who]).get(url).status_code == 404
    assert "/accounts/login/" in client_as(None).get(url)["Location"]
    committee = reverse("reports:unit_pdf", args=[org["committee"].pk])
    assert client_as(personas["officer"]).get(committee).status_code == 404  # the cell's overview only


def test_cell_overview_shows_absent_with_a_reason_from_the_roll_call(client_as, personas, org, world):
    from forum import services as forum_services

    excused = make_member("excused", org["cell_a"], full_name="Vũ Thị Phép")
    forum_services.attendance_record(
        actor=personas["secretary_a"], topic=world["session"], entries={excused.pk: ("excused", "Ốm")}
    )
    response = client_as(personas["secretary_a"]).get(_cell_url(org, year=2020))
    lines = {line.membership.user.username: line for line in response.context["overview"].lines}
    assert lines["excused"].themes == [selectors.ABSENT]
    assert response.context["overview"].themes[0].absent == 1
    assert "1 vắng có lý do" in response.content.decode()  # the page speaks Vietnamese
    # Marked present at the roll call without a post: took part.
    forum_services.attendance_record(
        actor=personas["secretary_a"], topic=world["session"], entries={excused.pk: ("present", "")}
    )
    overview = selectors.cell_overview(org["cell_a"], 2020)
    assert [line.themes for line in overview.lines if line.membership.user_id == excused.pk] == [[selectors.TOOK_PART]]


def test_committee_report_counts_monthly_meetings_held(client_as, personas, org, world):
    from forum import services as forum_services

    at = datetime.datetime(2020, 4, 5, 19, 30, tzinfo=datetime.UTC)
    meeting = forum_services.meeting_schedule(
        actor=personas["secretary_a"], cell=org["cell_a"], title="Tháng 4", meeting_at=at
    )
    forum_services.meeting_schedule(actor=personas["secretary_a"], cell=org["cell_a"], title="Tháng 5", meeting_at=at)
    url = reverse("reports:unit", args=[org["committee"].pk]) + "?year=2020"

    def held() -> dict:
        report = client_as(personas["officer"]).get(url).context
        rows = selectors.committee_report(org["committee"], 2020).rows
        assert report is not None
        return {row.unit.name: row.meetings for row in rows}

    assert held() == {"Chi bộ A": 0, "Chi bộ B": 0}  # scheduled is not held
    forum_services.session_conclude(actor=personas["secretary_a"], topic=meeting, conclusion="Kết luận")
    assert held() == {"Chi bộ A": 1, "Chi bộ B": 0}
    assert selectors.committee_report(org["province"], 2020).total.meetings == 1
    assert selectors.committee_report(org["province"], 2021).total.meetings == 0
    forum_services.meeting_update(actor=personas["secretary_a"], topic=meeting, meeting_at=at.replace(year=2021))
    assert selectors.committee_report(org["province"], 2020).total.meetings == 0
    assert selectors.committee_report(org["province"], 2021).total.meetings == 1


def test_recount_reports_rebuilds_lost_counters(org, personas, world):
    from django.core.management import call_command

    from cells.models import MemberTally
    from courses.models import ModuleTally
    from forum.models import SessionTally
    from pledges.models import PledgeTally

    def figures():
        report = selectors.committee_report(org["province"], 2020)
        return [(r.members, r.themes, r.modules, r.pledges) for r in [*report.rows, report.total]]

    kept = figures()
    assert kept[-1][0] == 3
    for model in (MemberTally, SessionTally, ModuleTally, PledgeTally):
        model.objects.all().delete()  # as after restoring the raw rows alone
    assert figures() != kept
    call_command("recount_reports", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert figures() == kept


def test_committee_pages_its_children_and_keeps_the_totals_of_the_whole_node(
    client_as, personas, org, world, monkeypatch
):
    from reports import tables

    monkeypatch.setattr(tables, "PAGE_SIZE", 1)
    client = client_as(personas["officer"])
    url = reverse("reports:unit", args=[org["committee"].pk]) + "?year=2020"
    first = client.get(url)
    html = first.content.decode()
    assert first.context["page"].count == 2
    assert ">Chi bộ A</a>" in html and ">Chi bộ B</a>" not in html
    assert "page=2" in html and "Đơn vị 1–1 trong 2 (trang 1/2)" in html
    second = client.get(url + "&page=2").content.decode()
    assert ">Chi bộ B</a>" in second and ">Chi bộ A</a>" not in second
    for body in (html, second):  # the totals row: every member below the committee
        tfoot = body[body.index("<tfoot>") : body.index("</tfoot>")]
        assert '<td class="num">2</td><td class="num">3</td>' in tfoot
    past_the_end = client.get(url + "&page=99")
    assert past_the_end.status_code == 200 and past_the_end.context["page"].number == 2


@pytest.mark.parametrize("bad", ["abc", "0", "-1", "1.5", "٢", "9" * 30, "1e3"])
def test_a_bad_page_number_shows_the_first_page_with_a_message(client_as, personas, org, world, bad):
    response = client_as(personas["officer"]).get(
        reverse("reports:unit", args=[org["committee"].pk]) + f"?year=2020&page={bad}"
    )
    assert response.status_code == 200
    assert response.context["page"].number == 1
    assert "Số trang không hợp lệ" in " ".join(_messages(response))


def test_committee_report_shows_pledges_started_and_overdue_against_each_cells_form(
    client_as, personas, org, world, monkeypatch
):
    """The old pledge tracking page's "started" and "overdue", per child: started from the
    counters; overdue = members whose form (the nearest above their cell) is past its due date
    and who have handed nothing in (a draft or a returned pledge is not handed in)."""
    from accounts.models import User
    from conftest import make_user
    from pledges import selectors as pledges_selectors
    from pledges import services as pledge_services
    from pledges.tests.conftest import fill

    admin = make_user("root", is_superuser=True, is_staff=True)
    make_member("member_c", org["cell_c"])
    make_member("member_c2", org["cell_c"])
    # The province's own form, due later than the committee's: cell C follows it.
    province_form = pledge_services.template_create(
        actor=admin,
        unit=org["province"],
        year=2020,
        title="Bản cam kết của tỉnh",
        due_on=datetime.date(2020, 9, 30),
        has_year_end_review=False,
        sections=[{"title": "Tư tưởng", "required": True, "min_length": 0}],
    )
    member_c = User.objects.get(username="member_c")
    draft = pledge_services.pledge_start(member=member_c, template=province_form, cell=org["cell_c"])
    pledge_services.pledge_save_draft(pledge=draft, actor=member_c, answers=fill(draft, ["Nháp"]), expected_version=1)

    def rows(today):
        monkeypatch.setattr(selectors.timezone, "localdate", lambda: today)
        report = selectors.committee_report(org["province"], 2020)
        return [(row.pledges.started, row.pledges.overdue) for row in report.rows], report.total.pledges.overdue

    # Before any due date: started counts the draft and member_a's submitted pledge; no one is overdue.
    assert rows(datetime.date(2020, 3, 1)) == ([(1, 0), (1, 0)], 0)
    # The committee's form is past due (31/03): A's secretary and B's member; C's form is not.
    assert rows(datetime.date(2020, 4, 1)) == ([(1, 2), (1, 0)], 2)
    # Both past due: C's two members, the draft not being handed in.
    assert rows(datetime.date(2020, 10, 1)) == ([(1, 2), (1, 2)], 4)
    # The same figure as the cell overview's per-member "overdue".
    assert sum(line.pledge_overdue for line in selectors.cell_overview(org["cell_c"], 2020).lines) == 2
    assert {"not_started", "draft", "returned"} == pledges_selectors.BEHIND
    # Shown in the committee's table, with the started share.
    monkeypatch.undo()
    page = client_as(admin).get(reverse("reports:unit", args=[org["province"].pk]) + "?year=2020").content.decode()
    assert "Quá hạn" in page and "Đã bắt đầu" in page
    assert '<span class="tag overdue">2</span>' in page and "50% (1/2)" in page
