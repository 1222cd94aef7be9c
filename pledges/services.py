"""Every write to pledges. Each transition checks who may make it and from which state,
writes inside a transaction with the pledge row locked, and appends a PledgeEvent."""

import datetime

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, override

from cells import tally
from cells.models import Membership, OrgUnit
from core import reminders
from core.errors import ServiceError
from core.markup import markdown_to_html, normalize
from notifications.services import notification_send
from pledges import permissions, selectors, similarity
from pledges.models import (
    DEFAULT_SECTIONS,
    Pledge,
    PledgeAnswer,
    PledgeEvent,
    PledgeReminder,
    PledgeTally,
    PledgeTemplate,
    Rating,
    TemplateSection,
)

S = Pledge.Status
A = PledgeEvent.Action


class PledgeRefused(ServiceError):
    """A transition the pledge's state does not allow (core.errors.ServiceError). The message
    is for the user; `errors` maps section id (or "rating", "comment") to a message."""


class StaleVersion(PledgeRefused):
    """The save was based on an older version than the one stored (another tab or device)."""


class PledgeIncomplete(PledgeRefused):
    """Required sections missing or too short; `errors` maps section id (or "rating") to a message."""


# --- Templates ------------------------------------------------------------------------------


def template_create(
    *,
    actor,
    unit: OrgUnit,
    year: int,
    title: str,
    due_on: datetime.date,
    intro: str = "",
    has_year_end_review: bool = True,
    review_opens_on: datetime.date | None = None,
    review_closes_on: datetime.date | None = None,
    sections: list[dict] | None = None,
    client_key: str = "",
) -> PledgeTemplate:
    if not permissions.can_manage_pledge_templates(actor, unit):
        raise PermissionDenied
    if sections is None:
        sections = [{"title": t, "required": True, "min_length": 50} for t in DEFAULT_SECTIONS]

    def done() -> PledgeTemplate | None:  # this very form, sent again
        return PledgeTemplate.objects.filter(created_by=actor, client_key=client_key).first() if client_key else None

    if template := done():
        return template
    duplicate = _("This committee already has a template for that year.")
    if PledgeTemplate.objects.filter(unit=unit, year=year).exists():
        raise PledgeRefused(duplicate)
    try:
        with transaction.atomic():
            template = PledgeTemplate.objects.create(
                unit=unit,
                year=year,
                title=normalize(title),
                intro=normalize(intro),
                intro_html=markdown_to_html(intro),
                has_year_end_review=has_year_end_review,
                due_on=due_on,
                review_opens_on=review_opens_on,
                review_closes_on=review_closes_on,
                created_by=actor,
                client_key=client_key,
            )
            _write_sections(template, sections)
    except IntegrityError:  # another officer created it a moment ago: the constraint kept theirs
        if template := done():
            return template
        raise PledgeRefused(duplicate) from None
    return template


def _write_sections(template: PledgeTemplate, sections: list[dict]) -> None:
    TemplateSection.objects.bulk_create(
        TemplateSection(
            template=template,
            order=index,
            title=normalize(s["title"]),
            guidance=normalize(s.get("guidance", "")),
            required=bool(s.get("required", True)),
            min_length=int(s.get("min_length", 0)),
        )
        for index, s in enumerate(sections, start=1)
    )


def template_update(*, actor, template: PledgeTemplate, sections: list[dict] | None = None, **fields) -> PledgeTemplate:
    """Change a template nobody has started. Once a member has started a pledge on it, the
    form must not change under them: refused."""
    if not permissions.can_manage_pledge_templates(actor, template.unit):
        raise PermissionDenied
    allowed = {"title", "intro", "has_year_end_review", "due_on", "review_opens_on", "review_closes_on"}
    with transaction.atomic():
        template = PledgeTemplate.objects.select_for_update().get(pk=template.pk)
        if template.pledges.exists():
            raise PledgeRefused(_("Members have already started pledges on this template, so it cannot be changed."))
        for name, value in fields.items():
            if name not in allowed:
                raise TypeError(name)
            setattr(template, name, normalize(value) if isinstance(value, str) else value)
        template.intro_html = markdown_to_html(template.intro)
        template.save()
        if sections is not None:
            template.sections.all().delete()  # nobody has answered them: nothing is lost
            _write_sections(template, sections)
    return template


# --- The member's pledge --------------------------------------------------------------------


def _notify(user, kind: str, msgid: str, params: dict, url: str) -> None:
    """Notify in the reader's language, not the actor's: rendered when shown (notifications)."""
    params = {k: v if isinstance(v, (int, dict)) else str(v) for k, v in params.items()}
    notification_send(user=user, kind=kind, msgid=msgid, params=params, url=url)


def _untranslated(label) -> str:
    """A lazy label's message id, for a notification parameter translated when shown."""
    with override(None):
        return str(label)


def _notify_leaders(pledge: Pledge, kind: str, msgid: str) -> None:
    """Tell the secretary and deputy of the pledge's cell (never the pledge's own member, who
    may be one of them). `msgid` takes %(name)s (the member) and %(year)d."""
    leaders = Membership.objects.filter(
        cell=pledge.cell, ended_on__isnull=True, role__in=[Membership.Role.SECRETARY, Membership.Role.DEPUTY]
    ).select_related("user")
    for leader in leaders:
        if leader.user_id != pledge.member_id:
            _notify(leader.user, kind, msgid, {"name": pledge.member.full_name, "year": pledge.year}, _url(pledge))


def _url(pledge: Pledge) -> str:
    return reverse("pledges:detail", args=[pledge.pk])


def _locked(pledge: Pledge) -> Pledge:
    tally.hold_member(pledge.member_id)  # first: the member's counters move one change at a time
    return Pledge.objects.select_for_update(of=("self",)).select_related("member", "cell", "template").get(pk=pledge.pk)


def _event(
    pledge: Pledge,
    actor,
    action: str,
    comment: str = "",
    section_comments: list | None = None,
    client_key: str = "",
    **extra,
) -> PledgeEvent:
    return PledgeEvent.objects.create(
        pledge=pledge,
        actor=actor,
        action=action,
        comment=normalize(comment),
        comment_html=markdown_to_html(comment) if comment.strip() else "",
        section_comments=section_comments or [],
        client_key=client_key,
        **extra,
    )


LEADER_ROLES = (Membership.Role.SECRETARY, Membership.Role.DEPUTY)


def approver_role(actor, cell: OrgUnit) -> str:
    """The approver's role in the cell as its code (cells.models.Membership.Role): its secretary
    or deputy (only they approve, pledges.permissions.can_review_pledge); "" for anyone else.
    Stored on the approval; the paper words it (pledges.pdf)."""
    membership = Membership.objects.filter(user=actor, cell=cell, ended_on__isnull=True).first()
    return membership.role if membership is not None and membership.role in LEADER_ROLES else ""


# A form POST sent again (a double tap, a retry) carries the same idempotency key
# (core.idempotency). A transition records the key on its event, a save on the pledge until
# the next change; the services look for it with the pledge locked, so two copies of one POST
# never both get past the check, and the repeat changes nothing (no second event, no false
# "changed in another tab"): its view answers as the first one's did.


def _transition_done(actor, client_key: str) -> bool:
    return bool(client_key) and PledgeEvent.objects.filter(actor=actor, client_key=client_key).exists()


def _save_done(pledge: Pledge, actor, client_key: str) -> bool:
    """The save is done, or the whole POST is (saved and then submitted)."""
    return bool(client_key) and (pledge.save_key == client_key or _transition_done(actor, client_key))


def _bump(pledge: Pledge, **fields) -> None:
    fields["version"] = pledge.version + 1
    # Only a save names the page that made it; any other change (a transition) clears it.
    fields.setdefault("save_token", "")
    fields.setdefault("save_seq", 0)
    fields.setdefault("save_key", "")
    counted = {"status", "submitted_at", "rating", "cell"} & fields.keys()
    if counted:
        current = _current_cell_id(pledge.member_id)
        old_cell, before = pledge.cell, _figures(pledge, current)
    for name, value in fields.items():
        setattr(pledge, name, value)
    pledge.save(update_fields=[*fields, "updated_at"])
    if counted:
        _count(pledge, old_cell, before, _figures(pledge, current))


# --- Counters for the reports (cells.tally) ---------------------------------------------------
# A pledge counts in its cell while the member is an active member there (a member who moved
# or left takes it out of the cell's figures; pledges_follow_move brings this year's along).

DONE = (S.APPROVED, S.REVIEWED, S.RATED)
HANDED_IN = (S.SUBMITTED, *DONE)  # not behind: what the cell overview does not mark overdue


def _current_cell_id(user_id: int) -> int | None:
    return Membership.objects.filter(user_id=user_id, ended_on__isnull=True).values_list("cell_id", flat=True).first()


def _figures(pledge: Pledge, current_cell_id: int | None) -> dict[str, int]:
    if pledge.cell_id != current_cell_id:
        return {}
    out = {
        "started": 1,
        "handed_in": int(pledge.status in HANDED_IN),
        "submitted": int(pledge.submitted_at is not None),
        "approved": int(pledge.status in DONE),
        "rated": int(pledge.status == S.RATED),
    }
    if pledge.rating:
        out[f"rating_{pledge.rating}"] = 1
    return out


def _count(pledge: Pledge, old_cell: OrgUnit, before: dict[str, int], after: dict[str, int]) -> None:
    """Move the counters from `before` (at `old_cell`) to `after` (at the pledge's cell)."""
    key = {"year": pledge.year}
    if old_cell.pk != pledge.cell_id:
        tally.bump(PledgeTally, old_cell, [(key, {name: -value for name, value in before.items()})])
        tally.bump(PledgeTally, pledge.cell, [(key, after)])
        return
    deltas = {name: after.get(name, 0) - before.get(name, 0) for name in before.keys() | after.keys()}
    tally.bump(PledgeTally, pledge.cell, [(key, deltas)])


def _member_pledges(membership: Membership, sign: int) -> None:
    for pledge in Pledge.objects.filter(member_id=membership.user_id, cell_id=membership.cell_id):
        figures = _figures(pledge, membership.cell_id)
        tally.bump(PledgeTally, membership.cell, [({"year": pledge.year}, {k: sign * v for k, v in figures.items()})])


def tally_member_joined(*, membership: Membership) -> None:
    """cells.hooks.on_member_joined: the member's pledges kept in this cell count again."""
    _member_pledges(membership, 1)


def tally_member_left(*, membership: Membership) -> None:
    """cells.hooks.on_member_left: the member's pledges in the old cell no longer count."""
    _member_pledges(membership, -1)


def tally_figures(cell_ids: tally.CellIds) -> dict:
    """{(cell id, (year,)): counters} from the pledges of active members in their current cell
    (cells: None, every cell); the one count the rebuild and a unit's move use."""
    from django.db.models import F

    per_cell: dict = {}
    pledges = Pledge.objects.filter(
        member__memberships__ended_on__isnull=True, member__memberships__cell_id=F("cell_id")
    ).only("cell_id", "year", "status", "submitted_at", "rating")
    if cell_ids is not None:
        pledges = pledges.filter(cell_id__in=cell_ids)
    for pledge in pledges.iterator(chunk_size=5000):
        row = per_cell.setdefault((pledge.cell_id, (pledge.year,)), {})
        for name, value in _figures(pledge, pledge.cell_id).items():
            row[name] = row.get(name, 0) + value
    return per_cell


def tally_rebuild() -> int:
    """Recount PledgeTally from the pledges of active members in their current cell."""
    return tally.rebuild(PledgeTally, tally_figures(None), ("year",))


def pledge_start(*, member, template: PledgeTemplate, cell: OrgUnit) -> Pledge:
    """The member's pledge for the template's year, created as a draft if there is none."""
    existing = Pledge.objects.filter(member=member, year=template.year).first()
    if existing is not None:
        return existing
    if not Membership.objects.filter(user=member, cell=cell, ended_on__isnull=True).exists():
        raise PermissionDenied
    try:
        with transaction.atomic():
            tally.hold_member(member.pk)  # the membership cannot end under the count below
            if not Membership.objects.filter(user=member, cell=cell, ended_on__isnull=True).exists():
                raise PermissionDenied
            # Lock the template: template_update (which holds the same lock while it checks that
            # nobody has started and rewrites the sections) cannot change the form under us.
            template = PledgeTemplate.objects.select_for_update().get(pk=template.pk)
            pledge = Pledge.objects.create(template=template, member=member, cell=cell, year=template.year)
            PledgeAnswer.objects.bulk_create(PledgeAnswer(pledge=pledge, section=s) for s in template.sections.all())
            _event(pledge, member, A.STARTED)
            _count(pledge, cell, {}, _figures(pledge, cell.pk))  # one more started in the cell
    except IntegrityError:  # two tabs pressed "start" at once: the constraint kept one
        return Pledge.objects.get(member=member, year=template.year)
    return pledge


def _check_version(pledge: Pledge, expected_version: int, client_token: str = "", client_seq: int = 0) -> None:
    """A save must be based on the stored version, with one exception: a page that sends a save
    while its previous save is still in flight (the last one, as the page is hidden or closed)
    bases it on the version before that save. It is let through when the stored version is
    exactly one ahead, was made by a save from the same page (its token), and that save came
    earlier in the page's order (a lower counter): so the newest text wins, and a save from
    any other page, or an older save arriving late, is still refused."""
    if pledge.version == expected_version:
        return
    own_in_flight = (
        bool(client_token)
        and pledge.save_token == client_token
        and pledge.version == expected_version + 1
        and client_seq > pledge.save_seq
    )
    if not own_in_flight:
        raise StaleVersion(
            _(
                "This pledge was changed in another tab or on another device after you opened this page, "
                "so this save was refused. Your text is still here: press Save draft to compare it with the "
                "saved version."
            )
        )


def pledge_save_draft(
    *,
    pledge: Pledge,
    actor,
    answers: dict[int, str],
    expected_version: int,
    client_token: str = "",
    client_seq: int = 0,
    client_key: str = "",
) -> Pledge:
    """Save the member's answers. Refused unless the pledge is a draft or returned, and
    unless the page was based on the stored version (no silent overwrite). The same form POST
    sent again (`client_key`) changes nothing."""
    if not permissions.can_edit_pledge(actor, pledge):
        raise PermissionDenied
    with transaction.atomic():
        pledge = _locked(pledge)
        if _save_done(pledge, actor, client_key):
            return pledge
        if not pledge.is_editable:
            raise PledgeRefused(
                _("This pledge is %(status)s and can no longer be changed.")
                % {"status": pledge.get_status_display().lower()}
            )
        _check_version(pledge, expected_version, client_token, client_seq)
        rows = list(pledge.answers.select_related("section"))
        for row in rows:
            if row.section_id in answers:
                row.text = normalize(answers[row.section_id])
                row.html = markdown_to_html(row.text)
        PledgeAnswer.objects.bulk_update(rows, ["text", "html"])
        _bump(
            pledge,
            fingerprint=similarity.fingerprint("\n".join(r.text for r in rows)),
            save_token=client_token,
            save_seq=client_seq,
            save_key=client_key,
        )
    return pledge


def pledge_missing(pledge: Pledge, field: str = "text", check_length: bool = True) -> dict[int, str]:
    """Section id -> message for every required section left empty or shorter than its minimum."""
    errors = {}
    for row in pledge.answers.select_related("section"):
        value = getattr(row, field).strip()
        section = row.section
        if section.required and not value:
            errors[section.pk] = _("This section is required.")
        elif check_length and value and len(value) < section.min_length:
            errors[section.pk] = _("Please write at least %(min)d characters (now %(n)d).") % {
                "min": section.min_length,
                "n": len(value),
            }
    return errors


def pledge_submit(*, pledge: Pledge, actor, expected_version: int, client_key: str = "") -> Pledge:
    if not permissions.can_edit_pledge(actor, pledge):
        raise PermissionDenied
    with transaction.atomic():
        pledge = _locked(pledge)
        if _transition_done(actor, client_key):
            return pledge
        if not pledge.is_editable:
            raise PledgeRefused(_("Only a draft or a returned pledge can be submitted."))
        _check_version(pledge, expected_version)
        errors = pledge_missing(pledge)
        if errors:
            raise PledgeIncomplete(_("Some sections need more work before you can submit."), errors)
        action = A.RESUBMITTED if pledge.status == S.RETURNED else A.SUBMITTED
        _bump(pledge, status=S.SUBMITTED, submitted_at=timezone.now())
        _event(pledge, actor, action, client_key=client_key)
        _notify_leaders(pledge, "pledge.submitted", gettext_noop("%(name)s submitted the %(year)d pledge for review."))
    return pledge


def _require_review(actor, pledge: Pledge) -> None:
    if not permissions.can_review_pledge(actor, pledge):
        raise PermissionDenied


def pledge_approve(*, pledge: Pledge, actor, comment: str = "", client_key: str = "") -> Pledge:
    _require_review(actor, pledge)
    with transaction.atomic():
        pledge = _locked(pledge)
        if _transition_done(actor, client_key):
            return pledge
        if pledge.status != S.SUBMITTED:
            raise PledgeRefused(_("Only a submitted pledge can be approved."))
        _bump(pledge, status=S.APPROVED, approved_at=timezone.now())
        role = approver_role(actor, pledge.cell)
        _event(pledge, actor, A.APPROVED, comment, client_key=client_key, actor_role=role)
        _notify(
            pledge.member,
            "pledge.approved",
            gettext_noop("Your %(year)d pledge was approved."),
            {"year": pledge.year},
            _url(pledge),
        )
    return pledge


def _answers_kept(pledge: Pledge) -> list[dict]:
    """The answers as they are when the pledge goes back to the member, kept on the event so
    that the reviewer sees what changed when it comes back (selectors.return_before_resubmission)."""
    return [
        {"section": a.section_id, "title": a.section.title, "text": a.text}
        for a in pledge.answers.select_related("section").order_by("section__order", "section_id")
    ]


def pledge_return(
    *,
    pledge: Pledge,
    actor,
    comment: str,
    section_comments: dict[int, str] | None = None,
    client_key: str = "",
) -> Pledge:
    _require_review(actor, pledge)
    section_comments = {k: v for k, v in (section_comments or {}).items() if v and v.strip()}
    if not comment.strip() and not section_comments:
        message = _("Say what should be revised: write a comment.")
        raise PledgeIncomplete(message, {"comment": message})
    with transaction.atomic():
        pledge = _locked(pledge)
        if _transition_done(actor, client_key):
            return pledge
        if pledge.status != S.SUBMITTED:
            raise PledgeRefused(_("Only a submitted pledge can be returned."))
        titles = dict(pledge.template.sections.values_list("pk", "title"))
        notes = [
            {"section": pk, "title": titles[pk], "text": normalize(text), "html": markdown_to_html(text)}
            for pk, text in sorted(section_comments.items(), key=lambda item: list(titles).index(item[0]))
            if pk in titles
        ]
        _bump(pledge, status=S.RETURNED)
        _event(pledge, actor, A.RETURNED, comment, notes, client_key=client_key, answers=_answers_kept(pledge))
        _notify(
            pledge.member,
            "pledge.returned",
            gettext_noop("Your %(year)d pledge was returned for revision."),
            {"year": pledge.year},
            _url(pledge),
        )
    return pledge


def pledge_reopen(*, pledge: Pledge, actor, reason: str, client_key: str = "") -> Pledge:
    if not permissions.can_reopen_pledge(actor, pledge):
        raise PermissionDenied
    if not reason.strip():
        raise PledgeRefused(_("Give the reason for reopening."))
    with transaction.atomic():
        pledge = _locked(pledge)
        if _transition_done(actor, client_key):
            return pledge
        if pledge.status != S.APPROVED:
            raise PledgeRefused(_("Only an approved pledge can be reopened."))
        _bump(pledge, status=S.RETURNED, approved_at=None)
        _event(pledge, actor, A.REOPENED, reason, client_key=client_key, answers=_answers_kept(pledge))
        _notify(
            pledge.member,
            "pledge.reopened",
            gettext_noop("Your %(year)d pledge was reopened for revision."),
            {"year": pledge.year},
            _url(pledge),
        )
    return pledge


def review_window_refusal(template: PledgeTemplate) -> str | None:
    """The one review-window rule: None while the year-end review may be written and sent
    today (inside [review_opens_on, review_closes_on]), else why not, for the user. The
    services refuse with it and the pledge page shows it instead of the form."""
    today = timezone.localdate()
    if not template.has_year_end_review:
        return _("This year's template has no year-end review.")
    if template.review_opens_on and today < template.review_opens_on:
        return _("The year-end review opens on %(date)s.") % {"date": template.review_opens_on.strftime("%d/%m/%Y")}
    if template.review_closes_on and today > template.review_closes_on:
        return _("The year-end review closed on %(date)s; it can no longer be written or sent.") % {
            "date": template.review_closes_on.strftime("%d/%m/%Y")
        }
    return None


def _review_open(pledge: Pledge) -> None:
    if (refusal := review_window_refusal(pledge.template)) is not None:
        raise PledgeRefused(refusal)


def pledge_review_save_draft(
    *,
    pledge: Pledge,
    actor,
    reviews: dict[int, str],
    proposed_rating: str,
    expected_version: int,
    client_token: str = "",
    client_seq: int = 0,
    client_key: str = "",
) -> Pledge:
    """Save the member's year-end self-review (per section) while the pledge is approved."""
    if not permissions.can_edit_pledge(actor, pledge):
        raise PermissionDenied
    if proposed_rating and proposed_rating not in Rating.values:
        raise PledgeRefused(_("Choose one of the four ratings."))
    with transaction.atomic():
        pledge = _locked(pledge)
        if _save_done(pledge, actor, client_key):
            return pledge
        if pledge.status != S.APPROVED:
            raise PledgeRefused(_("The year-end review is written after the pledge is approved, and only once."))
        _review_open(pledge)
        _check_version(pledge, expected_version, client_token, client_seq)
        rows = list(pledge.answers.all())
        for row in rows:
            if row.section_id in reviews:
                row.review_text = normalize(reviews[row.section_id])
                row.review_html = markdown_to_html(row.review_text)
        PledgeAnswer.objects.bulk_update(rows, ["review_text", "review_html"])
        _bump(
            pledge, proposed_rating=proposed_rating, save_token=client_token, save_seq=client_seq, save_key=client_key
        )
    return pledge


def pledge_review_submit(*, pledge: Pledge, actor, expected_version: int, client_key: str = "") -> Pledge:
    if not permissions.can_edit_pledge(actor, pledge):
        raise PermissionDenied
    with transaction.atomic():
        pledge = _locked(pledge)
        if _transition_done(actor, client_key):
            return pledge
        if pledge.status != S.APPROVED:
            raise PledgeRefused(_("The year-end review is written after the pledge is approved, and only once."))
        _review_open(pledge)
        _check_version(pledge, expected_version)
        errors = {
            pk: _("Write what you actually did.") for pk in pledge_missing(pledge, "review_text", check_length=False)
        }
        if not pledge.proposed_rating:
            errors["rating"] = _("Propose a rating.")
        if errors:
            raise PledgeIncomplete(_("Some parts of the self-review are missing."), errors)
        _bump(pledge, status=S.REVIEWED)
        _event(pledge, actor, A.REVIEWED, client_key=client_key)
        _notify_leaders(
            pledge, "pledge.reviewed", gettext_noop("%(name)s submitted the %(year)d year-end self-review.")
        )
    return pledge


def pledge_rate(*, pledge: Pledge, actor, rating: str, comment: str = "", client_key: str = "") -> Pledge:
    """The cell's rating; the year is then closed for this member."""
    _require_review(actor, pledge)
    if rating not in Rating.values:
        raise PledgeRefused(_("Choose one of the four ratings."))
    with transaction.atomic():
        pledge = _locked(pledge)
        if _transition_done(actor, client_key):
            return pledge
        expected = S.REVIEWED if pledge.template.has_year_end_review else S.APPROVED
        if pledge.status != expected:
            raise PledgeRefused(_("The rating is recorded after the member's year-end self-review."))
        _bump(
            pledge,
            status=S.RATED,
            rating=rating,
            rating_comment=normalize(comment),
            rating_comment_html=markdown_to_html(comment),
            rated_at=timezone.now(),
        )
        _event(pledge, actor, A.RATED, comment, client_key=client_key)
        _notify(
            pledge.member,
            "pledge.rated",
            gettext_noop("Your %(year)d rating: %(rating)s."),
            {"year": pledge.year, "rating": {"msgid": _untranslated(Rating(pledge.rating).label)}},
            _url(pledge),
        )
    return pledge


# --- A member moved to another cell ------------------------------------------------------------


def pledges_follow_move(*, actor, old: Membership, new: Membership) -> None:
    """Registered in cells.hooks.on_membership_moved; runs inside membership_move's transaction.

    The member's pledge of the current year, unless already rated, goes to the new cell: its
    leaders review and rate it from now on, the old cell's no longer see it, and the counts
    follow. A rated pledge (the year closed) and earlier years stay where they were decided."""
    pledges = Pledge.objects.select_for_update(of=("self",)).filter(
        member_id=old.user_id, cell_id=old.cell_id, year=timezone.localdate().year
    )
    for pledge in pledges.exclude(status=S.RATED).select_related("member"):
        _bump(pledge, cell=new.cell)
        comment = _("Moved from %(old)s to %(new)s.") % {"old": old.cell.name, "new": new.cell.name}
        _event(pledge, actor or pledge.member, A.MOVED, comment)


def _last_reminded(*, cell: OrgUnit, year: int) -> datetime.datetime | None:
    """The pledges' key for the reminder throttle (core.reminders): the cell and year."""
    return PledgeReminder.objects.filter(cell=cell, year=year).values_list("created_at", flat=True).first()


def pledges_remind_next_at(*, cell: OrgUnit, year: int) -> datetime.datetime | None:
    """When reminders for the cell and year may be sent again, or None if they may be now."""
    return reminders.next_at(_last_reminded(cell=cell, year=year))


def pledges_remind(*, actor, cell: OrgUnit, template: PledgeTemplate, client_key: str = "") -> int:
    """Remind the cell's active members whose pledge for the template's year is behind (not
    started, a draft, or returned: pledges.selectors.BEHIND) of its due date, never the leader
    who sends it. Once an hour per cell and year (core.reminders.RemindTooSoon otherwise). Returns how many."""
    if not permissions.can_remind_pledges(actor, cell):
        raise PermissionDenied
    with transaction.atomic():
        OrgUnit.objects.select_for_update().filter(pk=cell.pk).first()  # one round at a time per cell
        if client_key and (done := PledgeReminder.objects.filter(sent_by=actor, client_key=client_key).first()):
            return done.recipients  # this very click, sent again
        reminders.check(_last_reminded(cell=cell, year=template.year))
        recipients = [
            row.membership.user
            for row in selectors.cell_tracking(cell, template, template.year)
            if row.state in selectors.BEHIND and row.membership.user_id != actor.pk
        ]
        PledgeReminder.objects.create(
            cell=cell, year=template.year, sent_by=actor, recipients=len(recipients), client_key=client_key
        )
        for user in recipients:
            _notify(
                user,
                "pledge.reminder",
                gettext_noop("Reminder: your %(year)d pledge is due on %(date)s."),
                {"year": template.year, "date": template.due_on.strftime("%d/%m/%Y")},
                reverse("pledges:mine"),
            )
    return len(recipients)
