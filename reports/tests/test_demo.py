import io

import pytest
from django.core.management import call_command

from cells.models import OrgUnit
from reports.tests.test_recount import _recount_committee, _reported

pytestmark = pytest.mark.django_db


def test_seed_demo_leaves_the_counters_equal_to_a_recount():
    """The demo writes its rows around the services; reports/demo.py (run last) recounts."""
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())  # run again: nothing counted twice
    for unit in OrgUnit.objects.filter(kind="committee"):
        for year in (2020, 2026):
            assert _reported(unit, year) == _recount_committee(unit, year), (unit.name, year)
