"""Every write to the forum. Whether the actor may act at all is decided by the caller with
forum.permissions; these functions check the rules of the data (a concluded session takes no
posts), write in one transaction, keep the moderation audit and publish events after commit.
"""

import datetime

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import User
from cells import tally
from cells.models import Membership, OrgUnit
from core import ratelimit, reminders
from core.events import group_name, publish_on_commit
from core.markup import markdown_to_html, normalize
from forum.models import (
    Absence,
    Attendance,
    Ballot,
    Flag,
    MeetingTally,
    Minutes,
    ModerationEvent,
    Motion,
    Post,
    PostRevision,
    Reaction,
    ReadState,
    SessionTally,
    Theme,
    Topic,
)
from forum.selectors import attendance_count, meeting_attendance, participation_reminded_at, post_by_key
from forum.text import fold, mentioned_usernames
from notifications.services import notification_send

MAX_POST_CHARS = 20_000
MAX_TITLE_CHARS = 200


def topic_group(topic_id: int) -> str:
    return group_name("forum-topic", topic_id)


def post_event(post: Post, event_type: str = "post.created") -> dict:
    """What sockets are told about a post. Carries `hidden` and `author_id` so a consumer can
    decide, per socket, whether its user may see it, and `seq`, the topic's change number,
    so a client can tell that it missed one (forum.consumers renders the post per reader)."""
    return {
        "type": event_type,
        "id": post.pk,
        "seq": post.seq,
        "topic": post.topic_id,
        "kind": post.kind,
        "author_id": post.author_id,
        "author": post.author.full_name or post.author.username,
        "html": post.body_html,
        "created_at": post.created_at.isoformat(),
        "time": timezone.localtime(post.created_at).strftime("%H:%M %d/%m/%Y"),
        "edited_at": post.edited_at.isoformat() if post.edited_at else None,
        "hidden": post.is_hidden,
        "agree_count": post.agree_count,
        "quoted_id": post.quoted_id,
    }


def _audit(
    topic: Topic, actor: User, action: str, detail: str = "", post: Post | None = None, client_key: str = ""
) -> None:
    ModerationEvent.objects.create(
        topic=topic, post=post, actor=actor, action=action, detail=detail[:500], client_key=client_key
    )


def _topic_event(topic: Topic) -> None:
    publish_on_commit(
        topic_group(topic.pk),
        {
            "type": "topic.state",
            "id": topic.pk,
            "state": topic.state,
            "locked": topic.is_locked,
            "pinned": topic.is_pinned,
        },
    )


def _clean_body(body: str) -> str:
    body = normalize(body or "").strip()
    if not body:
        raise ValidationError(_("Write something before sending."), code="empty")
    if len(body) > MAX_POST_CHARS:
        raise ValidationError(
            _("A post can be at most %(max)s characters long; this one has %(n)s.")
            % {"max": MAX_POST_CHARS, "n": len(body)},
            code="too_long",
        )
    return body


def _clean_title(title: str, limit: int = MAX_TITLE_CHARS) -> str:
    title = " ".join(normalize(title or "").split())
    if not title:
        raise ValidationError(_("Give the topic a title."), code="empty_title")
    if len(title) > limit:
        raise ValidationError(_("The title is too long."), code="long_title")
    return title


# --- Rate limit -----------------------------------------------------------------------------


def post_rate_check(*, user: User, client_key: str = "") -> int:
    """Count one post attempt; return 0 when allowed, else the seconds to wait.

    The shared fixed window (core.ratelimit), per member. Copies
    of one submission (its idempotency key, core.idempotency: a double tap, a retry) count
    once: a copy of a submission that was let through is let through again (the service
    stores it at most once); a refused one is counted afresh when it comes again."""
    limit, window = getattr(settings, "FORUM_POST_RATE", (6, 60))
    let_through = f"forum:rate:key:{user.pk}:{client_key}"
    if client_key and not cache.add(let_through, True, timeout=window + 1):
        return 0
    wait = ratelimit.hit(f"forum:post:{user.pk}", limit=limit, period=window)
    if client_key and wait:
        cache.delete(let_through)
    return wait


# --- One submission, once ---------------------------------------------------------------------
# A form's idempotency key (core.idempotency) is stored on the row the submission creates,
# unique per author. A service first looks for that row (a repeat: return it, change nothing),
# and if two identical requests race past the look-up, the constraint keeps one and the other
# returns it. The look-ups are by author, so another user's key never finds anyone else's row.


def _moderation_by_key(*, actor: User, client_key: str) -> ModerationEvent | None:
    if not client_key:
        return None
    return ModerationEvent.objects.filter(actor=actor, client_key=client_key).first()


# --- Themes and sessions --------------------------------------------------------------------


def theme_create(
    *,
    actor: User,
    committee: OrgUnit,
    year: int,
    title: str,
    description: str = "",
    order: int = 1,
    window_start: datetime.date | None = None,
    window_end: datetime.date | None = None,
    client_key: str = "",
) -> Theme:
    if committee.is_cell:
        raise ValidationError(_("Themes are set by a committee, not by a cell."))
    if window_start and window_end and window_end < window_start:
        raise ValidationError(_("The window must end after it starts."))

    def done() -> Theme | None:
        return Theme.objects.filter(created_by=actor, client_key=client_key).first() if client_key else None

    if theme := done():
        return theme
    try:
        with transaction.atomic():
            return Theme.objects.create(
                committee=committee,
                year=year,
                title=_clean_title(title, limit=400),
                description=normalize(description).strip(),
                order=order,
                window_start=window_start,
                window_end=window_end,
                created_by=actor,
                client_key=client_key,
            )
    except IntegrityError:  # the same submission, racing: the constraint kept the other
        if theme := done():
            return theme
        raise


def _next_seq(topic_id: int) -> int:
    """The topic's next change number, taken inside the change's transaction: the UPDATE
    holds the topic's row until the commit, so changes are numbered in commit order with
    no gaps. Callers lock the topic before any of its posts (one lock order, no deadlock)."""
    Topic.objects.filter(pk=topic_id).update(seq=F("seq") + 1)
    return Topic.objects.filter(pk=topic_id).values_list("seq", flat=True).get()


def _lock_topic(topic_id: int) -> None:
    """Lock the topic's row before any of its posts': the order every writer keeps."""
    list(Topic.objects.select_for_update().filter(pk=topic_id).values_list("pk", flat=True))


def _create_post(
    *, actor: User, topic: Topic, body: str, kind: str, quoted: Post | None = None, client_key: str = ""
) -> Post:
    body = _clean_body(body)
    if quoted is not None and quoted.topic_id != topic.pk:
        quoted = None
    seq = _next_seq(topic.pk)
    post = Post.objects.create(
        topic=topic,
        author=actor,
        kind=kind,
        body_source=body,
        body_html=markdown_to_html(body),
        search_text=fold(body),
        quoted=quoted,
        seq=seq,
        client_key=client_key,
    )
    Topic.objects.filter(pk=topic.pk).update(last_post_at=post.created_at)
    topic.last_post_at = post.created_at
    topic.seq = seq
    publish_on_commit(topic_group(topic.pk), post_event(post))
    _notify_mentions(actor=actor, topic=topic, post=post)
    return post


def _notify(user: User, *, kind: str, url: str, msgid: str, params: dict | None = None, email: bool = True) -> None:
    """Notify in the recipient's language, not the actor's: the `msgid` (gettext_noop) with
    its `params` is worded in each reader's language when shown, and in the recipient's when
    e-mailed and pushed (notification_send)."""
    notification_send(user=user, kind=kind, msgid=msgid, params=params, url=url, email=email)


def _notify_mentions(*, actor: User, topic: Topic, post: Post) -> None:
    names = mentioned_usernames(post.body_source)
    if not names:
        return
    members = User.objects.filter(
        memberships__cell_id=topic.cell_id, memberships__ended_on__isnull=True, username__in=names
    ).exclude(pk=actor.pk)
    url = reverse("forum:topic", args=[topic.pk]) + f"?post={post.pk}#p{post.pk}"
    for user in members:
        _notify(
            user,
            kind="forum.mention",
            msgid=gettext_noop("%(name)s mentioned you in “%(topic)s”"),
            params={"name": actor.full_name, "topic": topic.title},
            url=url,
        )


# --- Counters for the reports (cells.tally) ---------------------------------------------------


def _figures(topic: Topic) -> dict:
    """What the topic adds to the counters: {(model, key): {counter: n}}. A themed session
    counts only while its cell is under the committee that set the theme (a cell moved away
    in the tree takes it out of that theme's figures, as a module's audience does)."""
    if topic.kind == Topic.Kind.SESSION and topic.theme_id:
        if not topic.cell.path.startswith(topic.theme.committee.path):
            return {}
        held = topic.is_concluded
        return {(SessionTally, (("theme_id", topic.theme_id),)): {"held": int(held), "open": int(not held)}}
    if topic.kind == Topic.Kind.MEETING and topic.meeting_at is not None and topic.is_concluded:
        return {(MeetingTally, (("year", timezone.localtime(topic.meeting_at).year),)): {"held": 1}}
    return {}


def _count(topic: Topic, before: dict) -> None:
    """Move the counters of the topic's cell and the units above from `before` (the topic's
    _figures before the change) to what it adds now. Inside the change's transaction."""
    after = _figures(topic)
    for model in (SessionTally, MeetingTally):
        changes = []
        for key in {key for (m, key) in [*before, *after] if m is model}:
            old, new = before.get((model, key), {}), after.get((model, key), {})
            changes.append((dict(key), {name: new.get(name, 0) - old.get(name, 0) for name in old.keys() | new.keys()}))
        tally.bump(model, topic.cell, changes)


def tally_figures(cell_ids: tally.CellIds, kinds=(Topic.Kind.SESSION, Topic.Kind.MEETING)) -> dict:
    """{model: {(cell id, key values): counters}} for SessionTally and MeetingTally, from the
    topics of the cells (None: all); the one count the rebuild and a unit's move use."""
    per_model: dict = {SessionTally: {}, MeetingTally: {}}
    topics = (
        Topic.objects.filter(kind__in=kinds)
        .select_related("cell", "theme__committee")
        .only("cell__path", "kind", "theme__committee__path", "state", "meeting_at")
    )
    if cell_ids is not None:
        topics = topics.filter(cell_id__in=cell_ids)
    for topic in topics.iterator(chunk_size=5000):
        for (model, key), counters in _figures(topic).items():
            row = per_model[model].setdefault((topic.cell_id, tuple(v for _k, v in key)), {})
            for name, value in counters.items():
                row[name] = row.get(name, 0) + value
    return per_model


def session_figures(cell_ids: tally.CellIds) -> dict:
    return tally_figures(cell_ids, [Topic.Kind.SESSION])[SessionTally]


def meeting_figures(cell_ids: tally.CellIds) -> dict:
    return tally_figures(cell_ids, [Topic.Kind.MEETING])[MeetingTally]


def tally_rebuild() -> int:
    """Recount SessionTally and MeetingTally from the topics (manage.py recount_reports)."""
    per_model = tally_figures(None)
    return tally.rebuild(SessionTally, per_model[SessionTally], ("theme_id",)) + tally.rebuild(
        MeetingTally, per_model[MeetingTally], ("year",)
    )


def session_open(
    *,
    actor: User,
    cell: OrgUnit,
    theme: Theme,
    opening: str,
    meeting_at: datetime.datetime | None = None,
    place: str = "",
    online_url: str = "",
    agenda: str = "",
    chair: User | None = None,
    meeting_secretary: User | None = None,
    client_key: str = "",
) -> Topic:
    """Open the cell's themed session; the opening paper is its first post. Every member of
    the cell is notified, with the time, the place or link and the agenda."""
    if not cell.is_cell or not cell.path.startswith(theme.committee.path):
        raise ValidationError(_("This theme was not set for this cell."))
    if done := post_by_key(author=actor, client_key=client_key):
        return done.topic
    notice = _clean_notice(
        cell=cell, place=place, online_url=online_url, agenda=agenda, chair=chair, meeting_secretary=meeting_secretary
    )
    already = _("This theme's session has already been opened in this cell.")
    try:
        with transaction.atomic():
            if Topic.objects.select_for_update().filter(cell=cell, theme=theme).exists():
                if done := post_by_key(author=actor, client_key=client_key):
                    return done.topic  # opened by a copy of this request a moment ago
                raise ValidationError(already)
            topic = Topic.objects.create(
                cell=cell,
                kind=Topic.Kind.SESSION,
                theme=theme,
                title=theme.title,
                author=actor,
                meeting_at=meeting_at,
                **notice,
            )
            _create_post(actor=actor, topic=topic, body=opening, kind=Post.Kind.OPENING, client_key=client_key)
            _count(topic, {})
            _audit(topic, actor, ModerationEvent.Action.OPENED)
            _topic_event(topic)
            _notify_cell(actor=actor, topic=topic, kind="forum.meeting")
    except IntegrityError:  # opened at the same moment (PostgreSQL locks no row that is not there yet)
        if done := post_by_key(author=actor, client_key=client_key):
            return done.topic
        raise ValidationError(already) from None
    return topic


def session_conclude(*, actor: User, topic: Topic, conclusion: str, client_key: str = "") -> Topic:
    """Write the conclusion, lock posting and record the attendance. The minutes' PDF is made
    on each download (forum.minutes), never stored; their number is given now, once."""
    if not topic.is_meeting:
        raise ValidationError(_("Only a meeting is concluded."))
    with transaction.atomic():
        topic = (
            Topic.objects.select_for_update(of=("self",)).select_related("cell", "theme__committee").get(pk=topic.pk)
        )
        if post_by_key(author=actor, client_key=client_key):
            return topic  # this very conclusion, sent again
        if topic.is_concluded:
            raise ValidationError(_("This session has already been concluded."))
        # The cell's row now, before the counters below hold it shared (cells.tally): the
        # minutes' number is given under it at the end, and two conclusions that each held
        # it shared and then asked for it alone deadlocked.
        OrgUnit.objects.select_for_update().filter(pk=topic.cell_id).first()
        if topic.meeting_at and timezone.now() < topic.meeting_at:
            raise ValidationError(
                _("The meeting is scheduled for %(when)s: it cannot be concluded before it starts.")
                % {"when": _local(topic.meeting_at)},
                code="before_meeting",
            )
        _create_post(actor=actor, topic=topic, body=conclusion, kind=Post.Kind.CONCLUSION, client_key=client_key)
        before = _figures(topic)
        topic.state = Topic.State.CONCLUDED
        topic.concluded_at = timezone.now()
        topic.save(update_fields=["state", "concluded_at"])
        _count(topic, before)
        for motion in Motion.objects.select_for_update().filter(topic=topic, closed_at__isnull=True):
            _motion_close(actor=actor, motion=motion)  # a vote still open closes with the meeting
        # The roll as it stands becomes the record: a member who opens the minutes' topic later
        # (a read counts as taking part while the meeting runs) no longer turns present.
        rows = meeting_attendance(topic)
        Attendance.objects.bulk_create(
            [
                Attendance(topic=topic, user=row.user, status=row.status, reason=row.reason, updated_by=actor)
                for row in rows
                if not row.recorded
            ]
        )
        _minutes_save(topic, attendance_count(rows))
        _audit(topic, actor, ModerationEvent.Action.CONCLUDED)
        _topic_event(topic)
    return topic


def minutes_year(topic: Topic) -> int:
    """The year the minutes are numbered in: that of their date line (the meeting's time, else
    its conclusion, else its opening)."""
    return timezone.localtime(topic.meeting_at or topic.concluded_at or topic.created_at).year


def _minutes_save(topic: Topic, count) -> Minutes:
    """The minutes' counts; at the first conclusion also their number, the cell's next of the
    year (the cell's row is locked, so two meetings concluded at once never share one)."""
    counts = {"participants": count.present, "excused": count.excused, "absentees": count.away}
    minutes = Minutes.objects.filter(topic=topic).first()
    if minutes is not None:  # concluded again after a reopening: the number stays
        Minutes.objects.filter(pk=minutes.pk).update(**counts)
        return minutes
    OrgUnit.objects.select_for_update().filter(pk=topic.cell_id).first()
    year = minutes_year(topic)
    last = Minutes.objects.filter(cell_id=topic.cell_id, year=year).aggregate(last=Max("number"))["last"] or 0
    return Minutes.objects.create(
        topic=topic, cell_id=topic.cell_id, year=year, number=last + 1, created_at=timezone.now(), **counts
    )


def session_reopen(*, actor: User, topic: Topic, reason: str, client_key: str = "") -> Topic:
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError(_("Say why the session is reopened."))
    with transaction.atomic():
        topic = (
            Topic.objects.select_for_update(of=("self",)).select_related("cell", "theme__committee").get(pk=topic.pk)
        )
        if _moderation_by_key(actor=actor, client_key=client_key):
            return topic  # this very reopening, sent again
        if not topic.is_concluded:
            raise ValidationError(_("This session is not concluded."))
        before = _figures(topic)
        topic.state = Topic.State.OPEN
        topic.concluded_at = None
        topic.save(update_fields=["state", "concluded_at"])
        _count(topic, before)
        _audit(topic, actor, ModerationEvent.Action.REOPENED, reason, client_key=client_key)
        _topic_event(topic)
    return topic


# --- General topics -------------------------------------------------------------------------


def topic_create(*, actor: User, cell: OrgUnit, title: str, body: str, client_key: str = "") -> Topic:
    title = _clean_title(title)
    if done := post_by_key(author=actor, client_key=client_key):
        return done.topic
    try:
        with transaction.atomic():
            topic = Topic.objects.create(cell=cell, kind=Topic.Kind.GENERAL, title=title, author=actor)
            _create_post(actor=actor, topic=topic, body=body, kind=Post.Kind.REPLY, client_key=client_key)
    except IntegrityError:  # the same submission, racing: the constraint kept the other's topic
        if done := post_by_key(author=actor, client_key=client_key):
            return done.topic
        raise
    return topic


def topic_pin(*, actor: User, topic: Topic, pinned: bool) -> Topic:
    with transaction.atomic():
        topic.is_pinned = pinned
        topic.save(update_fields=["is_pinned"])
        _audit(topic, actor, ModerationEvent.Action.PINNED if pinned else ModerationEvent.Action.UNPINNED)
        _topic_event(topic)
    return topic


def topic_lock(*, actor: User, topic: Topic, locked: bool) -> Topic:
    with transaction.atomic():
        topic.is_locked = locked
        topic.save(update_fields=["is_locked"])
        _audit(topic, actor, ModerationEvent.Action.LOCKED if locked else ModerationEvent.Action.UNLOCKED)
        _topic_event(topic)
    return topic


# --- Posts ----------------------------------------------------------------------------------


def _require_open(topic: Topic) -> None:
    if topic.is_concluded:
        raise ValidationError(_("This session has been concluded: no more posts can be added."), code="concluded")
    if topic.is_locked:
        raise ValidationError(_("This topic is locked: no more posts can be added."), code="locked")


def post_create(*, actor: User, topic: Topic, body: str, quoted: Post | None = None, client_key: str = "") -> Post:
    """A reply. Sent again with the same key (core.idempotency), it returns the post stored
    the first time, even if the topic was locked meanwhile."""
    try:
        with transaction.atomic():
            topic = Topic.objects.select_for_update().get(pk=topic.pk)  # one reply at a time per topic
            if done := post_by_key(author=actor, client_key=client_key):
                return done
            _require_open(topic)
            return _create_post(
                actor=actor, topic=topic, body=body, kind=Post.Kind.REPLY, quoted=quoted, client_key=client_key
            )
    except IntegrityError:
        if done := post_by_key(author=actor, client_key=client_key):
            return done
        raise


def post_edit(*, actor: User, post: Post, body: str) -> Post:
    """The author rewrites a post; the previous text is kept as a revision."""
    body = _clean_body(body)
    with transaction.atomic():
        _lock_topic(post.topic_id)
        post = Post.objects.select_for_update(of=("self",)).select_related("topic", "author").get(pk=post.pk)
        _require_open(post.topic)
        if post.author_id != actor.pk:
            raise ValidationError(_("Only the author can edit a post."))
        if body == post.body_source:
            return post
        PostRevision.objects.create(
            post=post,
            body_source=post.body_source,
            body_html=post.body_html,
            written_at=post.edited_at or post.created_at,
        )
        post.body_source = body
        post.body_html = markdown_to_html(body)
        post.search_text = fold(body)
        post.edited_at = timezone.now()
        post.seq = _next_seq(post.topic_id)
        post.save(update_fields=["body_source", "body_html", "search_text", "edited_at", "seq"])
        publish_on_commit(topic_group(post.topic_id), post_event(post, "post.edited"))
    return post


def post_hide(*, actor: User, post: Post, reason: str) -> Post:
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError(_("Give a reason for hiding the post."))
    with transaction.atomic():
        _lock_topic(post.topic_id)
        post = Post.objects.select_for_update(of=("self",)).select_related("topic", "author").get(pk=post.pk)
        if post.is_hidden:
            return post
        post.hidden_at = timezone.now()
        post.hidden_by = actor
        post.hidden_reason = reason[:300]
        post.seq = _next_seq(post.topic_id)
        post.save(update_fields=["hidden_at", "hidden_by", "hidden_reason", "seq"])
        _audit(post.topic, actor, ModerationEvent.Action.HIDDEN, reason, post=post)
        publish_on_commit(topic_group(post.topic_id), post_event(post, "post.hidden"))
    return post


def reaction_toggle(*, actor: User, post: Post) -> bool:
    """Agree with a post, or take the agreement back. Returns whether the user now agrees."""
    return reaction_set(actor=actor, post=post, agree=None)


def reaction_set(*, actor: User, post: Post, agree: bool | None) -> bool:
    """Agree with a post (True) or take the agreement back (False); None toggles. The form
    says which, so a double tap or a retry leaves the state it asked for instead of undoing it.
    Returns whether the user now agrees."""
    with transaction.atomic():
        Post.objects.select_for_update().filter(pk=post.pk).values_list("pk", flat=True).first()  # one at a time
        exists = Reaction.objects.filter(post=post, user=actor, kind=Reaction.Kind.AGREE).exists()
        if agree is None:
            agree = not exists
        if agree == exists:
            return agree
        deleted, _rows = Reaction.objects.filter(post=post, user=actor, kind=Reaction.Kind.AGREE).delete()
        if deleted:
            Post.objects.filter(pk=post.pk).update(agree_count=F("agree_count") - 1)
            agrees = False
        else:
            Reaction.objects.create(post=post, user=actor, kind=Reaction.Kind.AGREE)
            Post.objects.filter(pk=post.pk).update(agree_count=F("agree_count") + 1)
            agrees = True
        count = Post.objects.filter(pk=post.pk).values_list("agree_count", flat=True).get()
        publish_on_commit(
            topic_group(post.topic_id),
            {"type": "reaction", "id": post.pk, "topic": post.topic_id, "kind": "agree", "count": count},
        )
    return agrees


def flag_create(*, actor: User, post: Post, reason: str) -> Flag:
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError(_("Say what is wrong with the post."))
    try:
        return _flag_create(actor=actor, post=post, reason=reason)
    except IntegrityError:  # reported twice at the same moment: one open flag per user is a constraint
        return Flag.objects.get(post=post, user=actor, resolved_at__isnull=True)


def _flag_create(*, actor: User, post: Post, reason: str) -> Flag:
    with transaction.atomic():
        existing = Flag.objects.filter(post=post, user=actor, resolved_at__isnull=True).first()
        if existing:
            return existing
        flag = Flag.objects.create(post=post, user=actor, reason=reason[:300])
        leaders = User.objects.filter(
            memberships__cell_id=post.topic.cell_id,
            memberships__ended_on__isnull=True,
            memberships__role__in=[Membership.Role.SECRETARY, Membership.Role.DEPUTY],
        )
        for leader in leaders:
            _notify(
                leader,
                kind="forum.flag",
                msgid=gettext_noop("A post in “%(topic)s” was reported"),
                params={"topic": post.topic.title},
                url=reverse("forum:flags"),
                email=False,
            )
    return flag


def flag_resolve(*, actor: User, flag: Flag, resolution: str) -> Flag:
    with transaction.atomic():
        flag = Flag.objects.select_for_update(of=("self",)).select_related("post__topic").get(pk=flag.pk)
        if flag.resolved_at is not None:
            return flag
        flag.resolved_at = timezone.now()
        flag.resolved_by = actor
        flag.resolution = " ".join((resolution or "").split())[:300]
        flag.save(update_fields=["resolved_at", "resolved_by", "resolution"])
        _audit(flag.post.topic, actor, ModerationEvent.Action.FLAG_RESOLVED, flag.resolution, post=flag.post)
    return flag


def read_state_mark(*, user: User, topic: Topic, post_id: int, last_read: int | None) -> None:
    """Move the user's read mark forward to post_id (never back): no query when it is there
    already, else one write (and, for an update, the read that tells which mark it moves).

    `last_read` is the mark the caller already read (None if the user never opened the topic)."""
    if last_read is None:
        ReadState.objects.bulk_create(
            [ReadState(user=user, topic=topic, last_read_post_id=post_id)], ignore_conflicts=True
        )
    elif last_read < post_id:
        ReadState.objects.filter(user=user, topic=topic, last_read_post_id__lt=post_id).update(
            last_read_post_id=post_id
        )
    # Both writes bump `read:<user>:<topic>` (forum.signals).


def participation_remind(*, actor: User, topic: Topic, client_key: str = "") -> int:
    """Remind every current member who has not posted in the session; returns how many.
    The same request sent again (its key) reminds nobody twice and returns the same count."""
    try:
        return _participation_remind(actor=actor, topic=topic, client_key=client_key)
    except IntegrityError:  # the same request, racing: the other one's round stands
        if done := _moderation_by_key(actor=actor, client_key=client_key):
            return int(done.detail or 0)
        raise


def _participation_remind(*, actor: User, topic: Topic, client_key: str) -> int:
    from forum.selectors import session_participation

    with transaction.atomic():
        # The cell's row, as courses and pledges lock it: two clicks at once (two tabs, the
        # secretary and the deputy) meet here, and the second finds the first's round.
        OrgUnit.objects.select_for_update().filter(pk=topic.cell_id).first()
        if done := _moderation_by_key(actor=actor, client_key=client_key):
            return int(done.detail or 0)
        reminders.check(participation_reminded_at(topic))  # the throttle's key: the session
        _posted, missing = session_participation(topic)
        url = reverse("forum:topic", args=[topic.pk])
        for membership in missing:
            _notify(
                membership.user,
                kind="forum.reminder",
                msgid=gettext_noop("Please take part in the discussion “%(topic)s”"),
                params={"topic": topic.title},
                url=url,
            )
        _audit(topic, actor, ModerationEvent.Action.REMINDED, str(len(missing)), client_key=client_key)
    return len(missing)


# --- Meetings: notice, absence, attendance, votes -------------------------------------------
# A monthly meeting is a Topic of kind MEETING, a themed session one of kind SESSION: both
# carry the notice (time, place or online link, agenda), the chair and the meeting's
# secretary, the attendance, the votes and the minutes; the discussion, the socket and the
# conclusion are the topic's.

MAX_AGENDA_CHARS = 5_000


def _local(value: datetime.datetime) -> str:
    return timezone.localtime(value).strftime("%H:%M %d/%m/%Y")


def _cell_user(cell: OrgUnit, user: User | None, what: str) -> User | None:
    if user is None:
        return None
    if not Membership.objects.filter(user=user, cell=cell, ended_on__isnull=True).exists():
        raise ValidationError(_("The %(what)s must be a member of the cell.") % {"what": what})
    return user


def _clean_notice(
    *, cell: OrgUnit, place: str, online_url: str, agenda: str, chair: User | None, meeting_secretary: User | None
) -> dict:
    place = " ".join(normalize(place or "").split())
    if len(place) > 300:
        raise ValidationError(_("The place is too long."))
    online_url = (online_url or "").strip()
    if online_url:
        try:
            URLValidator(schemes=["http", "https"])(online_url)
        except ValidationError:
            raise ValidationError(_("The online meeting link must be a web address (https://…).")) from None
        if len(online_url) > 500:
            raise ValidationError(_("The online meeting link is too long."))
    agenda = normalize(agenda or "").strip()
    if len(agenda) > MAX_AGENDA_CHARS:
        raise ValidationError(_("The agenda is too long."))
    return {
        "place": place,
        "online_url": online_url,
        "agenda": agenda,
        "chair": _cell_user(cell, chair, _("chair")),
        "meeting_secretary": _cell_user(cell, meeting_secretary, _("meeting secretary")),
    }


MAX_NOTICE_AGENDA_CHARS = 400  # the notice is cut at 500 characters when shown


def meeting_notice(topic: Topic) -> dict:
    """The notice's pieces (what, when, where, and the agenda's first lines) as message ids
    and parameters, so that each reader reads it in their own language when it is shown
    (notifications.models.render)."""
    parts: list = [topic.title]
    if topic.meeting_at:
        parts.append({"msgid": gettext_noop("Time: %(when)s"), "params": {"when": _local(topic.meeting_at)}})
    if topic.place:
        parts.append({"msgid": gettext_noop("Place: %(place)s"), "params": {"place": topic.place}})
    if topic.online_url:
        parts.append({"msgid": gettext_noop("Online: %(url)s"), "params": {"url": topic.online_url}})
    if topic.agenda:
        agenda = " ".join(topic.agenda.split())[:MAX_NOTICE_AGENDA_CHARS]
        parts.append({"msgid": gettext_noop("Agenda: %(agenda)s"), "params": {"agenda": agenda}})
    return {"parts": parts, "sep": ". "}


def _notify_cell(*, actor: User, topic: Topic, kind: str, changed: bool = False) -> None:
    """Every active member of the cell but the actor hears of the meeting, live and by e-mail
    as each member's preferences say (notification_send), each in their own language."""
    members = User.objects.filter(
        memberships__cell_id=topic.cell_id, memberships__ended_on__isnull=True, is_active=True
    ).exclude(pk=actor.pk)
    url = reverse("forum:topic", args=[topic.pk])
    msgid = gettext_noop("Meeting changed: %(notice)s") if changed else gettext_noop("Meeting notice: %(notice)s")
    params = {"notice": meeting_notice(topic)}
    for user in members:
        _notify(user, kind=kind, msgid=msgid, params=params, url=url)


def meeting_schedule(
    *,
    actor: User,
    cell: OrgUnit,
    title: str,
    meeting_at: datetime.datetime,
    place: str = "",
    online_url: str = "",
    agenda: str = "",
    chair: User | None = None,
    meeting_secretary: User | None = None,
    client_key: str = "",
) -> Topic:
    """Schedule the cell's monthly meeting and notify every member. Sent again with the same
    key (core.idempotency), it returns the meeting scheduled the first time."""
    if not cell.is_cell:
        raise ValidationError(_("Only a cell holds a meeting."))
    if meeting_at is None:
        raise ValidationError(_("Give the meeting's date and time."))
    title = _clean_title(title)
    notice = _clean_notice(
        cell=cell, place=place, online_url=online_url, agenda=agenda, chair=chair, meeting_secretary=meeting_secretary
    )
    if done := _moderation_by_key(actor=actor, client_key=client_key):
        return done.topic
    try:
        with transaction.atomic():
            topic = Topic.objects.create(
                cell=cell, kind=Topic.Kind.MEETING, title=title, author=actor, meeting_at=meeting_at, **notice
            )
            _audit(topic, actor, ModerationEvent.Action.SCHEDULED, _local(meeting_at), client_key=client_key)
            _notify_cell(actor=actor, topic=topic, kind="forum.meeting")
    except IntegrityError:
        if done := _moderation_by_key(actor=actor, client_key=client_key):
            return done.topic
        raise
    return topic


def meeting_update(
    *,
    actor: User,
    topic: Topic,
    meeting_at: datetime.datetime | None,
    place: str = "",
    online_url: str = "",
    agenda: str = "",
    chair: User | None = None,
    meeting_secretary: User | None = None,
) -> Topic:
    """Change the notice, the chair or the meeting's secretary. A new time, place or link is
    announced to every member again; every change is in the topic's history."""
    if not topic.is_meeting:
        raise ValidationError(_("Only a meeting has a notice."))
    notice = _clean_notice(
        cell=topic.cell,
        place=place,
        online_url=online_url,
        agenda=agenda,
        chair=chair,
        meeting_secretary=meeting_secretary,
    )
    if topic.kind == Topic.Kind.MEETING and meeting_at is None:
        raise ValidationError(_("Give the meeting's date and time."))
    with transaction.atomic():
        topic = (
            Topic.objects.select_for_update(of=("self",)).select_related("cell", "theme__committee").get(pk=topic.pk)
        )
        announced = (topic.meeting_at, topic.place, topic.online_url)
        changed = [
            name for name, value in {**notice, "meeting_at": meeting_at}.items() if getattr(topic, name) != value
        ]
        if not changed:
            return topic
        before = _figures(topic)
        for name in changed:
            setattr(topic, name, {**notice, "meeting_at": meeting_at}[name])
        topic.save(update_fields=changed)
        _count(topic, before)  # a concluded meeting moved to another year
        _audit(topic, actor, ModerationEvent.Action.MEETING_CHANGED, ", ".join(changed))
        if not topic.is_concluded and announced != (topic.meeting_at, topic.place, topic.online_url):
            _notify_cell(actor=actor, topic=topic, kind="forum.meeting", changed=True)
    return topic


def absence_declare(*, actor: User, topic: Topic, reason: str, client_key: str = "") -> Absence:
    """A member says beforehand that they cannot attend, and why. Saying it again replaces the reason."""
    reason = " ".join(normalize(reason or "").split())
    if not reason:
        raise ValidationError(_("Say why you cannot attend."))
    if len(reason) > 300:
        raise ValidationError(_("The reason can be at most 300 characters long."))
    if not topic.is_meeting:
        raise ValidationError(_("Only a meeting takes notice of absence."))
    with transaction.atomic():
        topic = Topic.objects.select_for_update().get(pk=topic.pk)
        if topic.is_concluded:
            raise ValidationError(_("This meeting has been concluded."))
        absence, _created = Absence.objects.update_or_create(
            topic=topic, user=actor, defaults={"reason": reason, "client_key": client_key}
        )
    return absence


def absence_withdraw(*, actor: User, topic: Topic) -> None:
    with transaction.atomic():
        topic = Topic.objects.select_for_update().get(pk=topic.pk)
        if topic.is_concluded:
            raise ValidationError(_("This meeting has been concluded."))
        Absence.objects.filter(topic=topic, user=actor).delete()


def attendance_record(*, actor: User, topic: Topic, entries: dict[int, tuple[str, str]], client_key: str = "") -> int:
    """The secretary's roll call: {user id: (status, reason)} for members of the meeting's
    cell. Returns how many rows changed. Every change is kept in the topic's history with the
    old and new value, marked when it is made after the meeting was concluded."""
    from forum.selectors import members_at

    statuses = set(Attendance.Status.values)
    with transaction.atomic():
        topic = Topic.objects.select_for_update(of=("self",)).select_related("cell").get(pk=topic.pk)
        if _moderation_by_key(actor=actor, client_key=client_key):
            return 0  # this very roll call, sent again
        members = {m.user_id: m.user for m in members_at(topic)}
        stored = {a.user_id: a for a in Attendance.objects.select_for_update().filter(topic=topic)}
        changes = []
        for user_id, (status, reason) in entries.items():
            user = members.get(user_id)
            if user is None:
                raise ValidationError(_("Only members of the cell are on the roll."))
            if status not in statuses:
                raise ValidationError(_("Choose present, absent with a reason or absent without one."))
            reason = " ".join(normalize(reason or "").split())[:300]
            if status == Attendance.Status.EXCUSED and not reason:
                raise ValidationError(
                    _("Give the reason for %(name)s's absence, or mark it as without a reason.")
                    % {"name": user.full_name}
                )
            if status == Attendance.Status.PRESENT:
                reason = ""
            old = stored.get(user_id)
            if old is not None and (old.status, old.reason) == (status, reason):
                continue
            if old is None:
                Attendance.objects.create(topic=topic, user=user, status=status, reason=reason, updated_by=actor)
            else:
                old.status, old.reason, old.updated_by = status, reason, actor
                old.save(update_fields=["status", "reason", "updated_by", "updated_at"])
            label = Attendance.Status(status).label
            was = Attendance.Status(old.status).label if old else "—"
            changes.append(f"{user.full_name}: {was} → {label}{f' ({reason})' if reason else ''}")
        if changes:
            prefix = _("After the conclusion: ") if topic.is_concluded else ""
            _audit(topic, actor, ModerationEvent.Action.ATTENDANCE, prefix + "; ".join(changes), client_key=client_key)
        if topic.is_concluded and changes:
            _minutes_save(topic, attendance_count(meeting_attendance(topic)))
    return len(changes)


def default_options() -> list[str]:
    return [_("For"), _("Against"), _("Abstain")]


def motion_open(
    *,
    actor: User,
    topic: Topic,
    text: str,
    options: list[str] | None = None,
    secret: bool = False,
    client_key: str = "",
) -> Motion:
    """The meeting's secretary puts a motion to the vote during the meeting."""
    text = " ".join(normalize(text or "").split())
    if not text:
        raise ValidationError(_("Write the motion to be voted on."))
    if len(text) > 1000:
        raise ValidationError(_("The motion can be at most 1000 characters long."))
    options = [" ".join(normalize(o).split())[:100] for o in (options or []) if o and o.strip()]
    options = options or default_options()
    if len(options) < 2 or len(options) > 10 or len(set(options)) != len(options):
        raise ValidationError(_("Give between 2 and 10 different options."))
    if not topic.is_meeting:
        raise ValidationError(_("Votes are held in a meeting."))

    def done() -> Motion | None:
        return Motion.objects.filter(opened_by=actor, client_key=client_key).first() if client_key else None

    if motion := done():
        return motion
    try:
        with transaction.atomic():
            topic = Topic.objects.select_for_update().get(pk=topic.pk)
            if topic.is_concluded:
                raise ValidationError(_("This meeting has been concluded: no vote can be opened."))
            motion = Motion.objects.create(
                topic=topic,
                text=text,
                options=options,
                counts=[0] * len(options),
                secret=secret,
                opened_by=actor,
                client_key=client_key,
            )
            _audit(topic, actor, ModerationEvent.Action.MOTION_OPENED, text)
            publish_on_commit(topic_group(topic.pk), _motion_event(motion, "motion.opened", voted=0))
    except IntegrityError:
        if motion := done():
            return motion
        raise
    return motion


def _motion_event(motion: Motion, kind: str, *, voted: int) -> dict:
    """What sockets hear of a vote: the counts only when they may be shown (an open ballot,
    or a secret one once closed); of a secret ballot in progress, only how many have voted."""
    event = {"type": kind, "id": motion.pk, "topic": motion.topic_id, "voted": voted, "closed": motion.is_closed}
    if not motion.secret or motion.is_closed:
        event["counts"] = list(motion.counts)
    return event


def ballot_cast(*, actor: User, motion: Motion, choice: int, client_key: str = "") -> Ballot:
    """One member's vote. Refused (ValidationError, a clear message) when the motion is
    closed, the member already voted, is not an active member of the cell or was recorded
    absent. For a secret ballot the choice is added to the counts and never stored with the
    voter: the Ballot row keeps only that they voted."""
    with transaction.atomic():
        motion = Motion.objects.select_for_update(of=("self",)).select_related("topic").get(pk=motion.pk)
        existing = Ballot.objects.filter(motion=motion, user=actor).first()
        if existing is not None and client_key and existing.client_key == client_key:
            return existing  # this very vote, sent again
        if not Membership.objects.filter(user=actor, cell_id=motion.topic.cell_id, ended_on__isnull=True).exists():
            raise ValidationError(_("Only members of this cell can vote on its motions."), code="outsider")
        if motion.is_closed:
            raise ValidationError(_("Voting on this motion has closed."), code="closed")
        if existing is not None:
            raise ValidationError(_("You have already voted on this motion."), code="twice")
        if type(choice) is not int or not 0 <= choice < len(motion.options):
            raise ValidationError(_("Choose one of the options."), code="choice")
        absent = Attendance.objects.filter(
            topic_id=motion.topic_id, user=actor, status__in=[Attendance.Status.EXCUSED, Attendance.Status.ABSENT]
        ).exists()
        if absent:
            raise ValidationError(_("You are recorded as absent from this meeting, so you cannot vote."), code="absent")
        ballot = Ballot.objects.create(
            motion=motion, user=actor, choice=None if motion.secret else choice, client_key=client_key
        )
        counts = list(motion.counts) + [0] * (len(motion.options) - len(motion.counts))
        counts[choice] += 1
        motion.counts = counts
        motion.save(update_fields=["counts"])
        voted = Ballot.objects.filter(motion=motion).count()
        publish_on_commit(topic_group(motion.topic_id), _motion_event(motion, "motion.tally", voted=voted))
    return ballot


def _motion_close(*, actor: User, motion: Motion) -> Motion:
    motion.closed_at = timezone.now()
    motion.save(update_fields=["closed_at"])
    _audit(motion.topic, actor, ModerationEvent.Action.MOTION_CLOSED, motion.text)
    voted = Ballot.objects.filter(motion=motion).count()
    publish_on_commit(topic_group(motion.topic_id), _motion_event(motion, "motion.closed", voted=voted))
    return motion


def motion_close(*, actor: User, motion: Motion) -> Motion:
    """Close the vote: a secret ballot's counts are shown from now on. Closing twice changes nothing."""
    with transaction.atomic():
        motion = Motion.objects.select_for_update(of=("self",)).select_related("topic").get(pk=motion.pk)
        if motion.is_closed:
            return motion
        return _motion_close(actor=actor, motion=motion)
