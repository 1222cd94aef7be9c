import pytest
from django.urls import reverse

from pledges.models import PledgeTemplate


def form_data(org, **extra):
    data = {
        "unit": org["committee"].pk,
        "year": 2022,
        "title": "Bản cam kết năm 2022",
        "intro": "",
        "has_year_end_review": "on",
        "due_on": "2022-03-31",
        "sections-TOTAL_FORMS": 3,
        "sections-INITIAL_FORMS": 0,
        "sections-MIN_NUM_FORMS": 0,
        "sections-MAX_NUM_FORMS": 30,
        "sections-0-title": "Tư tưởng chính trị",
        "sections-0-required": "on",
        "sections-0-min_length": 20,
        "sections-1-title": "Kế hoạch, biện pháp thực hiện",
        "sections-1-min_length": 0,
        "sections-2-title": "",
        "sections-2-min_length": 0,
    }
    data.update(extra)
    return data


def test_it_offers_the_six_default_sections_for_a_new_template(client_as, personas):
    page = client_as(personas["officer"]).get(reverse("pledges:template_new")).content.decode()
    assert 'value="Tư tưởng chính trị"' in page and 'value="Kế hoạch, biện pháp thực hiện"' in page


def test_it_creates_and_edits_a_template_until_someone_starts(client_as, personas, org):
    client = client_as(personas["officer"])
    assert client.post(reverse("pledges:template_new"), form_data(org)).status_code == 302
    template = PledgeTemplate.objects.get(year=2022)
    assert list(template.sections.values_list("title", "required", "min_length")) == [
        ("Tư tưởng chính trị", True, 20),
        ("Kế hoạch, biện pháp thực hiện", False, 0),
    ]
    client.post(reverse("pledges:template_edit", args=[template.pk]), form_data(org, title="Sửa tên"))
    template.refresh_from_db()
    assert template.title == "Sửa tên"
    member = client_as(personas["member_a"])
    member.post(reverse("pledges:start"))
    client = client_as(personas["officer"])
    page = client.post(reverse("pledges:template_edit", args=[template.pk]), form_data(org, title="Lần nữa"))
    template.refresh_from_db()
    assert page.status_code == 200 and template.title == "Sửa tên" and template.sections.count() == 2


def test_it_refuses_a_second_template_for_the_same_committee_and_year(client_as, personas, org, template):
    client = client_as(personas["officer"])
    client.post(reverse("pledges:template_new"), form_data(org, year=2020))
    assert PledgeTemplate.objects.filter(year=2020).count() == 1


@pytest.mark.parametrize("persona", ["member_a", "secretary_a", "outsider"])
def test_it_hides_templates_from_non_officers(client_as, personas, template, persona):
    client = client_as(personas[persona])
    assert client.get(reverse("pledges:templates")).status_code == 404
    assert client.get(reverse("pledges:template_new")).status_code == 404
    assert client.post(reverse("pledges:template_edit", args=[template.pk]), {}).status_code == 404


def test_it_hides_other_subtrees_templates_from_an_officer(client_as, personas, org):
    from conftest import make_user
    from pledges import services

    other = services.template_create(
        actor=make_user("root", is_superuser=True),
        unit=org["other_committee"],
        year=2020,
        title="Khác",
        due_on="2020-03-01",
    )
    client = client_as(personas["officer"])
    assert client.get(reverse("pledges:template_edit", args=[other.pk])).status_code == 404
    client.post(reverse("pledges:template_new"), form_data(org, unit=org["other_committee"].pk, year=2023))
    assert not PledgeTemplate.objects.filter(year=2023).exists()
