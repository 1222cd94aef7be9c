"""A unit moved in the tree (a cell, or a committee with what is under it) keeps every report
right at once: the counters of the old and new ancestors and of the moved units follow the
move in its transaction (cells.services.unit_move, cells.tally.move)."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from cells import services as cells_services
from cells.models import Membership, MemberTally, OrgUnit, UnitEvent
from courses.models import ModuleTally
from courses.tests.conftest import complete
from forum import services as forum_services
from forum.models import MeetingTally, SessionTally
from pledges import services as pledge_services
from pledges.models import Pledge, PledgeTally
from pledges.tests.conftest import fill
from reports import selectors
from reports.services import recount_all
from reports.tests.test_recount import _recount_committee, _reported, _setup

pytestmark = pytest.mark.django_db

TALLIES = (MemberTally, SessionTally, MeetingTally, ModuleTally, PledgeTally)


def _counters() -> dict:
    """Every counter row, by model, unit and key (zeros left out)."""
    out = {}
    for model in TALLIES:
        names = [f.attname for f in model._meta.concrete_fields if f.attname not in ("id", "unit_id")]
        for row in model.objects.values("unit_id", *names):
            values = tuple(row[n] for n in names)
            key = (model.__name__, row["unit_id"], *(v for n, v in row.items() if n.endswith("_id") or n == "year"))
            counts = tuple(v for n, v in row.items() if not (n.endswith("_id") or n == "year"))
            if any(counts):
                out[key] = values
    return out


def _assert_reports_right() -> None:
    for unit in OrgUnit.objects.filter(kind="committee"):
        for year in (2020, 2021):
            assert _reported(unit, year) == _recount_committee(unit, year), (unit.name, year)
    # And the counters the move left are exactly what a rebuild from the raw rows writes.
    kept = _counters()
    recount_all()
    assert _counters() == kept


def _activity(org, admin, themes, modules, template) -> None:
    """Something in every figure group, in every cell."""
    for index, cell in enumerate([org["cell_a"], org["cell_b"], org["cell_c"]]):
        members = list(Membership.objects.filter(cell=cell, ended_on__isnull=True).select_related("user"))
        secretary = next(m.user for m in members if m.role == "secretary")
        theme = themes[1] if cell.path.startswith(themes[1].committee.path) else themes[0]
        topic = forum_services.session_open(actor=secretary, cell=cell, theme=theme, opening="Đề dẫn")
        if index != 1:
            forum_services.session_conclude(actor=secretary, topic=topic, conclusion="Kết luận")
        meeting = forum_services.meeting_schedule(
            actor=secretary,
            cell=cell,
            title="Sinh hoạt tháng",
            meeting_at=datetime.datetime(2020, 5, 5, 12, tzinfo=datetime.UTC),
        )
        forum_services.session_conclude(actor=secretary, topic=meeting, conclusion="Kết luận")
        for module in modules:
            if cell.path.startswith(module.audience.path):
                complete(members[1].user, module)
        pledge = pledge_services.pledge_start(member=members[2].user, template=template, cell=cell)
        pledge = pledge_services.pledge_save_draft(
            pledge=pledge, actor=members[2].user, answers=fill(pledge, ["Kiên định"]), expected_version=pledge.version
        )
        pledge_services.pledge_submit(pledge=pledge, actor=members[2].user, expected_version=pledge.version)
        pledge_services.pledge_approve(pledge=Pledge.objects.get(pk=pledge.pk), actor=secretary)


@pytest.fixture
def world(org):
    admin, _cells, themes, modules, template = _setup(org)
    _activity(org, admin, themes, modules, template)
    return admin


def test_moving_a_cell_to_another_committee_keeps_every_report_right(org, world):
    # Cell A leaves the committee whose theme it held and enters the one whose module it lacked.
    cells_services.unit_move(actor=world, unit=org["cell_a"], parent=org["other_committee"])
    assert OrgUnit.objects.get(pk=org["cell_a"].pk).path.startswith(org["other_committee"].path)
    _assert_reports_right()
    rows = {row.unit.pk: row for row in selectors.committee_report(org["province"], 2020).rows}
    assert (rows[org["committee"].pk].cells, rows[org["other_committee"].pk].cells) == (1, 2)
    assert (rows[org["committee"].pk].members, rows[org["other_committee"].pk].members) == (4, 8)
    assert rows[org["other_committee"].pk].meetings == 2 and rows[org["committee"].pk].meetings == 1


def test_moving_a_committee_with_its_cells_keeps_every_report_right(org, world):
    # The second committee (with cell C) goes under the first: a deeper tree, one more level.
    cells_services.unit_move(actor=world, unit=org["other_committee"], parent=org["committee"])
    _assert_reports_right()
    province = selectors.committee_report(org["province"], 2020)
    assert [row.unit.pk for row in province.rows] == [org["committee"].pk]
    assert province.rows[0].members == 12 and province.rows[0].cells == 3
    # And back up again.
    cells_services.unit_move(actor=world, unit=org["other_committee"], parent=org["province"])
    _assert_reports_right()


def test_a_move_is_audited_and_a_reorder_counts_nothing(org, world):
    before = _counters()
    cells_services.unit_move(actor=world, unit=org["cell_b"], parent=org["committee"])  # where it is
    assert _counters() == before
    assert not UnitEvent.objects.exists()
    cells_services.unit_move(actor=world, unit=org["cell_b"], parent=org["other_committee"])
    event = UnitEvent.objects.get()
    assert (event.unit_id, event.actor_id, event.action) == (org["cell_b"].pk, world.pk, "moved")
    assert event.detail == "Chi bộ B: Đảng ủy Khối → Đảng ủy xã Khác"


@pytest.mark.parametrize(
    "unit, parent",
    [("cell_a", "cell_b"), ("committee", "cell_a"), ("committee", "committee"), ("province", "committee")],
)
def test_impossible_moves_are_refused_and_change_nothing(org, world, unit, parent):
    before = (_counters(), list(OrgUnit.objects.values_list("pk", "path")))
    with pytest.raises(ValidationError):
        cells_services.unit_move(actor=world, unit=org[unit], parent=org[parent])
    assert (_counters(), list(OrgUnit.objects.values_list("pk", "path"))) == before


def test_a_cell_cannot_go_to_the_top_level(org, world):
    with pytest.raises(ValidationError):
        cells_services.unit_move(actor=world, unit=org["cell_a"], parent=None)


def test_treebeards_own_move_is_refused(org):
    # Every path that moves a unit must go through the service that keeps the counters.
    with pytest.raises(RuntimeError, match="unit_move"):
        OrgUnit.objects.move(org["cell_a"], org["other_committee"], "sorted-child")


def test_a_write_with_a_unit_loaded_before_the_move_counts_under_the_new_ancestors(org, world):
    stale_cell_a = OrgUnit.objects.get(pk=org["cell_a"].pk)
    cells_services.unit_move(actor=world, unit=org["cell_a"], parent=org["other_committee"])
    # A service given the cell as it was loaded before the move (an old path).
    from conftest import make_user

    cells_services.membership_add(actor=world, user=make_user("late"), cell=stale_cell_a)
    _assert_reports_right()


def test_the_cells_per_child_kept_for_a_report_follow_a_move(org, world):
    # Read once (the cells per child are kept until the tree changes), then move a cell.
    first = {row.unit.pk: row.cells for row in selectors.committee_report(org["province"], 2020).rows}
    assert (first[org["committee"].pk], first[org["other_committee"].pk]) == (2, 1)
    inner = selectors.committee_report(org["committee"], 2020)
    assert [row.unit.pk for row in inner.rows] == [org["cell_a"].pk, org["cell_b"].pk]
    cells_services.unit_move(actor=world, unit=org["cell_b"], parent=org["other_committee"])
    after = {row.unit.pk: row.cells for row in selectors.committee_report(org["province"], 2020).rows}
    assert (after[org["committee"].pk], after[org["other_committee"].pk]) == (1, 2)
    inner = selectors.committee_report(org["committee"], 2020)
    assert [(row.unit.pk, row.cells) for row in inner.rows] == [(org["cell_a"].pk, 1)]
    # The theme set by the first committee now reaches one cell of the province's two children.
    themes = selectors.committee_report(org["province"], 2020)
    index = [t.pk for t in themes.themes].index(
        next(t.pk for t in themes.themes if t.committee_id == org["committee"].pk)
    )
    assert [row.themes[index].held.whole for row in themes.rows] == [1, 0]
