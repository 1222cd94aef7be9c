"""The pledge templates in the Django admin: no raw HTML, every write through the services."""


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
