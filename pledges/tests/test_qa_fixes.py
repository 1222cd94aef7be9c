"""Defects a QA tester found after the first release, each pinned by a test."""

from django.urls import reverse

from conftest import make_member
from pledges import services
from pledges.models import Pledge
from pledges.tests.test_views_review import BASE, submit_as

S = Pledge.Status


def _pair(personas, template, org):
    x = submit_as(personas["member_a"], template, org["cell_a"], [BASE, "Học tập chuyên đề hằng tháng đầy đủ."])
    twin = make_member("twin_a", org["cell_a"], full_name="Phạm Thị Sinh Đôi")
    y = submit_as(
        twin, template, org["cell_a"], [BASE.replace("hằng ngày", "hàng ngày"), "Học tập chuyên đề hằng tháng đầy đủ."]
    )
    return x, y


def test_it_keeps_warning_the_other_pledge_after_one_of_a_pair_is_returned(client_as, personas, template, org):
    x, y = _pair(personas, template, org)
    services.pledge_return(pledge=x, actor=personas["secretary_a"], comment="Viết lại bằng lời của mình")
    client = client_as(personas["secretary_a"])
    detail = client.get(reverse("pledges:detail", args=[y.pk])).content.decode()
    assert "similar-warning" in detail and reverse("pledges:compare", args=[y.pk, x.pk]) in detail
    queue = client.get(reverse("pledges:queue")).content.decode()
    assert 'class="tag similar"' in queue


def test_it_keeps_warning_after_the_other_pledge_is_approved(client_as, personas, template, org):
    x, y = _pair(personas, template, org)
    services.pledge_approve(pledge=x, actor=personas["secretary_a"])
    detail = client_as(personas["secretary_a"]).get(reverse("pledges:detail", args=[y.pk])).content.decode()
    assert reverse("pledges:compare", args=[y.pk, x.pk]) in detail


def test_it_never_compares_with_a_draft_never_submitted(client_as, personas, template, org):
    x = submit_as(personas["member_a"], template, org["cell_a"], [BASE, "Học tập chuyên đề hằng tháng đầy đủ."])
    twin = make_member("twin_a", org["cell_a"], full_name="Phạm Thị Sinh Đôi")
    draft = services.pledge_start(member=twin, template=template, cell=org["cell_a"])
    from pledges.tests.conftest import fill

    services.pledge_save_draft(
        pledge=draft,
        actor=twin,
        answers=fill(draft, [BASE, "Học tập chuyên đề hằng tháng đầy đủ."]),
        expected_version=1,
    )
    detail = client_as(personas["secretary_a"]).get(reverse("pledges:detail", args=[x.pk])).content.decode()
    assert "similar-warning" not in detail and "Phạm Thị Sinh Đôi" not in detail


def test_it_shows_a_return_without_comment_next_to_the_box_keeping_the_text(client_as, personas, submitted):
    sid = submitted.answers.order_by("section__order").first().section_id
    response = client_as(personas["secretary_a"]).post(
        reverse("pledges:decide", args=[submitted.pk]), {"action": "return", "comment": "   ", f"note-{sid}": ""}
    )
    assert response.status_code == 400
    page = response.content.decode()
    box = page[page.index('class="card review-box"') :]
    # The message sits in the review box, right before the comment box.
    assert 'id="err-comment"' in box and box.index('id="err-comment"') < box.index('name="comment"')
    assert 'id="pledge-error"' not in page
    assert Pledge.objects.get(pk=submitted.pk).status == S.SUBMITTED


def test_it_keeps_the_secretarys_text_when_a_comment_is_too_long(client_as, personas, submitted):
    sid = submitted.answers.order_by("section__order").first().section_id
    response = client_as(personas["secretary_a"]).post(
        reverse("pledges:decide", args=[submitted.pk]),
        {"action": "return", "comment": "Nhận xét chung rõ ràng", f"note-{sid}": "x" * 20001},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Nhận xét chung rõ ràng</textarea>" in page
    assert f'id="err-note-{sid}"' in page and "x" * 20001 in page


def test_it_answers_409_only_when_someone_decided_meanwhile(client_as, personas, submitted):
    services.pledge_approve(pledge=submitted, actor=personas["secretary_a"])
    response = client_as(personas["secretary_a"]).post(
        reverse("pledges:decide", args=[submitted.pk]), {"action": "return", "comment": "Sửa lại"}
    )
    assert response.status_code == 409 and "Sửa lại" in response.content.decode()


def test_it_never_reminds_the_leader_who_sends_it_nor_those_approved(client_as, personas, template, org, approved):
    from notifications.models import Notification

    deputy = make_member("deputy_late", org["cell_a"], role="deputy", full_name="Phó Bí Thư Chậm")
    make_member("late_a", org["cell_a"], full_name="Đinh Văn Chậm")
    client = client_as(deputy)
    client.post(reverse("reports:remind", args=[org["cell_a"].pk]), {"year": 2020, "item": "pledge"})
    reminded = set(Notification.objects.filter(kind="pledge.reminder").values_list("user__username", flat=True))
    assert reminded == {"late_a", "secretary_a"}  # not the deputy who sent it, not member_a (approved)


def test_it_throttles_reminders_in_the_database_and_says_when(client_as, personas, template, org):
    from django.core.cache import cache
    from django.utils import timezone

    from notifications.models import Notification

    make_member("late_a", org["cell_a"], full_name="Đinh Văn Chậm")
    client = client_as(personas["secretary_a"])
    url = reverse("reports:remind", args=[org["cell_a"].pk])
    client.post(url, {"year": 2020, "item": "pledge"})
    assert Notification.objects.filter(kind="pledge.reminder").count() == 2  # member_a and late_a
    cache.clear()  # another process, a restart, a flushed cache: the limit must still hold
    response = client.post(url, {"year": 2020, "item": "pledge"}, follow=True)
    assert Notification.objects.filter(kind="pledge.reminder").count() == 2
    page = response.content.decode()
    again = timezone.localtime(timezone.now() + timezone.timedelta(hours=1)).strftime("%H:%M")
    assert again in page  # the message says when reminders can be sent again


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


def _pdf_text(response) -> str:
    import io

    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)


def test_it_does_not_repeat_the_year_the_title_already_names(client_as, personas, pledge, template):
    client = client_as(personas["member_a"])
    for url in (reverse("pledges:mine"), reverse("pledges:detail", args=[pledge.pk])):
        page = client.get(url).content.decode()
        assert "năm 2020" in page and "năm 2020 — 2020" not in page and "năm 2020 (2020)" not in page
    text = _pdf_text(client.get(reverse("pledges:pdf", args=[pledge.pk])))
    assert "Năm 2020" not in text  # the title line already says NĂM 2020
    template.title = "Bản cam kết tu dưỡng, rèn luyện"
    template.save()
    assert "Bản cam kết tu dưỡng, rèn luyện (2020)" in client.get(reverse("pledges:mine")).content.decode()
    assert "Năm 2020" in _pdf_text(client.get(reverse("pledges:pdf", args=[pledge.pk])))


def test_it_prints_markdown_answers_as_formatted_text_not_raw(client_as, personas, pledge):
    texts = [
        "Giữ vững **lập trường** chính trị, *kiên định* mục tiêu.",
        "- Học tập chuyên đề\n- Tham gia sinh hoạt",
        "",
    ]
    from pledges.tests.conftest import fill

    services.pledge_save_draft(
        pledge=pledge, actor=personas["member_a"], answers=fill(pledge, texts), expected_version=1
    )
    client = client_as(personas["member_a"])
    page = client.get(reverse("pledges:detail", args=[pledge.pk])).content.decode()
    assert "**lập trường**" in page  # in the box, as typed
    response = client.get(reverse("pledges:pdf", args=[pledge.pk]))
    flat = " ".join(_pdf_text(response).split())
    assert "Giữ vững lập trường chính trị, kiên định mục tiêu." in flat and "**" not in flat
    assert "• Học tập chuyên đề" in flat and "- Học tập" not in flat
    assert b"DejaVuSerif-Bold" in response.content  # the bold words are set in the bold face


def test_it_fills_the_place_and_date_line(client_as, personas, pledge, submitted):
    from django.utils import timezone

    client = client_as(personas["member_a"])
    flat = " ".join(_pdf_text(client.get(reverse("pledges:pdf", args=[submitted.pk]))).split())
    day = timezone.localtime(Pledge.objects.get(pk=submitted.pk).submitted_at)
    # No place name set on the template: a blank to fill in, never the organisation's name.
    assert f"……………, ngày {day:%d} tháng {day:%m} năm {day:%Y}" in flat


def test_it_leaves_dotted_blanks_only_for_an_unknown_date(client_as, personas, pledge):
    flat = " ".join(_pdf_text(client_as(personas["member_a"]).get(reverse("pledges:pdf", args=[pledge.pk]))).split())
    assert "……………, ngày ….. tháng ….. năm ……." in flat


def test_it_never_leaves_the_signatures_alone_on_the_last_page(personas, pledge):
    import io

    from pypdf import PdfReader

    from pledges import selectors
    from pledges.pdf import pledge_pdf
    from pledges.tests.conftest import fill

    checked = 0
    for lines in range(26, 46, 2):
        last = "\n\n".join(f"Đoạn {i} của phần kế hoạch, biện pháp thực hiện." for i in range(lines))
        p = Pledge.objects.get(pk=pledge.pk)
        services.pledge_save_draft(
            pledge=p,
            actor=personas["member_a"],
            answers=fill(p, ["Tư tưởng vững vàng.", "Học tập.", last]),
            expected_version=p.version,
        )
        pages = PdfReader(io.BytesIO(pledge_pdf(selectors.pledge_with_answers(Pledge.objects.get(pk=pledge.pk))))).pages
        if len(pages) < 2:
            continue
        checked += 1
        final = pages[-1].extract_text()
        assert "NGƯỜI CAM KẾT" in final and "Đoạn" in final, (lines, final[:200])
    assert checked  # some lengths did run over to a second page


def test_it_answers_an_autosave_with_a_24_hour_time(client_as, personas, pledge):
    import re

    from django.utils import timezone

    sid = pledge.answers.order_by("section__order").first().section_id
    response = client_as(personas["member_a"]).post(
        reverse("pledges:save", args=[pledge.pk]), {"version": 1, f"answer-{sid}": "Đang gõ", "autosave": "1"}
    )
    saved_at = response.json()["saved_at"]
    assert re.fullmatch(r"\d{2}:\d{2}:\d{2}", saved_at)
    assert saved_at[:2] == timezone.localtime().strftime("%H") or saved_at[:2] == "00"  # local, 24-hour


def _forms_without_novalidate(html: str) -> list[str]:
    import re

    forms = re.findall(r"<form\b[^>]*>", html, flags=re.S)
    assert forms
    return [f for f in forms if "novalidate" not in f]


def test_it_lets_the_server_validate_every_form(client_as, personas, template, org, reviewed):
    from pledges.models import PledgeTemplate

    services.template_create(
        actor=personas["officer"], unit=org["committee"], year=2021, title="Cam kết 2021", due_on=template.due_on
    )
    writer = make_member("writer_a", org["cell_a"])
    draft = services.pledge_start(member=writer, template=template, cell=org["cell_a"])
    other = submit_as(make_member("other_a", org["cell_a"]), template, org["cell_a"], [BASE, "Học tập đầy đủ."])
    approved = submit_as(make_member("ok_a", org["cell_a"]), template, org["cell_a"], [BASE + " Khác.", "Học tập."])
    services.pledge_approve(pledge=approved, actor=personas["secretary_a"])
    secretary, officer = personas["secretary_a"], personas["officer"]
    pages = [
        (writer, reverse("pledges:detail", args=[draft.pk])),  # answers
        (secretary, reverse("pledges:detail", args=[other.pk])),  # approve / return
        (secretary, reverse("pledges:detail", args=[reviewed.pk])),  # rate
        (secretary, reverse("pledges:detail", args=[approved.pk])),  # reopen
        (approved.member, reverse("pledges:detail", args=[approved.pk])),  # self-review
        (personas["member_a"], reverse("pledges:mine")),  # start (2021)
        (secretary, reverse("reports:unit", args=[org["cell_a"].pk]) + "?year=2020"),  # remind, year picker
        (officer, reverse("pledges:template_edit", args=[PledgeTemplate.objects.get(year=2021).pk])),
        (officer, reverse("reports:unit", args=[org["committee"].pk])),  # year picker
    ]
    for user, url in pages:
        response = client_as(user).get(url)
        assert response.status_code == 200, url
        assert _forms_without_novalidate(response.content.decode()) == [], url


def test_it_prints_the_template_introduction_formatted_too(client_as, personas, pledge, template):
    from core.markup import markdown_to_html

    # Written directly: the service refuses to change a template a member has started.
    template.intro = "Thực hiện **Chỉ thị 05-CT/TW**."
    template.intro_html = markdown_to_html(template.intro)
    template.save()
    flat = " ".join(_pdf_text(client_as(personas["member_a"]).get(reverse("pledges:pdf", args=[pledge.pk]))).split())
    assert "Thực hiện Chỉ thị 05-CT/TW." in flat and "**" not in flat
