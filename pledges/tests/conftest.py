import datetime

import pytest

from conftest import make_member


@pytest.fixture
def template(personas, org):
    from pledges import services

    return services.template_create(
        actor=personas["officer"],
        unit=org["committee"],
        year=2020,
        title="Bản cam kết tu dưỡng, rèn luyện, phấn đấu năm 2020",
        due_on=datetime.date(2020, 3, 31),
        sections=[
            {"title": "Tư tưởng chính trị", "required": True, "min_length": 10},
            {"title": "Kế hoạch, biện pháp thực hiện", "required": True, "min_length": 0},
            {"title": "Ghi chú", "required": False, "min_length": 0},
        ],
    )


@pytest.fixture
def deputy_a(org):
    return make_member("deputy_a", org["cell_a"], role="deputy", full_name="Phó Bí Thư A")


@pytest.fixture
def secretary_b(org):
    return make_member("secretary_b", org["cell_b"], role="secretary", full_name="Bí Thư B")


def fill(pledge, texts=None):
    """Answers for every section that pass validation."""
    from pledges.models import PledgeAnswer

    ids = list(
        PledgeAnswer.objects.filter(pledge=pledge).order_by("section__order").values_list("section_id", flat=True)
    )
    texts = texts or ["Kiên định chủ nghĩa Mác - Lê-nin, tư tưởng Hồ Chí Minh.", "Học tập mỗi tháng một chuyên đề.", ""]
    return dict(zip(ids, texts, strict=False))


@pytest.fixture
def pledge(template, personas, org):
    from pledges import services

    return services.pledge_start(member=personas["member_a"], template=template, cell=org["cell_a"])


@pytest.fixture
def submitted(pledge, personas):
    from pledges import services

    p = services.pledge_save_draft(
        pledge=pledge, actor=personas["member_a"], answers=fill(pledge), expected_version=pledge.version
    )
    return services.pledge_submit(pledge=p, actor=personas["member_a"], expected_version=p.version)


@pytest.fixture
def approved(submitted, personas):
    from pledges import services

    return services.pledge_approve(pledge=submitted, actor=personas["secretary_a"])


@pytest.fixture
def reviewed(approved, personas):
    from pledges import services

    p = services.pledge_review_save_draft(
        pledge=approved,
        actor=personas["member_a"],
        reviews=fill(approved, ["Đã giữ vững lập trường chính trị.", "Đã học đủ 12 chuyên đề.", ""]),
        proposed_rating="good",
        expected_version=approved.version,
    )
    return services.pledge_review_submit(pledge=p, actor=personas["member_a"], expected_version=p.version)


def close_review(pledge, days_ago=1):
    """Set the pledge's template's year-end review to have closed `days_ago` days ago."""
    from django.utils import timezone

    template = pledge.template
    template.review_closes_on = timezone.localdate() - datetime.timedelta(days=days_ago)
    template.save(update_fields=["review_closes_on"])
    pledge.refresh_from_db()
    return template.review_closes_on
