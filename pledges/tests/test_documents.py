"""The pledge PDF as a committee files it: the Party-document header with the committee's
place name and the day of submission, and the cell's confirmation filled from the approval."""

import datetime
import io
import unicodedata

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from pledges import services
from pledges.models import Pledge, PledgeEvent, PledgeTemplate


def _text(client, pledge) -> str:
    response = client.get(reverse("pledges:pdf", args=[pledge.pk]))
    assert response.status_code == 200
    reader = PdfReader(io.BytesIO(response.content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return " ".join(unicodedata.normalize("NFC", text).split())


def _fonts_embedded(data: bytes) -> None:
    for page in PdfReader(io.BytesIO(data)).pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            assert "DejaVu" in font["/BaseFont"], font["/BaseFont"]
            assert "/FontFile2" in font["/FontDescriptor"].get_object()


@pytest.fixture
def placed(template, personas):
    return services.template_set_place(actor=personas["officer"], template=template, place="  Quảng   Trị ")


def _day(moment) -> str:
    day = timezone.localtime(moment).date()
    return f"ngày {day:%d} tháng {day:%m} năm {day:%Y}"


def test_the_date_line_is_the_committees_place_and_the_day_of_submission(client_as, personas, placed, submitted):
    # Submitted on one day, approved on another: the paper carries the day it was handed in.
    submitted_at = timezone.now() - datetime.timedelta(days=40)
    Pledge.objects.filter(pk=submitted.pk).update(submitted_at=submitted_at)
    services.pledge_approve(pledge=Pledge.objects.get(pk=submitted.pk), actor=personas["secretary_a"])
    text = _text(client_as(personas["member_a"]), submitted)
    assert f"Quảng Trị, {_day(submitted_at)}" in text
    assert "Đảng ủy Khối, ngày" not in text  # the organisation is not a place
    for part in ("ĐẢNG ỦY KHỐI", "CHI BỘ A", "ĐẢNG CỘNG SẢN VIỆT NAM"):
        assert part in text


def test_an_unknown_place_or_day_prints_dotted_blanks(client_as, personas, pledge):
    text = _text(client_as(personas["member_a"]), pledge)
    assert "……………, ngày ….. tháng ….. năm ……." in text


def test_the_place_may_be_set_after_members_started_but_only_by_those_managing_templates(personas, placed, pledge):
    assert PledgeTemplate.objects.get(pk=placed.pk).place == "Quảng Trị"
    services.template_set_place(actor=personas["officer"], template=placed, place="Triệu Phong")
    assert PledgeTemplate.objects.get(pk=placed.pk).place == "Triệu Phong"
    for name in ("member_a", "secretary_a", "member_b", "outsider"):
        with pytest.raises(PermissionDenied):
            services.template_set_place(actor=personas[name], template=placed, place="Giả")
    assert PledgeTemplate.objects.get(pk=placed.pk).place == "Triệu Phong"


def test_the_admin_changes_the_place_of_a_started_template(client, personas, placed, pledge):
    from conftest import make_user

    admin = make_user("admin", is_superuser=True, is_staff=True)
    client.force_login(admin)
    url = reverse("admin:pledges_pledgetemplate_change", args=[placed.pk])
    page = client.get(url)
    assert page.status_code == 200 and 'name="place"' in page.content.decode()
    response = client.post(url, {"place": "Đông Hà", "sections-TOTAL_FORMS": "0", "sections-INITIAL_FORMS": "0"})
    assert response.status_code == 302, response.content.decode()[:3000]
    assert PledgeTemplate.objects.get(pk=placed.pk).place == "Đông Hà"


def test_the_confirmation_is_filled_from_the_approval(client_as, personas, placed, submitted):
    services.pledge_approve(pledge=submitted, actor=personas["secretary_a"], comment="Bản cam kết **sát thực tế**.")
    event = PledgeEvent.objects.get(pledge=submitted, action="approved")
    assert event.actor_role == "Bí thư chi bộ"
    response = client_as(personas["member_a"]).get(reverse("pledges:pdf", args=[submitted.pk]))
    _fonts_embedded(response.content)
    text = _text(client_as(personas["member_a"]), submitted)
    block = text[text.index("XÁC NHẬN CỦA CHI BỘ") :]
    for part in (
        "NGƯỜI CAM KẾT",
        "Bản cam kết sát thực tế.",
        f"Ngày {_day(event.created_at).removeprefix('ngày ')}",
        "T/M CHI BỘ",
        "BÍ THƯ",
        "Lê Thị Bích",  # the approver, under the space to sign
        "Nguyễn Văn Ấn",  # the member
    ):
        assert part in block, part
    assert "**" not in block


def test_a_deputy_signs_as_deputy(client_as, personas, deputy_a, template, org):
    from pledges.tests.test_views_review import submit_as

    first = submit_as(personas["member_a"], template, org["cell_a"], ["Kiên định lập trường chính trị.", "Học.", ""])
    services.pledge_approve(pledge=first, actor=deputy_a)
    text = _text(client_as(personas["member_a"]), first)
    assert "T/M CHI BỘ" in text and "PHÓ BÍ THƯ" in text and "Phó Bí Thư A" in text


def test_no_confirmation_before_approval_or_after_reopening(client_as, personas, submitted):
    client = client_as(personas["member_a"])
    assert "T/M CHI BỘ" not in _text(client, submitted) and "Lê Thị Bích" not in _text(client, submitted)
    services.pledge_approve(pledge=submitted, actor=personas["secretary_a"], comment="Đạt")
    assert "Lê Thị Bích" in _text(client, submitted)
    services.pledge_reopen(pledge=Pledge.objects.get(pk=submitted.pk), actor=personas["secretary_a"], reason="Sửa")
    text = _text(client, submitted)
    assert "XÁC NHẬN CỦA CHI BỘ" in text and "Lê Thị Bích" not in text and "T/M CHI BỘ" not in text


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


def test_it_prints_the_template_introduction_formatted_too(client_as, personas, pledge, template):
    from core.markup import markdown_to_html

    # Written directly: the service refuses to change a template a member has started.
    template.intro = "Thực hiện **Chỉ thị 05-CT/TW**."
    template.intro_html = markdown_to_html(template.intro)
    template.save()
    flat = " ".join(_pdf_text(client_as(personas["member_a"]).get(reverse("pledges:pdf", args=[pledge.pk]))).split())
    assert "Thực hiện Chỉ thị 05-CT/TW." in flat and "**" not in flat
