import datetime

import pytest
from django.core.management import CommandError, call_command

from cells.models import Membership, OrgUnit
from conftest import make_user
from courses.models import ModuleProgress
from forum import services as forum_services
from forum.models import Topic
from pledges import services as pledge_services
from pledges.models import Pledge
from reports.tests.test_recount import _recount_committee, _reported

pytestmark = pytest.mark.django_db


def test_seed_scale_adds_cells_spread_over_committees_with_activity():
    with pytest.raises(CommandError):
        call_command("seed_scale", cells=3, members_per_cell=2)  # no demo province yet
    province = OrgUnit.objects.add_root({"name": "Tỉnh ủy Quảng Trị", "kind": "committee", "code": "QT"})
    admin = make_user("admin", is_superuser=True)
    forum_services.theme_create(
        actor=admin, committee=province, year=2020, title="Chủ đề", description="", order=1,
        window_start=None, window_end=datetime.date(2020, 6, 30),
    )  # fmt: skip
    pledge_services.template_create(
        actor=admin, unit=province, year=2020, title="Cam kết", due_on=datetime.date(2020, 3, 31), sections=[]
    )
    call_command("seed_scale", cells=24, members_per_cell=5)
    province.refresh_from_db()
    assert OrgUnit.objects.filter(depth=2).count() == 10
    assert OrgUnit.objects.filter(kind="cell").count() == 24
    assert Membership.objects.filter(ended_on__isnull=True).count() == 120
    assert Membership.objects.filter(role="secretary").count() == 24
    assert ModuleProgress.objects.exists() and Pledge.objects.exists() and Topic.objects.exists()
    assert Topic.objects.filter(kind="meeting", state="concluded").exists()
    assert _reported(province, 2020) == _recount_committee(province, 2020)

    assert OrgUnit.objects.find_problems() == ([], [], [], [], [])  # treebeard checks paths and child counts
