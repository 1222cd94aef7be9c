"""The reports' figures, read from the feature apps through their selectors.

A cell's overview: one row per active member with each theme, module and the pledge of the
year. About a dozen queries whatever the number of members, themes or modules.

A committee's report: one row per direct child, each figure a GROUP BY on the child's path
prefix (`cells.selectors.*_by_child`, `forum/courses/pledges.selectors.*_by_child`): one
query per figure group, whatever the number of children or of units below them.
"""

import datetime
from dataclasses import dataclass, field

from django.utils import timezone

from cells import selectors as cells_selectors
from cells.models import Membership, OrgUnit
from core.cache import versioned
from courses import selectors as courses_selectors
from forum import selectors as forum_selectors
from forum.models import Theme, Topic
from pledges import selectors as pledges_selectors
from pledges.models import Rating

YEAR_MIN = 2000
# A committee's figures are recounted at most this often (seconds): the page says when they
# were counted. A change to the tree (a unit or theme: the "org" generation) shows at once.
REPORT_FRESHNESS = 300

# Attendance of one member at one themed session. ABSENT (with a reason) is the seam for the
# attendance the forum does not record yet: today a member took part when they posted.
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
    year selector: kept as long as a committee's figures; any year can still be asked for)."""

    def load() -> list[int]:
        years = (
            forum_selectors.theme_years_for_unit(unit)
            | courses_selectors.module_years_for_unit(unit)
            | pledges_selectors.pledge_years_for_unit(unit)
        )
        return sorted(years, reverse=True)

    return versioned(f"reports:years:{unit.pk}", ("org",), load, REPORT_FRESHNESS)


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

    @property
    def items(self) -> list[tuple[str, str]]:
        """(key, label) of everything a member may still need to do: filters and reminders."""
        out = [(c.key, c.theme.title) for c in self.themes]
        out += [(c.key, c.module.title) for c in self.modules]
        if self.pledge_template is not None:
            out.append(("pledge", "pledge"))
        return out


def cell_overview(cell: OrgUnit, year: int) -> CellOverview:
    today = timezone.localdate()
    themes = [t for t in forum_selectors.themes_for_unit(cell, year) if cell.path.startswith(t.committee.path)]
    sessions = forum_selectors.cell_sessions(cell, themes)
    authors = forum_selectors.session_author_ids([s.pk for s in sessions.values()])
    theme_columns = []
    for theme in themes:
        session = sessions.get(theme.pk)
        state = NOT_OPENED if session is None else (HELD if session.is_concluded else OPEN)
        overdue = state != HELD and theme.window_end is not None and theme.window_end < today
        theme_columns.append(ThemeColumn(theme, session, state, overdue))

    modules, progress_rows = courses_selectors.cell_progress(cell)
    keep = [i for i, m in enumerate(modules) if m.year == year]
    module_columns = [ModuleColumn(modules[i]) for i in keep]
    progress = {row.membership.user_id: [row.cells[i] for i in keep] for row in progress_rows}

    template = pledges_selectors.template_for_cell(cell, year)
    pledge_rows = {row.membership.user_id: row for row in pledges_selectors.cell_tracking(cell, template, year)}

    members = [row.membership for row in progress_rows]  # the active members, by name
    overview = CellOverview(cell, year, theme_columns, module_columns, [], [], template)
    for membership in members:
        uid = membership.user_id
        line = MemberLine(membership, [], progress.get(uid, []), pledges_selectors.NOT_STARTED, "", False)
        for column in theme_columns:
            took = column.session is not None and uid in authors.get(column.session.pk, ())
            line.themes.append(TOOK_PART if took else NOTHING_YET)
            if took:
                column.took_part += 1
            else:
                line.missing.add(column.key)
        for column, item in zip(module_columns, line.modules, strict=True):
            column.completed += item.completed
            column.passed += item.passed
            column.certificates += item.certificate is not None
            if not item.completed:
                line.missing.add(column.key)
        pledge_row = pledge_rows.get(uid)
        if pledge_row is not None:
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
        overview.lines.append(line)
    overview.former = cells_selectors.cell_former_members(cell, datetime.date(year, 1, 1), datetime.date(year, 12, 31))
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
        )


@dataclass
class ChildRow:
    unit: OrgUnit | None  # None for the totals row
    cells: int
    members: int
    themes: list[ThemeFigure]
    modules: list[Share]
    pledges: PledgeFigure


@dataclass
class CommitteeReport:
    unit: OrgUnit
    year: int
    themes: list[Theme]
    modules: list
    rows: list[ChildRow]
    total: ChildRow
    computed_at: datetime.datetime = field(default_factory=timezone.now)


def committee_report(unit: OrgUnit, year: int) -> CommitteeReport:
    """One row per direct child of `unit`, figures over everything below it. Nine queries."""
    today = timezone.localdate()
    length = cells_selectors.child_prefix_length(unit)
    children = cells_selectors.children_of(unit)
    themes = forum_selectors.themes_for_unit(unit, year)
    modules = courses_selectors.modules_for_subtree(unit, year)
    # Themes and modules set inside the subtree reach only part of it: count those parts.
    theme_within = {f"t{t.pk}": t.committee.path for t in themes if t.committee.path.startswith(unit.path)}
    module_within = {f"m{m.pk}": m.audience.path for m in modules if m.audience.path.startswith(unit.path)}
    cells = cells_selectors.cells_by_child(unit, theme_within)
    members = cells_selectors.members_by_child(unit, module_within)
    sessions = forum_selectors.sessions_by_child(unit, themes, length)
    completions = courses_selectors.completions_by_child(unit, modules, length)
    pledges = pledges_selectors.pledges_by_child(unit, year, length)

    rows = []
    for child in children:
        c = cells.get(child.path, {})
        m = members.get(child.path, {})
        theme_figures = []
        for theme in themes:
            reached = c.get(f"t{theme.pk}", c.get("cells", 0))
            s = sessions.get((child.path, theme.pk), {})
            held = s.get("held", 0)
            late = theme.window_end is not None and theme.window_end < today
            theme_figures.append(ThemeFigure(Share(held, reached), s.get("open", 0), reached - held if late else 0))
        module_shares = [
            Share(completions.get((child.path, module.pk), 0), m.get(f"m{module.pk}", m.get("members", 0)))
            for module in modules
        ]
        p = pledges.get(child.path, {})
        figure = PledgeFigure(
            m.get("members", 0),
            p.get("submitted", 0),
            p.get("approved", 0),
            p.get("rated", 0),
            {value: p.get(f"rating_{value}", 0) for value in Rating.values},
        )
        rows.append(ChildRow(child, c.get("cells", 0), m.get("members", 0), theme_figures, module_shares, figure))
    total = ChildRow(
        None,
        sum(r.cells for r in rows),
        sum(r.members for r in rows),
        [sum((r.themes[i] for r in rows), ThemeFigure(Share())) for i in range(len(themes))],
        [sum((r.modules[i] for r in rows), Share()) for i in range(len(modules))],
        sum((r.pledges for r in rows), PledgeFigure()),
    )
    return CommitteeReport(unit, year, themes, modules, rows, total)


def committee_report_cached(unit: OrgUnit, year: int) -> CommitteeReport:
    return versioned(
        f"reports:committee:{unit.pk}:{year}", ("org",), lambda: committee_report(unit, year), REPORT_FRESHNESS
    )
