"""The reports' figures, read from the feature apps through their selectors.

A cell's overview: one row per active member with each theme, module and the pledge of the
year, read from the raw rows of the cell. About a dozen queries whatever the number of
members, themes or modules.

A committee's report: one row per direct child, read from the counters each feature keeps at
write time for every unit (cells.tally: `member_tallies`, `session_tallies`,
`meeting_tallies`, `module_tallies`, `pledge_tallies`): one query per figure group, reading
only the direct children's rows, whatever lies below them. Nothing is cached but the number
of cells per child (it changes with the tree only).
"""

import datetime
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.formats import number_format

from cells import selectors as cells_selectors
from cells.models import Membership, OrgUnit
from core.cache import versioned
from courses import selectors as courses_selectors
from forum import selectors as forum_selectors
from forum.models import Theme, Topic
from pledges import selectors as pledges_selectors
from pledges.models import Rating

YEAR_MIN = 2000

# Attendance of one member at one themed session: took part (posted, or marked present at the
# roll call), absent with a reason (excused at the roll call, and did not post), or nothing yet.
TOOK_PART, ABSENT, NOTHING_YET = "took_part", "absent", "nothing"
HELD, OPEN, NOT_OPENED = "held", "open", "none"


def year_bounds() -> tuple[int, int]:
    return YEAR_MIN, timezone.localdate().year + 1


def parse_year(raw: str) -> int | None:
    """The year typed, if it is plain ASCII digits within the bounds; None otherwise."""
    raw = (raw or "").strip()
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 4):
        return None
    low, high = year_bounds()
    return int(raw) if low <= int(raw) <= high else None


def years_for(unit: OrgUnit) -> list[int]:
    """Years with a theme, a module or a pledge form reaching the unit, newest first (for the
    year selector; any year can still be asked for). Three small queries; for a cell,
    `cell_sources(cell).years` is the same list, read from what its overview reads anyway."""
    years = (
        forum_selectors.theme_years_for_unit(unit)
        | courses_selectors.module_years_for_unit(unit)
        | pledges_selectors.pledge_years_for_unit(unit)
    )
    return sorted(years, reverse=True)


def default_year(years: list[int]) -> int:
    this_year = timezone.localdate().year
    if not years or this_year in years:
        return this_year
    past = [y for y in years if y <= this_year]
    return past[0] if past else years[-1]


# --- A cell's overview ---------------------------------------------------------------------


@dataclass
class ThemeColumn:
    theme: Theme
    session: Topic | None
    state: str  # HELD, OPEN, NOT_OPENED
    overdue: bool  # the window has ended and the session is not concluded
    took_part: int = 0
    absent: int = 0  # absent with a reason

    @property
    def key(self) -> str:
        return f"theme:{self.theme.pk}"


@dataclass
class ModuleColumn:
    module: object
    completed: int = 0
    passed: int = 0
    certificates: int = 0

    @property
    def key(self) -> str:
        return f"module:{self.module.pk}"


@dataclass
class MemberLine:
    membership: Membership
    themes: list[str]
    modules: list  # courses.selectors.ProgressCell
    pledge_state: str
    pledge_rating: str
    pledge_overdue: bool
    missing: set[str] = field(default_factory=set)
    pledge: object = None  # the member's Pledge of the year, if started (for a link to it)


@dataclass
class CellOverview:
    cell: OrgUnit
    year: int
    themes: list[ThemeColumn]
    modules: list[ModuleColumn]
    lines: list[MemberLine]
    former: list[Membership]
    pledge_template: object
    pledges_handed_in: int = 0
    pledges_rated: int = 0
    pledges_started: int = 0  # begun, in any state
    pledges_overdue: int = 0  # the form past its due date, nothing handed in

    @property
    def items(self) -> list[tuple[str, str]]:
        """(key, label) of everything a member may still need to do: filters and reminders."""
        out = [(c.key, c.theme.title) for c in self.themes]
        out += [(c.key, c.module.title) for c in self.modules]
        if self.pledge_template is not None:
            out.append(("pledge", "pledge"))
        return out


@dataclass
class CellSources:
    """What reaches a cell in every year: the themes set above it, the modules published to it
    and the pledge forms set at or above it. The year selector's years and a year's overview
    are both read from it: three queries for the two."""

    themes: list[Theme]
    modules: list
    templates: list

    @property
    def years(self) -> list[int]:
        """`years_for(cell)`: below a cell there is nothing, so what reaches it is all there is."""
        items = self.themes + self.modules + self.templates
        return sorted({item.year for item in items}, reverse=True)


def cell_sources(cell: OrgUnit) -> CellSources:
    return CellSources(
        forum_selectors.themes_for_unit(cell),
        courses_selectors.modules_for_unit(cell),
        pledges_selectors.templates_for_cell(cell),
    )


def _attendance(session, user_id: int, authors: dict, attendance: dict) -> str:
    if session is None:
        return NOTHING_YET
    status = attendance.get(session.pk, {}).get(user_id)
    if user_id in authors.get(session.pk, ()) or status == forum_selectors.PRESENT:
        return TOOK_PART
    return ABSENT if status == forum_selectors.EXCUSED else NOTHING_YET


def cell_overview(cell: OrgUnit, year: int, sources: CellSources | None = None) -> CellOverview:
    """The year's overview of the cell, from its `sources` when the caller has read them."""
    today = timezone.localdate()
    if sources is None:
        sources = cell_sources(cell)
    themes = [t for t in sources.themes if t.year == year and cell.path.startswith(t.committee.path)]
    sessions = forum_selectors.cell_sessions(cell, themes)
    authors = forum_selectors.session_author_ids([s.pk for s in sessions.values()])
    attendance = forum_selectors.session_attendance([s.pk for s in sessions.values()])
    theme_columns = []
    for theme in themes:
        session = sessions.get(theme.pk)
        state = NOT_OPENED if session is None else (HELD if session.is_concluded else OPEN)
        overdue = state != HELD and theme.window_end is not None and theme.window_end < today
        theme_columns.append(ThemeColumn(theme, session, state, overdue))

    # The active members, read once, by name; the features' figures read by their user ids.
    members, former = cells_selectors.cell_roster(cell, datetime.date(year, 1, 1), datetime.date(year, 12, 31))
    user_ids = [m.user_id for m in members]
    modules = [m for m in sources.modules if m.year == year]
    module_columns = [ModuleColumn(module) for module in modules]
    progress = courses_selectors.progress_for(user_ids, modules)

    template = pledges_selectors.template_of_year(sources.templates, year)
    pledge_rows = pledges_selectors.tracking_for(user_ids, template, year)

    overview = CellOverview(cell, year, theme_columns, module_columns, [], former, template)
    for membership in members:
        uid = membership.user_id
        line = MemberLine(membership, [], progress[uid], pledges_selectors.NOT_STARTED, "", False)
        for column in theme_columns:
            state = _attendance(column.session, uid, authors, attendance)
            line.themes.append(state)
            if state == TOOK_PART:
                column.took_part += 1
            else:
                column.absent += state == ABSENT
                line.missing.add(column.key)
        for column, item in zip(module_columns, line.modules, strict=True):
            column.completed += item.completed
            column.passed += item.passed
            column.certificates += item.certificate is not None
            if not item.completed:
                line.missing.add(column.key)
        pledge_row = pledge_rows[uid]
        line.pledge_state = pledge_row.state
        line.pledge_overdue = pledge_row.overdue
        line.pledge = pledge_row.pledge
        if pledge_row.pledge is not None:
            line.pledge_rating = pledge_row.pledge.rating
        if template is not None:
            if line.pledge_state in pledges_selectors.BEHIND:
                line.missing.add("pledge")
            else:
                overview.pledges_handed_in += 1
            overview.pledges_rated += line.pledge_state == pledges_selectors.S.RATED
            overview.pledges_started += line.pledge_state != pledges_selectors.NOT_STARTED
            overview.pledges_overdue += line.pledge_overdue
        overview.lines.append(line)
    return overview


# --- A committee's report ------------------------------------------------------------------


@dataclass
class Share:
    part: int = 0
    whole: int = 0

    @property
    def percent(self) -> int:
        return round(100 * self.part / self.whole) if self.whole else 0

    def __add__(self, other: "Share") -> "Share":
        return Share(self.part + other.part, self.whole + other.whole)


@dataclass
class ThemeFigure:
    held: Share  # cells that concluded the session / cells the theme reaches
    open: int = 0
    past_deadline: int = 0  # cells reached, not concluded, window ended

    def __add__(self, other: "ThemeFigure") -> "ThemeFigure":
        return ThemeFigure(self.held + other.held, self.open + other.open, self.past_deadline + other.past_deadline)


@dataclass
class PledgeFigure:
    members: int = 0
    submitted: int = 0
    approved: int = 0
    rated: int = 0
    ratings: dict = field(default_factory=lambda: dict.fromkeys(Rating.values, 0))
    started: int = 0  # pledges begun, in any state (drafts included)
    overdue: int = 0  # members whose pledge form is past its due date, with nothing handed in

    @property
    def started_share(self) -> Share:
        return Share(self.started, self.members)

    @property
    def submitted_share(self) -> Share:
        return Share(self.submitted, self.members)

    @property
    def approved_share(self) -> Share:
        return Share(self.approved, self.members)

    @property
    def rated_share(self) -> Share:
        return Share(self.rated, self.members)

    @property
    def spread(self) -> list[tuple[str, str, int, Share]]:
        counts = self.ratings
        return [(value, label, counts[value], Share(counts[value], self.rated)) for value, label in Rating.choices]

    def __add__(self, other: "PledgeFigure") -> "PledgeFigure":
        ratings = {k: self.ratings[k] + other.ratings[k] for k in self.ratings}
        return PledgeFigure(
            self.members + other.members,
            self.submitted + other.submitted,
            self.approved + other.approved,
            self.rated + other.rated,
            ratings,
            self.started + other.started,
            self.overdue + other.overdue,
        )


@dataclass
class ChildRow:
    unit: OrgUnit | None  # None for the totals row
    cells: int
    members: int
    themes: list[ThemeFigure]
    modules: list[Share]
    pledges: PledgeFigure
    meetings: int = 0  # monthly meetings concluded in the year

    @property
    def meetings_per_cell(self) -> str:
        """Meetings held per cell, one decimal in the reader's language ("0,3")."""
        return number_format(self.meetings / self.cells if self.cells else 0, 1)


@dataclass
class CommitteeReport:
    unit: OrgUnit
    year: int
    themes: list[Theme]
    modules: list
    rows: list[ChildRow]
    total: ChildRow


def _cells_by_child(unit: OrgUnit, within: dict[str, str]) -> dict[str, dict[str, int]]:
    """Cells under each child (and under each `within` prefix): a GROUP BY over the subtree's
    units, kept until the tree changes (invalidated by the "org" generation, which every
    unit or theme change replaces)."""
    key = f"reports:cells:{unit.pk}:" + ",".join(f"{k}={v}" for k, v in sorted(within.items()))
    return versioned(key, ("org",), lambda: cells_selectors.cells_by_child(unit, within), 600)


def _reached(child: OrgUnit, target_path: str, own: int, at_target: int) -> int:
    """What a theme or module set at `target_path` reaches under `child`: all of the child when
    the target is at or above it, the target's part when it lies inside the child, else none."""
    if child.path.startswith(target_path):
        return own
    return at_target if target_path.startswith(child.path) else 0


def _overdue(child: OrgUnit, dues: list, members: dict[int, int], pledges: dict[int, dict], today) -> int:
    """Members under `child` whose pledge form (the nearest one above their cell) is past its
    due date and whose pledge of the year is not handed in. Read from the counters: each form
    set at or above the child covers the child, each form set inside it its own subtree, less
    the subtrees of the forms set further down (they follow those). The due date is compared
    with today here, at read time: no counter can know when a day passes."""
    above = [d for d in dues if child.path.startswith(d.path)]
    inner = [d for d in dues if d.path.startswith(child.path) and d.path != child.path]
    regions = [(child.path, child.pk, max(above, key=lambda d: len(d.path)).due_on)] if above else []
    regions += [(d.path, d.unit_id, d.due_on) for d in inner]
    total = 0
    for path, unit_id, due_on in regions:
        if not due_on < today:
            continue
        below = [d for d in inner if d.path.startswith(path) and d.path != path]
        # Only the forms directly below: one inside another is already in the outer's subtree.
        below = [d for d in below if not any(d.path.startswith(o.path) and o.path != d.path for o in below)]
        for ids, sign in (([unit_id], 1), ([d.unit_id for d in below], -1)):
            for pk in ids:
                total += sign * (members.get(pk, 0) - pledges.get(pk, {}).get("handed_in", 0))
    return total


def committee_report(unit: OrgUnit, year: int) -> CommitteeReport:
    """One row per direct child of `unit`, figures over everything below it, read from the
    counters the features keep at every level (cells.tally): the rows of the direct children,
    whatever lies below them. About nine queries."""
    today = timezone.localdate()
    children = cells_selectors.children_of(unit)
    themes = forum_selectors.themes_for_unit(unit, year)
    modules = courses_selectors.modules_for_subtree(unit, year)
    # Themes and modules set inside the subtree reach only part of it: count those parts.
    theme_within = {f"t{t.pk}": t.committee.path for t in themes if t.committee.path.startswith(unit.path)}
    cells = _cells_by_child(unit, theme_within)
    child_ids = [child.pk for child in children]
    inner_audiences = [m.audience_id for m in modules if m.audience.path.startswith(unit.path)]
    # Pledge forms set inside the subtree cover only part of it: their units' counters too.
    dues = pledges_selectors.pledge_dues(unit, year)
    inner_forms = [d.unit_id for d in dues if d.path.startswith(unit.path) and d.path != unit.path]
    members = cells_selectors.member_tallies(child_ids + inner_audiences + inner_forms)
    sessions = forum_selectors.session_tallies(child_ids, [t.pk for t in themes])
    meetings = forum_selectors.meeting_tallies(child_ids, year)
    completions = courses_selectors.module_tallies(child_ids, [m.pk for m in modules])
    pledges = pledges_selectors.pledge_tallies(child_ids + inner_forms, year)

    rows = []
    for child in children:
        c = cells.get(child.path, {})
        own_members = members.get(child.pk, 0)
        theme_figures = []
        for theme in themes:
            reached = c.get(f"t{theme.pk}", c.get("cells", 0))
            held, opened = sessions.get((child.pk, theme.pk), (0, 0))
            late = theme.window_end is not None and theme.window_end < today
            theme_figures.append(ThemeFigure(Share(held, reached), opened, reached - held if late else 0))
        module_shares = [
            Share(
                completions.get((child.pk, module.pk), 0),
                _reached(child, module.audience.path, own_members, members.get(module.audience_id, 0)),
            )
            for module in modules
        ]
        p = pledges.get(child.pk, {})
        figure = PledgeFigure(
            own_members,
            p.get("submitted", 0),
            p.get("approved", 0),
            p.get("rated", 0),
            {value: p.get(f"rating_{value}", 0) for value in Rating.values},
            p.get("started", 0),
            _overdue(child, dues, members, pledges, today),
        )
        rows.append(
            ChildRow(
                child,
                c.get("cells", 0),
                own_members,
                theme_figures,
                module_shares,
                figure,
                meetings.get(child.pk, 0),
            )
        )
    total = ChildRow(
        None,
        sum(r.cells for r in rows),
        sum(r.members for r in rows),
        [sum((r.themes[i] for r in rows), ThemeFigure(Share())) for i in range(len(themes))],
        [sum((r.modules[i] for r in rows), Share()) for i in range(len(modules))],
        sum((r.pledges for r in rows), PledgeFigure()),
        sum(r.meetings for r in rows),
    )
    return CommitteeReport(unit, year, themes, modules, rows, total)
