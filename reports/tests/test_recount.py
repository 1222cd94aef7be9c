"""Random sequences of the services' operations; every report equals a recount from raw rows.

The reports aggregate in SQL by path prefix; the recount below walks the raw rows in Python,
the slow obvious way, and must give the same figures for every committee and every cell.
"""

import contextlib
import datetime
import random

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from cells import services as cells_services
from cells.models import Membership, OrgUnit, UnitEvent
from conftest import make_member, make_user
from courses.models import Module, ModuleProgress
from courses.tests.conftest import build_module, complete
from forum import services as forum_services
from forum.models import Absence, Attendance, Post, Theme, Topic
from pledges import services as pledge_services
from pledges.models import Pledge, PledgeTemplate, Rating
from pledges.tests.conftest import fill
from reports import selectors
from reports.services import recount_all

pytestmark = pytest.mark.django_db

DONE = {"approved", "reviewed", "rated"}
HANDED_IN = {"submitted", *DONE}


def _setup(org):
    admin = make_user("admin", is_superuser=True, is_staff=True)
    cells = [org["cell_a"], org["cell_b"], org["cell_c"]]
    for index, cell in enumerate(cells):
        for n in range(4):
            make_member(f"m{index}{n}", cell, role="secretary" if n == 0 else "member")
    themes = [
        forum_services.theme_create(
            actor=admin,
            committee=org["province"],
            year=2020,
            title="Chủ đề tỉnh",
            description="",
            order=1,
            window_start=datetime.date(2020, 1, 1),
            window_end=datetime.date(2020, 6, 30),
        ),
        forum_services.theme_create(
            actor=admin,
            committee=org["committee"],
            year=2020,
            title="Chủ đề khối",
            description="",
            order=2,
            window_start=None,
            window_end=None,
        ),
    ]
    modules = [
        build_module(org["province"], lessons=1, questions=1),
        build_module(org["other_committee"], lessons=1, questions=1),
    ]
    template = pledge_services.template_create(
        actor=admin,
        unit=org["province"],
        year=2020,
        title="Cam kết",
        due_on=datetime.date(2020, 3, 31),
        has_year_end_review=False,
        sections=[{"title": "Tư tưởng", "required": True, "min_length": 0}],
    )
    # A form of the committee's own, due later: its cells follow it, the others the province's.
    pledge_services.template_create(
        actor=admin,
        unit=org["committee"],
        year=2020,
        title="Cam kết của khối",
        due_on=datetime.date.today() + datetime.timedelta(days=30),
        has_year_end_review=False,
        sections=[{"title": "Tư tưởng", "required": True, "min_length": 0}],
    )
    return admin, cells, themes, modules, template


OPERATIONS = [
    *("open", "open", "post", "post", "conclude", "conclude", "reopen", "study", "pledge", "pledge"),
    *("approve", "approve", "rate", "rate", "move", "end", "join", "attend", "attend", "excuse"),
    *("meet", "meet", "conclude_meeting", "conclude_meeting", "reschedule", "reopen_meeting"),
    *("move_unit", "move_unit"),
]
MEETING_AT = datetime.datetime(2020, 5, 5, 19, 30, tzinfo=datetime.UTC)


def _leader(cell):
    m = Membership.objects.filter(cell=cell, ended_on__isnull=True, role="secretary").select_related("user").first()
    return m.user if m else None


def _random_step(rng, admin, cells, themes, modules, template) -> None:
    # Read afresh, as each request would: a unit moved in the tree has a new path.
    cells = [OrgUnit.objects.get(pk=c.pk) for c in cells]
    themes = [Theme.objects.select_related("committee").get(pk=t.pk) for t in themes]
    modules = [Module.objects.select_related("audience").get(pk=m.pk) for m in modules]
    members = list(Membership.objects.filter(ended_on__isnull=True).select_related("user", "cell"))
    m = rng.choice(members)
    op = rng.choice(OPERATIONS)
    theme = rng.choice(themes)
    topic = Topic.objects.filter(cell=m.cell, theme=theme).first()
    pledge = Pledge.objects.filter(member=m.user, year=2020).first()
    leader = _leader(m.cell)
    if op == "open" and topic is None and m.cell.path.startswith(theme.committee.path):
        forum_services.session_open(actor=m.user, cell=m.cell, theme=theme, opening="Đề dẫn")
    elif op == "post" and topic is not None and topic.accepts_posts:
        forum_services.post_create(actor=m.user, topic=topic, body="Ý kiến")
    elif op == "conclude" and topic is not None and not topic.is_concluded:
        forum_services.session_conclude(actor=m.user, topic=topic, conclusion="Kết luận")
    elif op == "reopen" and topic is not None and topic.is_concluded:
        forum_services.session_reopen(actor=m.user, topic=topic, reason="Bổ sung")
    elif op == "study":
        module = rng.choice(modules)
        if m.cell.path.startswith(module.audience.path):
            complete(m.user, module)
    elif op == "pledge" and pledge is None:
        pledge = pledge_services.pledge_start(member=m.user, template=template, cell=m.cell)
        pledge = pledge_services.pledge_save_draft(
            pledge=pledge, actor=m.user, answers=fill(pledge, ["Kiên định"]), expected_version=pledge.version
        )
        if rng.random() < 0.8:
            pledge_services.pledge_submit(pledge=pledge, actor=m.user, expected_version=pledge.version)
    elif op == "approve" and pledge is not None and pledge.status == "submitted" and leader and leader != m.user:
        pledge_services.pledge_approve(pledge=pledge, actor=leader)
    elif op == "rate" and pledge is not None and pledge.status == "approved" and leader and leader != m.user:
        pledge_services.pledge_rate(pledge=pledge, actor=leader, rating=rng.choice(Rating.values))
    elif op == "move" and m.role == "member":
        target = rng.choice([c for c in cells if c.pk != m.cell_id])
        cells_services.membership_move(actor=admin, membership=m, to_cell=target)
    elif op == "end" and m.role == "member" and rng.random() < 0.3:
        cells_services.membership_end(actor=admin, membership=m, reason="Chuyển sinh hoạt")
    elif op == "join":
        make_member(f"new{Membership.objects.count()}", rng.choice(cells))
    elif op == "attend" and topic is not None and leader:
        status = rng.choice(Attendance.Status.values)
        reason = "Ốm" if status == Attendance.Status.EXCUSED else ""
        forum_services.attendance_record(actor=leader, topic=topic, entries={m.user_id: (status, reason)})
    elif op == "excuse" and topic is not None:
        forum_services.absence_declare(actor=m.user, topic=topic, reason="Đi công tác")
    elif op == "meet" and leader:
        forum_services.meeting_schedule(actor=leader, cell=m.cell, title="Sinh hoạt tháng", meeting_at=MEETING_AT)
    elif op == "move_unit":
        # A cell or a committee (with what is under it) moved under another committee.
        unit = rng.choice(list(OrgUnit.objects.filter(depth__gt=1)))
        targets = [t for t in OrgUnit.objects.filter(kind="committee") if not t.path.startswith(unit.path)]
        cells_services.unit_move(actor=admin, unit=unit, parent=rng.choice(targets))
    elif op in ("conclude_meeting", "reschedule", "reopen_meeting"):
        meeting = Topic.objects.filter(cell=m.cell, kind="meeting").order_by("?").first()
        if meeting is None or leader is None:
            return
        if op == "conclude_meeting" and not meeting.is_concluded:
            forum_services.session_conclude(actor=leader, topic=meeting, conclusion="Kết luận")
        elif op == "reschedule":
            year = rng.choice([2020, 2021])
            forum_services.meeting_update(actor=leader, topic=meeting, meeting_at=MEETING_AT.replace(year=year))
        elif op == "reopen_meeting" and meeting.is_concluded:
            forum_services.session_reopen(actor=leader, topic=meeting, reason="Bổ sung")


def _recount_committee(unit: OrgUnit, year: int) -> list[tuple]:
    today = datetime.date.today()
    all_cells = list(OrgUnit.objects.filter(kind="cell"))
    active = list(Membership.objects.filter(ended_on__isnull=True).select_related("cell"))
    topics = list(Topic.objects.filter(kind="session").select_related("cell"))
    meetings = list(Topic.objects.filter(kind="meeting", state="concluded").select_related("cell"))
    done = {(p.user_id, p.module_id) for p in ModuleProgress.objects.filter(completed_at__isnull=False)}
    pledges = list(Pledge.objects.filter(year=year))
    forms = list(PledgeTemplate.objects.filter(year=year).select_related("unit"))
    report = selectors.committee_report(unit, year)
    out = []
    for child in OrgUnit.objects.filter(path__startswith=unit.path, depth=unit.depth + 1).order_by("path"):
        cells = [c for c in all_cells if c.path.startswith(child.path)]
        members = [m for m in active if m.cell.path.startswith(child.path)]
        themes = []
        for theme in report.themes:
            reached = [c for c in cells if c.path.startswith(theme.committee.path)]
            held = [t for t in topics if t.theme_id == theme.pk and t.cell in reached and t.state == "concluded"]
            late = theme.window_end is not None and theme.window_end < today
            themes.append((len(held), len(reached), len(reached) - len(held) if late else 0))
        modules = []
        for module in report.modules:
            studying = [m for m in members if m.cell.path.startswith(module.audience.path)]
            modules.append((sum((m.user_id, module.pk) in done for m in studying), len(studying)))
        current = {(m.user_id, m.cell_id) for m in members}
        mine = [p for p in pledges if (p.member_id, p.cell_id) in current]
        handed_in = {p.member_id for p in mine if p.status in HANDED_IN}
        overdue = 0
        for m in members:
            # The cell's form: the one set nearest above it; overdue once its due date is past.
            form = max(
                (f for f in forms if m.cell.path.startswith(f.unit.path)), key=lambda f: f.unit.depth, default=None
            )
            overdue += form is not None and form.due_on < today and m.user_id not in handed_in
        pledge_figures = (
            len(mine),
            overdue,
            sum(p.submitted_at is not None for p in mine),
            sum(p.status in DONE for p in mine),
            sum(p.status == "rated" for p in mine),
            tuple(sum(p.rating == r for p in mine) for r in Rating.values),
        )
        held = sum(t.cell in cells and t.meeting_at.year == year for t in meetings)
        out.append((child.pk, len(cells), len(members), themes, modules, pledge_figures, held))
    return out


def _reported(unit: OrgUnit, year: int) -> list[tuple]:
    report = selectors.committee_report(unit, year)
    return [
        (
            row.unit.pk,
            row.cells,
            row.members,
            [(f.held.part, f.held.whole, f.past_deadline) for f in row.themes],
            [(s.part, s.whole) for s in row.modules],
            (
                row.pledges.started,
                row.pledges.overdue,
                row.pledges.submitted,
                row.pledges.approved,
                row.pledges.rated,
                tuple(row.pledges.ratings[r] for r in Rating.values),
            ),
            row.meetings,
        )
        for row in report.rows
    ]


def _check_cell(cell: OrgUnit) -> None:
    overview = selectors.cell_overview(cell, 2020)
    members = Membership.objects.filter(cell=cell, ended_on__isnull=True)
    assert sorted(line.membership.pk for line in overview.lines) == sorted(m.pk for m in members)
    for line in overview.lines:
        uid = line.membership.user_id
        for column, value in zip(overview.themes, line.themes, strict=True):
            posted = Post.objects.filter(topic__cell=cell, topic__theme=column.theme, author_id=uid).exists()
            roll = Attendance.objects.filter(topic__cell=cell, topic__theme=column.theme, user_id=uid).first()
            excused = Absence.objects.filter(topic__cell=cell, topic__theme=column.theme, user_id=uid).exists()
            status = roll.status if roll else ("excused" if excused else None)
            if posted or status == "present":
                assert value == selectors.TOOK_PART
            else:
                assert value == (selectors.ABSENT if status == "excused" else selectors.NOTHING_YET)
        for column, item in zip(overview.modules, line.modules, strict=True):
            assert (
                item.completed
                == ModuleProgress.objects.filter(user_id=uid, module=column.module, completed_at__isnull=False).exists()
            )
        pledge = Pledge.objects.filter(member_id=uid, year=2020).first()
        assert line.pledge_state == (pledge.status if pledge else "not_started")


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_reports_equal_a_recount_after_random_operations(org, seed):
    rng = random.Random(seed)
    admin, cells, themes, modules, template = _setup(org)
    seen = {"started": False, "overdue": False}  # drafts and overdue pledges at some point
    for step in range(200):
        # A refused operation changes nothing, which the recount also sees.
        with contextlib.suppress(ValidationError, PermissionDenied, pledge_services.PledgeRefused):
            _random_step(rng, admin, cells, themes, modules, template)
        if step % 50 == 49:
            total = selectors.committee_report(OrgUnit.objects.get(pk=org["province"].pk), 2020).total.pledges
            seen["started"] |= total.started > total.submitted
            seen["overdue"] |= total.overdue > 0
            for unit in OrgUnit.objects.filter(kind="committee"):
                for year in (2020, 2021):
                    assert _reported(unit, year) == _recount_committee(unit, year), (seed, step, unit.name, year)
            for cell in cells:
                _check_cell(cell)
    # The counters kept by the services are what a rebuild from the raw rows writes.
    committees = list(OrgUnit.objects.filter(kind="committee"))
    kept = [_reported(unit, year) for unit in committees for year in (2020, 2021)]
    recount_all()
    assert [_reported(unit, year) for unit in committees for year in (2020, 2021)] == kept
    # Something happened in every figure group (the test would prove little otherwise).
    assert Topic.objects.filter(kind="session", state="concluded").exists()
    assert Topic.objects.filter(kind="meeting", state="concluded").exists()
    assert Attendance.objects.exists() and Membership.objects.filter(ended_on__isnull=False).exists()
    assert ModuleProgress.objects.exists() and Pledge.objects.filter(status__in=DONE).exists()
    assert UnitEvent.objects.filter(action="moved").exists()
    assert seen["started"] and seen["overdue"]


def test_a_module_completed_before_a_move_counts_only_inside_its_audience(org):
    admin, _cells, _themes, modules, _template = _setup(org)
    mover = Membership.objects.get(user__username="m21")  # a member of cell C
    complete(mover.user, modules[1])  # the module of C's committee
    cells_services.membership_move(actor=admin, membership=mover, to_cell=org["cell_a"])
    for unit in OrgUnit.objects.filter(kind="committee"):
        assert _reported(unit, 2020) == _recount_committee(unit, 2020), unit.name
    province = {row.unit.pk: row for row in selectors.committee_report(org["province"], 2020).rows}
    assert (province[org["committee"].pk].modules[1].part, province[org["committee"].pk].modules[1].whole) == (0, 0)


def test_a_module_whose_audience_changes_is_recounted(org):
    from courses import services as courses_services

    _admin, _cells, _themes, modules, _template = _setup(org)
    complete(Membership.objects.get(user__username="m01").user, modules[1])  # cell A: outside the audience
    complete(Membership.objects.get(user__username="m21").user, modules[1])  # cell C: inside
    module = modules[1]
    module.audience = OrgUnit.objects.get(pk=org["province"].pk)
    courses_services.module_save(module=module)
    for unit in OrgUnit.objects.filter(kind="committee"):
        assert _reported(unit, 2020) == _recount_committee(unit, 2020), unit.name
    assert selectors.committee_report(org["province"], 2020).total.modules[1].part == 2
