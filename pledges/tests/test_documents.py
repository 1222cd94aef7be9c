"""The pledge PDF as a committee files it: the Party-document header with the committee's
place name and the day of submission, and the cell's confirmation filled from the approval."""

import datetime
import io
import unicodedata

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from cells.models import OrgUnit
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
def placed(template, org):
    """The province's place name, set in the cells admin (cells.OrgUnit.place): the committee
    of the template and the cell have none, so the pledge prints the province's."""
    OrgUnit.objects.filter(pk=org["province"].pk).update(place="Quảng Trị")
    return template


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


def test_the_place_is_the_nearest_units_up_the_tree_and_a_change_shows_on_the_next_download(
    client_as, org, personas, placed, submitted
):
    OrgUnit.objects.filter(pk=org["committee"].pk).update(place="Đông Hà")  # nearer than the province
    text = _text(client_as(personas["member_a"]), submitted)
    assert f"Đông Hà, {_day(submitted.submitted_at)}" in text and "Quảng Trị" not in text
    OrgUnit.objects.filter(pk=org["cell_a"].pk).update(place="An Lợi")  # the cell's own first
    assert f"An Lợi, {_day(submitted.submitted_at)}" in _text(client_as(personas["member_a"]), submitted)


def test_a_template_has_no_place_of_its_own(client, placed):
    """One place name per unit, in the cells admin: the template's admin no longer asks for one."""
    from conftest import make_user

    assert not any(field.name == "place" for field in PledgeTemplate._meta.get_fields())
    client.force_login(make_user("admin", is_superuser=True, is_staff=True))
    page = client.get(reverse("admin:pledges_pledgetemplate_change", args=[placed.pk]))
    assert page.status_code == 200 and 'name="place"' not in page.content.decode()


def test_the_confirmation_is_filled_from_the_approval(client_as, personas, placed, submitted):
    services.pledge_approve(pledge=submitted, actor=personas["secretary_a"], comment="Bản cam kết **sát thực tế**.")
    event = PledgeEvent.objects.get(pledge=submitted, action="approved")
    assert event.actor_role == "secretary"  # the role's code, never its display text
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


def test_a_deputys_approval_signs_on_behalf_of_the_cell_as_deputy_secretary(client_as, org, personas, submitted):
    """The block is chosen by the role's code (cells.models.Membership.Role), whatever the
    language the approver's pages speak and however the role is labelled."""
    from django.utils import translation

    from conftest import make_member

    deputy = make_member("deputy_a", org["cell_a"], role="deputy", full_name="Võ Thị Thanh Hương")
    with translation.override("en"):
        services.pledge_approve(pledge=submitted, actor=deputy, comment="Đồng ý.")
    assert PledgeEvent.objects.get(pledge=submitted, action="approved").actor_role == "deputy"
    text = _text(client_as(personas["member_a"]), submitted)
    block = text[text.index("XÁC NHẬN CỦA CHI BỘ") :]
    assert block.index("T/M CHI BỘ") < block.index("PHÓ BÍ THƯ") < block.index("Võ Thị Thanh Hương")


def test_the_header_names_the_committee_right_above_the_cell_not_the_forms(client_as, org, personas, submitted):
    """A province's form for every cell under it: the paper is still the cell's, under its own
    committee (Hướng dẫn 36-HD/VPTW), with that committee's place."""
    from pledges.models import PledgeTemplate

    PledgeTemplate.objects.filter(pk=submitted.template_id).update(unit=org["province"])
    OrgUnit.objects.filter(pk=org["committee"].pk).update(place="Đông Hà")
    text = _text(client_as(personas["member_a"]), submitted)
    assert text.index("ĐẢNG ỦY KHỐI") < text.index("CHI BỘ A") and "TỈNH ỦY THỬ NGHIỆM" not in text
    assert f"Đông Hà, {_day(submitted.submitted_at)}" in text
