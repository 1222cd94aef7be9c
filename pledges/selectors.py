"""Reads that depend on who is asking. Query counts stay flat in the number of rows."""

import datetime
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from cells.models import Membership, OrgUnit
from pledges import permissions, similarity
from pledges.models import Pledge, PledgeEvent, PledgeTemplate

S = Pledge.Status
NOT_STARTED = "not_started"
BEHIND = {NOT_STARTED, S.DRAFT, S.RETURNED}


def _templates_above(cell: OrgUnit) -> QuerySet[PledgeTemplate]:
    """The templates set at or above a cell, newest year first, then the nearest unit first:
    the first of a year is the one that applies to the cell that year."""
    prefixes = permissions.ancestor_paths(cell.path)
    return (
        PledgeTemplate.objects.filter(unit__path__in=prefixes).select_related("unit").order_by("-year", "-unit__depth")
    )


def template_for_cell(cell: OrgUnit, year: int | None = None) -> PledgeTemplate | None:
    """The template that applies to a cell: the nearest committee above it with one for the
    year (or, without a year, the latest year any committee above it has one for)."""
    qs = _templates_above(cell)
    if year is not None:
        qs = qs.filter(year=year)
    return qs.first()


def templates_for_cell(cell: OrgUnit) -> list[PledgeTemplate]:
    """Every year's templates set at or above a cell, in `template_of_year`'s order. One query."""
    return list(_templates_above(cell))


def template_of_year(templates: list[PledgeTemplate], year: int) -> PledgeTemplate | None:
    """The template that applies to the cell in `year`, from its `templates_for_cell`: what
    `template_for_cell(cell, year)` reads, without a query."""
    return next((t for t in templates if t.year == year), None)


def pledges_of_member(user) -> QuerySet[Pledge]:
    return Pledge.objects.filter(member=user).select_related("template", "cell").order_by("-year")


def pledge_with_answers(pledge: Pledge) -> Pledge:
    """The pledge with answers (and their sections) and events (and actors) in two queries."""
    pledge.answer_list = list(pledge.answers.select_related("section").order_by("section__order"))
    pledge.event_list = list(pledge.events.select_related("actor").order_by("created_at", "id"))
    return pledge


def last_return(pledge: Pledge) -> PledgeEvent | None:
    """The latest return or reopening, whose comments the member is answering."""
    for event in reversed(getattr(pledge, "event_list", [])):
        if event.action in (PledgeEvent.Action.RETURNED, PledgeEvent.Action.REOPENED):
            return event
        if event.action in (PledgeEvent.Action.APPROVED, PledgeEvent.Action.SUBMITTED, PledgeEvent.Action.RESUBMITTED):
            return None
    return None


def return_before_resubmission(pledge: Pledge) -> PledgeEvent | None:
    """The return (or reopening) the member answered by resubmitting, with the answers kept
    when it was made; None unless the pledge's latest submission is a resubmission after one
    (returns made before answers were kept have none). Needs `event_list`."""
    events = getattr(pledge, "event_list", [])
    for index in range(len(events) - 1, -1, -1):
        event = events[index]
        if event.action == PledgeEvent.Action.RESUBMITTED:
            earlier = [
                e for e in events[:index] if e.action in (PledgeEvent.Action.RETURNED, PledgeEvent.Action.REOPENED)
            ]
            return earlier[-1] if earlier and earlier[-1].answers else None
        if event.action in (PledgeEvent.Action.SUBMITTED, PledgeEvent.Action.APPROVED):
            return None
    return None


def review_queue(user, roles=None) -> QuerySet[Pledge]:
    """Submitted pledges the user may review (the leader's cell), oldest first."""
    r = roles or permissions.roles_of(user)
    if r.membership is None or not permissions.can_review_pledges(user, r.membership.cell, r):
        return Pledge.objects.none()
    return (
        Pledge.objects.filter(cell_id=r.cell_id, status__in=[S.SUBMITTED, S.REVIEWED])
        .exclude(member=user)
        .select_related("member", "template")
        .order_by("submitted_at", "id")
    )


def similar_in_cell(cell: OrgUnit, year: int) -> list[tuple[int, int, float]]:
    """Near-identical pairs among the cell's pledges of the year that were submitted at least
    once, whatever their state now: returning or approving one of a pair must not clear the
    warning on the other. Only drafts never handed in stay out (their member's alone). One query."""
    rows = Pledge.objects.filter(cell=cell, year=year, submitted_at__isnull=False).values_list("pk", "fingerprint")
    return similarity.similar_pairs(dict(rows))


def similar_map(pairs: list[tuple[int, int, float]]) -> dict[int, list[tuple[int, float]]]:
    out: dict[int, list[tuple[int, float]]] = {}
    for a, b, score in pairs:
        out.setdefault(a, []).append((b, score))
        out.setdefault(b, []).append((a, score))
    return out


@dataclass
class PledgeState:
    pledge: Pledge | None
    state: str
    overdue: bool


@dataclass
class TrackingRow:
    membership: Membership
    pledge: Pledge | None
    state: str
    overdue: bool


def cell_tracking(cell: OrgUnit, template: PledgeTemplate | None, year: int) -> list[TrackingRow]:
    """Every active member of the cell with the state of their pledge for the year: two queries."""
    members = list(Membership.objects.filter(cell=cell, ended_on__isnull=True).select_related("user"))
    states = tracking_for([m.user_id for m in members], template, year)
    rows = []
    for m in members:
        s = states[m.user_id]
        rows.append(TrackingRow(m, s.pledge, s.state, s.overdue))
    return rows


def tracking_for(user_ids: list[int], template: PledgeTemplate | None, year: int) -> dict[int, PledgeState]:
    """{user id: the state of their pledge for the year} for every user given: one query, of
    the pledge's state, rating, submission and cell (the other columns are read on access)."""
    pledges = {
        p.member_id: p
        for p in Pledge.objects.filter(year=year, member__in=user_ids)
        .select_related("cell")  # whose leaders may open it (pledges.permissions.can_view_pledge)
        .only("id", "template_id", "member_id", "cell", "year", "status", "rating", "submitted_at")
        .order_by()
    }
    today = timezone.localdate()
    due = template.due_on if template else None
    out = {}
    for user_id in user_ids:
        pledge = pledges.get(user_id)
        state = pledge.status if pledge else NOT_STARTED
        out[user_id] = PledgeState(pledge, state, bool(due and today > due and state in BEHIND))
    return out


STATE_ORDER = [NOT_STARTED, S.DRAFT, S.SUBMITTED, S.RETURNED, S.APPROVED, S.REVIEWED, S.RATED]


def years_for_unit(unit: OrgUnit) -> list[int]:
    """Years with a template applying anywhere in or above the unit."""
    prefixes = permissions.ancestor_paths(unit.path)
    return sorted(
        set(
            PledgeTemplate.objects.filter(Q(unit__path__in=prefixes) | Q(unit__path__startswith=unit.path)).values_list(
                "year", flat=True
            )
        ),
        reverse=True,
    )


def approved_in_cell(cell: OrgUnit, year: int) -> list[Pledge]:
    pledges = list(
        Pledge.objects.filter(cell=cell, year=year, status__in=[S.APPROVED, S.REVIEWED, S.RATED])
        .select_related("member", "cell", "template")
        .prefetch_related("answers__section", "events__actor")
        .order_by("member__sort_name")
    )
    for p in pledges:
        p.answer_list = sorted(p.answers.all(), key=lambda a: a.section.order)
        p.event_list = list(p.events.all())
    return pledges


def templates_for_units(units) -> QuerySet[PledgeTemplate]:
    return (
        PledgeTemplate.objects.filter(unit__in=units)
        .select_related("unit")
        .annotate(started=Count("pledges"))
        .order_by("-year", "unit__path")
    )


def today() -> datetime.date:
    return timezone.localdate()


# --- For the reports app ---------------------------------------------------------------------


def pledge_years_for_unit(unit: OrgUnit) -> set[int]:
    return set(years_for_unit(unit))


@dataclass(frozen=True)
class Due:
    path: str  # the path of the unit that set the pledge form
    unit_id: int
    due_on: datetime.date


def pledge_dues(unit: OrgUnit, year: int) -> list[Due]:
    """The year's pledge forms set at or above `unit` or inside its subtree, with their due
    dates: a cell follows the nearest one above it (template_for_cell). One query."""
    from cells.selectors import in_subtree

    rows = (
        PledgeTemplate.objects.filter(year=year)
        .filter(Q(unit__path__in=permissions.ancestor_paths(unit.path)) | in_subtree(unit.path, "unit__path"))
        .values_list("unit__path", "unit_id", "due_on")
    )
    return [Due(*row) for row in rows]


def pledge_tallies(unit_ids: list[int], year: int) -> dict[int, dict[str, int]]:
    """{unit id: {"started", "handed_in", "submitted", "approved", "rated", "rating_<value>"}}
    over the year's pledges
    of active members in their current cell under the unit, from the counters
    pledges.services keeps (PledgeTally). One query."""
    from pledges.models import PledgeTally, Rating

    names = ["started", "handed_in", "submitted", "approved", "rated", *(f"rating_{value}" for value in Rating.values)]
    rows = PledgeTally.objects.filter(unit_id__in=unit_ids, year=year).values("unit_id", *names)
    return {row.pop("unit_id"): row for row in rows}
