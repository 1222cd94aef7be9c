"""Every read of the forum that depends on who asks. Query counts do not grow with rows."""

import hashlib
from array import array
from bisect import bisect_left, bisect_right
from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import Count, F, Min, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone, translation

from accounts.models import User
from cells.models import Membership, OrgUnit
from core.cache import table_generation, versioned
from forum import permissions
from forum.models import (
    Absence,
    Attendance,
    Ballot,
    Flag,
    ModerationEvent,
    Motion,
    Post,
    PostRevision,
    Reaction,
    ReadState,
    Theme,
    Topic,
)
from forum.rendering import PostPieces, assemble, build_pieces
from forum.text import fold

POSTS_PER_PAGE = 50
TOPICS_PER_PAGE = 30
SEARCH_LIMIT = 50
CATCH_UP_LIMIT = 1000
# What the topic page shows of a post, its author and its quote; nothing else is loaded.
PAGE_FIELDS = (
    "id",
    "topic_id",
    "author_id",
    "kind",
    "body_html",
    "quoted_id",
    "agree_count",
    "created_at",
    "edited_at",
    "hidden_at",
    "hidden_reason",
    "seq",
    "author__full_name",
    "author__username",
    "quoted__body_source",
    "quoted__hidden_at",
    "quoted__author_id",
    "quoted__author__full_name",
)


def themes_for_cell(cell: OrgUnit) -> QuerySet[Theme]:
    """Themes set by any committee above the cell."""
    return Theme.objects.filter(committee__path__in=permissions.ancestor_paths(cell.path)[:-1])


def post_by_key(*, author, client_key: str) -> Post | None:
    """The post a submission with this idempotency key (core.idempotency) stored, if any:
    the author's own only, so another user's key never finds it."""
    if not client_key:
        return None
    return Post.objects.filter(author=author, client_key=client_key).select_related("topic").first()


def visible_posts(user_id: int, topic_id: int, moderator: bool) -> QuerySet[Post]:
    """Posts of a topic this user sees: hidden ones only for their author and the leaders.
    (`_visible_ids` applies the same rule to the topic's cached ids.)"""
    return Post.objects.filter(permissions.visible_posts_q(user_id, moderator), topic_id=topic_id)


def _with_unread(qs: QuerySet[Topic], user) -> QuerySet[Topic]:
    last_read = Subquery(ReadState.objects.filter(user=user, topic=OuterRef("pk")).values("last_read_post_id")[:1])
    shown = Q(posts__hidden_at__isnull=True)
    return qs.annotate(
        last_read=Coalesce(last_read, Value(0)),
        post_count=Count("posts", filter=shown),
        unread=Count("posts", filter=shown & Q(posts__id__gt=F("last_read"))),
        first_unread=Min("posts__id", filter=shown & Q(posts__id__gt=F("last_read"))),
    )


@dataclass
class ThemeRow:
    theme: Theme
    session: Topic | None

    @property
    def unread(self) -> int:
        return self.session.unread if self.session else 0


def cell_forum(user, cell: OrgUnit, page_number: str | int | None = None) -> dict:
    """The cell's forum front page: every theme with its session state, and general topics."""
    themes = list(themes_for_cell(cell).select_related("committee"))
    sessions = {
        t.theme_id: t
        for t in _with_unread(Topic.objects.filter(cell=cell, kind=Topic.Kind.SESSION), user).order_by("id")
    }
    topics = _with_unread(
        Topic.objects.filter(cell=cell, kind=Topic.Kind.GENERAL).select_related("author"), user
    ).order_by("-is_pinned", F("last_post_at").desc(nulls_last=True), "-id")
    page = Paginator(topics, TOPICS_PER_PAGE).get_page(page_number)
    meetings = Topic.objects.filter(cell=cell, kind=Topic.Kind.MEETING).order_by("-meeting_at", "-id")
    return {
        "theme_rows": [ThemeRow(theme=t, session=sessions.get(t.pk)) for t in themes],
        "topics": page,
        "meetings": list(meetings[:MEETINGS_LISTED]),
    }


MEETINGS_LISTED = 12  # the last year of monthly meetings on the forum's front page


PAGE_TIMEOUT = 600  # seconds a topic's cached ids and pieces live without being read again


@dataclass
class TopicPage:
    page: Page  # a page of the ids the reader sees
    pieces: tuple[PostPieces, ...]
    last_read: int | None  # the reader's read mark before this view (None: never opened)

    @property
    def last_id(self) -> int:
        return self.pieces[-1].id if self.pieces else 0


def topic_by_id(pk: int) -> Topic | None:
    """A topic with its cell, theme, chair and meeting secretary, from the cache under the
    topic's generation, the organisation's and the names' (`people`)."""

    def load() -> Topic | None:
        try:  # get(), not first(): no ORDER BY to compile from the topics' default ordering
            return Topic.objects.select_related("cell", "theme", "chair", "meeting_secretary").get(pk=pk)
        except Topic.DoesNotExist:
            return None

    return versioned(f"forum:topic:{pk}", (f"topic:{pk}", "org", "people"), load, PAGE_TIMEOUT)


def read_mark(user_id: int, topic_id: int) -> int | None:
    """The last post the user has read in the topic (None if they never opened it)."""

    def load() -> int | None:
        return (
            ReadState.objects.filter(user_id=user_id, topic_id=topic_id)
            .values_list("last_read_post_id", flat=True)
            .first()
        )

    return versioned(f"forum:read:{user_id}:{topic_id}", (f"read:{user_id}:{topic_id}",), load, PAGE_TIMEOUT)


def _topic_ids(topic_id: int) -> dict:
    """Every post id of the topic in order, and who wrote the hidden ones."""

    def load() -> dict:
        rows = list(Post.objects.filter(topic_id=topic_id).order_by("id").values_list("id", "author_id", "hidden_at"))
        hidden = {pk: author for pk, author, hidden_at in rows if hidden_at is not None}
        return {
            "all": tuple(pk for pk, _author, _hidden in rows),
            "public": tuple(pk for pk, _author, hidden_at in rows if hidden_at is None),
            "hidden": hidden,
            "hidden_authors": frozenset(hidden.values()),
        }

    return versioned(f"forum:ids:{topic_id}", (f"topic:{topic_id}",), load, PAGE_TIMEOUT)


def _visible_ids(user_id: int, topic_id: int, moderator: bool) -> tuple[int, ...]:
    """The ids `visible_posts` would give, from the topic's cached ids."""
    return _visible_among(_topic_ids(topic_id), user_id, moderator)


def _visible_among(ids: dict, user_id: int, moderator: bool) -> tuple[int, ...]:
    """permissions.may_see_post over the topic's ids (the first two answers are shortcuts
    of that rule: a leader sees all; a reader who wrote no hidden post sees the public ones)."""
    if moderator:
        return ids["all"]
    if user_id not in ids["hidden_authors"]:
        return ids["public"]
    hidden = ids["hidden"]
    return tuple(
        pk
        for pk in ids["all"]
        if permissions.may_see_post(hidden=pk in hidden, author_id=hidden.get(pk), user_id=user_id, moderator=moderator)
    )


def _pieces(topic: Topic, ids: list[int], page_number: int) -> tuple[PostPieces, ...]:
    """The shared HTML of these posts, cached per topic version, language and people's names."""
    if not ids:
        return ()

    def load() -> tuple[PostPieces, ...]:
        posts = list(
            Post.objects.filter(pk__in=ids).select_related("author", "quoted__author").only(*PAGE_FIELDS).order_by("id")
        )
        agreers: dict[int, set[int]] = {}
        for post_id, user_id in Reaction.objects.filter(post_id__in=ids, kind=Reaction.Kind.AGREE).values_list(
            "post_id", "user_id"
        ):
            agreers.setdefault(post_id, set()).add(user_id)
        agreed = {pk: frozenset(users) for pk, users in agreers.items()}
        return tuple(build_pieces(posts, agreed, accepts_posts=topic.accepts_posts, page_number=page_number))

    digest = hashlib.blake2b(array("q", ids).tobytes(), digest_size=12).hexdigest()
    key = f"forum:pieces:{topic.pk}:{translation.get_language()}:{page_number}:{digest}"
    # Mentions show the names of the cell's members: a membership change renders them again.
    gens = (f"topic:{topic.pk}", "people", table_generation("cells_membership"))
    return versioned(key, gens, load, PAGE_TIMEOUT)


def topic_page(
    user, topic: Topic, *, moderator: bool, page_number: str | None = None, post_id: int | None = None
) -> TopicPage:
    """One page of a topic's posts as this reader sees them.

    Without a page number the page holding the first unread post is shown. Everything comes
    from the cache while the topic is unchanged; when it has changed, a fixed number of
    queries whatever the topic's length: read mark, ids, the page's posts and reactions."""
    last_read = read_mark(user.pk, topic.pk)
    ids = _visible_ids(user.pk, topic.pk, moderator)
    anchor = None
    if post_id is not None:
        anchor = post_id - 1
    elif page_number is None and last_read is not None:
        anchor = last_read
    if anchor is not None:
        page_number = str(bisect_right(ids, anchor) // POSTS_PER_PAGE + 1)
    page = Paginator(ids, POSTS_PER_PAGE).get_page(page_number)
    return TopicPage(page=page, pieces=_pieces(topic, list(page.object_list), page.number), last_read=last_read)


class LivePosts:
    """Posts of one topic as its page shows them, for the sockets of one process.

    Loaded once (two queries, plus the topic's cached ids) however many sockets of the topic
    the process holds; `article` then gives each reader the post's HTML exactly as the page
    would assemble it for them (forum.rendering), building the shared pieces once per page
    number and language. A reader who may not see a post gets None."""

    def __init__(self, topic_id: int, post_ids: list[int]) -> None:
        topic = topic_by_id(topic_id)
        self.accepts_posts = topic.accepts_posts if topic else False
        self.posts = {
            post.pk: post
            for post in Post.objects.filter(pk__in=post_ids, topic_id=topic_id)
            .select_related("author", "quoted__author")
            .only(*PAGE_FIELDS)
        }
        agreers: dict[int, set[int]] = {}
        reactions = Reaction.objects.filter(post_id__in=list(self.posts), kind=Reaction.Kind.AGREE)
        for post_id, user_id in reactions.values_list("post_id", "user_id"):
            agreers.setdefault(post_id, set()).add(user_id)
        self.agreers = {pk: frozenset(users) for pk, users in agreers.items()}
        self.ids = _topic_ids(topic_id)
        self._pieces: dict[tuple, PostPieces] = {}

    def article(self, post_id: int, *, user_id: int, moderator: bool, csrf_token: str = "") -> str | None:
        post = self.posts.get(post_id)
        if post is None or not permissions.may_see_post(
            hidden=post.hidden_at is not None, author_id=post.author_id, user_id=user_id, moderator=moderator
        ):
            return None
        visible = _visible_among(self.ids, user_id, moderator)
        page_number = bisect_left(visible, post_id) // POSTS_PER_PAGE + 1
        key = (post_id, page_number, translation.get_language())
        piece = self._pieces.get(key)
        if piece is None:
            piece = self._pieces[key] = build_pieces(
                [post], self.agreers, accepts_posts=self.accepts_posts, page_number=page_number
            )[0]
        return str(assemble((piece,), user_id=user_id, moderator=moderator, csrf_token=csrf_token))


def changes_after(topic_id: int, after_seq: int) -> tuple[int, list[int], bool]:
    """(the topic's last change number, the posts changed after `after_seq` in change order,
    whether more remain): what a client that has every change up to `after_seq` lacks.

    The head is read first: every change up to it has committed (changes are numbered under
    the topic's row lock), so the posts read next show all of them."""
    head = Topic.objects.filter(pk=topic_id).values_list("seq", flat=True).first() or 0
    rows = list(
        Post.objects.filter(topic_id=topic_id, seq__gt=after_seq)
        .order_by("seq")
        .values_list("id", flat=True)[: CATCH_UP_LIMIT + 1]
    )
    return head, rows[:CATCH_UP_LIMIT], len(rows) > CATCH_UP_LIMIT


def posts_after(user_id: int, topic_id: int, after_id: int, *, moderator: bool) -> list[Post]:
    """Posts of a topic after `after_id`, oldest first: what a reconnecting socket missed."""
    qs = visible_posts(user_id, topic_id, moderator).filter(id__gt=after_id).select_related("author")
    return list(qs.order_by("id")[:CATCH_UP_LIMIT])


def moderation_log(topic: Topic) -> list[ModerationEvent]:
    """The topic's audit trail, newest first, for its leaders."""
    return list(topic.moderation_events.select_related("actor").order_by("-id")[:50])


def post_revisions(post: Post) -> QuerySet[PostRevision]:
    return post.revisions.order_by("id")


def search_posts(user, roles: permissions.Roles, query: str) -> list[Post]:
    """Posts in the user's own cell whose text has every word of the query, ignoring case and
    Vietnamese diacritics."""
    words = fold(query).split()[:8]
    if roles.membership is None or not words:
        return []
    moderator = permissions.can_moderate_forum(user, roles.membership.cell, roles)
    qs = Post.objects.filter(permissions.visible_posts_q(user.pk, moderator), topic__cell_id=roles.cell_id)
    for word in words:
        qs = qs.filter(search_text__contains=word)
    return list(qs.select_related("author", "topic").order_by("-id")[:SEARCH_LIMIT])


def flags_open(cell: OrgUnit) -> QuerySet[Flag]:
    return (
        Flag.objects.filter(post__topic__cell=cell, resolved_at__isnull=True)
        .select_related("post__author", "post__topic", "user")
        .order_by("id")
    )


def flags_open_count(cell: OrgUnit) -> int:
    return Flag.objects.filter(post__topic__cell=cell, resolved_at__isnull=True).count()


def mention_candidates(cell_id: int) -> list[tuple[str, str]]:
    """(login, name) of the active members of the cell, by name: whom `@` offers."""
    rows = Membership.objects.filter(cell_id=cell_id, ended_on__isnull=True, user__is_active=True)
    return list(rows.order_by("user__sort_name").values_list("user__username", "user__full_name").distinct())


def members_at(topic: Topic) -> QuerySet[Membership]:
    """Members of the session's cell when it was concluded (or now, while it is open)."""
    qs = Membership.objects.filter(cell_id=topic.cell_id).select_related("user")
    if topic.concluded_at is None:
        return qs.filter(ended_on__isnull=True)
    day = timezone.localdate(topic.concluded_at)
    return qs.filter(started_on__lte=day).filter(Q(ended_on__isnull=True) | Q(ended_on__gt=day))


def session_participation(topic: Topic) -> tuple[list[User], list[Membership]]:
    """(who posted, which members did not): two queries."""
    author_ids = set(Post.objects.filter(topic=topic).values_list("author_id", flat=True).distinct())
    members = list(members_at(topic).order_by("user__sort_name"))
    member_ids = {m.user_id for m in members}
    posted = [m.user for m in members if m.user_id in author_ids]
    others = author_ids - member_ids
    if others:
        posted += list(User.objects.filter(pk__in=others).order_by("sort_name"))
    missing = [m for m in members if m.user_id not in author_ids]
    return posted, missing


def themes_authored(user, roles: permissions.Roles) -> QuerySet[Theme]:
    return Theme.objects.filter(committee__in=permissions.units_overseen(user, roles)).select_related("committee")


# --- For the reports app: states and participation, never content -----------------------------


def themes_for_unit(unit: OrgUnit, year: int | None = None) -> list[Theme]:
    """Themes of the year (or of every year) that reach the unit or anything under it: set at
    or above it, or by a committee inside its subtree. One query."""
    themes = Theme.objects.filter(
        Q(committee__path__in=permissions.ancestor_paths(unit.path)) | Q(committee__path__startswith=unit.path)
    )
    if year is not None:
        themes = themes.filter(year=year)
    return list(themes.select_related("committee").order_by("committee__path", "order", "id"))


def theme_years_for_unit(unit: OrgUnit) -> set[int]:
    qs = Theme.objects.filter(
        Q(committee__path__in=permissions.ancestor_paths(unit.path)) | Q(committee__path__startswith=unit.path)
    )
    return set(qs.values_list("year", flat=True).distinct())


def cell_sessions(cell: OrgUnit, themes: list[Theme]) -> dict[int, Topic]:
    """{theme id: the cell's session for it}. One query."""
    qs = Topic.objects.filter(cell=cell, kind=Topic.Kind.SESSION, theme__in=themes).order_by()
    return {t.theme_id: t for t in qs}


def session_author_ids(topic_ids: list[int]) -> dict[int, set[int]]:
    """{topic id: ids of users who posted in it}: who took part. One query.

    A post is taking part; the roll call (session_attendance) says who attended or was
    excused."""
    out: dict[int, set[int]] = {pk: set() for pk in topic_ids}
    rows = Post.objects.filter(topic_id__in=topic_ids).order_by().values_list("topic_id", "author_id").distinct()
    for topic_id, author_id in rows:
        out[topic_id].add(author_id)
    return out


def session_tallies(unit_ids: list[int], theme_ids: list[int]) -> dict[tuple[int, int], tuple[int, int]]:
    """{(unit id, theme id): (held, open)}: themed sessions in cells under each unit, from the
    counters forum.services keeps (SessionTally). One query."""
    from forum.models import SessionTally

    rows = SessionTally.objects.filter(unit_id__in=unit_ids, theme_id__in=theme_ids)
    return {(r.unit_id, r.theme_id): (r.held, r.open) for r in rows}


def meeting_tallies(unit_ids: list[int], year: int) -> dict[int, int]:
    """{unit id: monthly meetings concluded in the year in cells under it} (MeetingTally). One query."""
    from forum.models import MeetingTally

    return dict(MeetingTally.objects.filter(unit_id__in=unit_ids, year=year).values_list("unit_id", "held"))


PRESENT, EXCUSED = Attendance.Status.PRESENT, Attendance.Status.EXCUSED


def session_attendance(topic_ids: list[int]) -> dict[int, dict[int, str]]:
    """{topic id: {user id: attendance status}}: the secretary's roll call, and until it
    names a member, their notice of absence (excused), as meeting_attendance reads them.
    Two queries."""
    out: dict[int, dict[int, str]] = {pk: {} for pk in topic_ids}
    for topic_id, user_id in Absence.objects.filter(topic_id__in=topic_ids).values_list("topic_id", "user_id"):
        out[topic_id][user_id] = EXCUSED
    for topic_id, user_id, status in Attendance.objects.filter(topic_id__in=topic_ids).values_list(
        "topic_id", "user_id", "status"
    ):
        out[topic_id][user_id] = status
    return out


def participation_reminded_at(topic: Topic):
    """When leaders last reminded the session's members to take part (the audit row), or None."""
    return (
        ModerationEvent.objects.filter(topic=topic, action=ModerationEvent.Action.REMINDED)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )


# --- Meetings: attendance and votes ------------------------------------------------------------


@dataclass
class AttendanceRow:
    """One member's attendance: as the secretary recorded it, or, until then, as the notices
    and participation suggest (`recorded` False): a member who said they cannot attend is
    absent with their reason; one who posted, voted or opened the topic is present; anyone
    else absent without a reason, for the secretary to correct."""

    user: User
    status: str
    reason: str
    recorded: bool


def meeting_attendance(topic: Topic) -> list[AttendanceRow]:
    """Every member of the meeting's cell (at its conclusion, or now), by name: five queries."""
    members = list(members_at(topic).order_by("user__sort_name"))
    stored = {a.user_id: a for a in Attendance.objects.filter(topic=topic)}
    absences = {a.user_id: a.reason for a in Absence.objects.filter(topic=topic)}
    took_part = set(Post.objects.filter(topic=topic).values_list("author_id", flat=True))
    took_part |= set(Ballot.objects.filter(motion__topic=topic).values_list("user_id", flat=True))
    took_part |= set(ReadState.objects.filter(topic=topic).values_list("user_id", flat=True))
    rows = []
    for membership in members:
        user = membership.user
        if user.pk in stored:
            row = stored[user.pk]
            rows.append(AttendanceRow(user, row.status, row.reason, True))
        elif user.pk in absences:
            rows.append(AttendanceRow(user, Attendance.Status.EXCUSED, absences[user.pk], False))
        elif user.pk in took_part:
            rows.append(AttendanceRow(user, Attendance.Status.PRESENT, "", False))
        else:
            rows.append(AttendanceRow(user, Attendance.Status.ABSENT, "", False))
    return rows


@dataclass(frozen=True)
class AttendanceCount:
    """The counts the minutes print (present; absent with a reason; absent without one) and
    every page that shows them: the roll call, the votes, the meeting's page."""

    present: int
    excused: int
    absent: int

    @property
    def away(self) -> int:
        return self.excused + self.absent

    @property
    def total(self) -> int:
        return self.present + self.away


def attendance_count(rows: list[AttendanceRow]) -> AttendanceCount:
    """The one count of a meeting's attendance, from its rows (meeting_attendance)."""
    status = Attendance.Status
    return AttendanceCount(
        present=sum(1 for row in rows if row.status == status.PRESENT),
        excused=sum(1 for row in rows if row.status == status.EXCUSED),
        absent=sum(1 for row in rows if row.status == status.ABSENT),
    )


def meeting_absence(topic: Topic, user) -> Absence | None:
    return Absence.objects.filter(topic=topic, user=user).first()


@dataclass
class MotionView:
    motion: Motion
    voted: int  # how many members have voted
    my_choice: int | None  # the reader's choice on an open ballot
    has_voted: bool
    results: list[tuple[str, int, float]] | None  # (option, count, % of those present), when it may be shown


def meeting_motions(topic: Topic, user, present: int) -> list[MotionView]:
    """The meeting's motions as `user` sees them: an open ballot's tally live, a secret
    ballot's only once closed. Two queries."""
    motions = list(Motion.objects.filter(topic=topic).annotate(voted=Count("ballots")))
    mine = {b.motion_id: b for b in Ballot.objects.filter(motion__topic=topic, user=user)}
    views = []
    for motion in motions:
        ballot = mine.get(motion.pk)
        shown = motion.is_closed or not motion.secret
        views.append(
            MotionView(
                motion=motion,
                voted=motion.voted,
                my_choice=ballot.choice if ballot else None,
                has_voted=ballot is not None,
                results=motion_results(motion, present) if shown else None,
            )
        )
    return views


def motion_results(motion: Motion, present: int) -> list[tuple[str, int, float]]:
    counts = list(motion.counts) + [0] * (len(motion.options) - len(motion.counts))
    return [
        (option, count, round(100 * count / present, 1) if present else 0.0)
        for option, count in zip(motion.options, counts, strict=False)
    ]
