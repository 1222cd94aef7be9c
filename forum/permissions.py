"""Who may see or do what in the forum, built on the shared role rules of `cells.permissions`.

A cell's forum is private to its active members. Committee officers above the cell see the
state of each themed session (dates, participation, minutes) but never the discussion.

Who sees a hidden post is decided here once, in `may_see_post` and its filter form
`visible_posts_q`; selectors, rendering and sockets ask them.

Forum views, selectors, consumers and home ask this module only; it re-exports the shared
primitives they need (`roles_for_request`, `require`, ...).
"""

from django.db.models import Q
from django.http import Http404

from cells.models import OrgUnit
from cells.permissions import (
    Roles,
    active_member_ids,
    active_members_and_leaders,
    ancestor_paths,
    can_view_cell,
    is_cell_leader,
    is_cell_member,
    membership_holds,
    oversees_any_unit,
    oversees_committee,
    require,
    roles_for_request,
    roles_of,
    units_overseen,
)
from forum.models import Post, Topic

__all__ = [
    "Roles",
    "ancestor_paths",
    "can_author_themes",
    "can_edit_post",
    "can_keep_meeting_record",
    "can_moderate_forum",
    "can_read_forum",
    "can_track_forums",
    "can_view_forum_state",
    "forum_access_holds",
    "forum_active_member_ids",
    "forum_members_and_moderators",
    "get_forum_cell_or_404",
    "get_post_or_404",
    "get_session_state_or_404",
    "get_topic_or_404",
    "may_see_post",
    "require",
    "roles_for_request",
    "roles_of",
    "units_overseen",
    "visible_posts_q",
]


def can_read_forum(user, cell: OrgUnit, roles: Roles | None = None) -> bool:
    """Read and post in the cell's forum: its active members only (not officers, not admins)."""
    return is_cell_member(user, cell, roles)


def can_moderate_forum(user, cell: OrgUnit, roles: Roles | None = None) -> bool:
    """Open/conclude sessions, pin, lock, hide, resolve flags, remind: the cell's leaders."""
    return is_cell_leader(user, cell, roles)


def may_see_post(*, hidden: bool, author_id: int | None, user_id: int | None, moderator: bool) -> bool:
    """Whether a reader of the forum sees this post: every post that is not hidden; a hidden
    one only its author and the cell's leaders (`moderator`: can_moderate_forum). The one
    rule for hidden posts; `visible_posts_q` is the same rule as a database filter."""
    return not hidden or moderator or author_id == user_id


def visible_posts_q(user_id: int | None, moderator: bool) -> Q:
    """`may_see_post` as a filter on Post."""
    if moderator:
        return Q()
    return Q(hidden_at__isnull=True) | Q(author_id=user_id)


def can_keep_meeting_record(user, topic, roles: Roles | None = None) -> bool:
    """Take attendance and open or close votes at a meeting: the cell's leaders, and the
    member recorded as the meeting's secretary, while an active member of the cell."""
    if not can_read_forum(user, topic.cell, roles):
        return False
    return is_cell_leader(user, topic.cell, roles) or topic.meeting_secretary_id == getattr(user, "pk", None)


# Sessions' state, dates, participation and minutes: whoever sees the cell (its members,
# officers above it, site admins).
can_view_forum_state = can_view_cell


# The committee-wide tracking table and the themes pages: an officer anywhere, or a site admin.
can_track_forums = oversees_any_unit


def can_edit_post(user, post, roles: Roles | None = None) -> bool:
    """Only the author edits a post, while still a member of the cell."""
    return post.author_id == getattr(user, "pk", None) and can_read_forum(user, post.topic.cell, roles)


# Set the year's themes for a committee's subtree: officers over that committee.
can_author_themes = oversees_committee

# Sockets: an active membership of an active account, from the database (before typing or
# presence is broadcast), and the cell's active members and its moderators (the leaders,
# can_moderate_forum) from the cache (every event).
forum_access_holds = membership_holds
forum_active_member_ids = active_member_ids
forum_members_and_moderators = active_members_and_leaders


def get_topic_or_404(user, pk: int, roles: Roles | None = None) -> Topic:
    """A topic the user may read (a member of its cell), or 404."""
    from forum.selectors import topic_by_id  # the selectors ask this module

    topic = topic_by_id(pk)
    if topic is None or not can_read_forum(user, topic.cell, roles):
        raise Http404
    return topic


def get_forum_cell_or_404(user, pk: int, roles: Roles | None = None) -> OrgUnit:
    """A cell whose forum the user may read and post in (an active member), or 404: for a
    page about a topic that does not exist yet (the new topic's `@` suggestions)."""
    cell = OrgUnit.objects.filter(pk=pk, kind=OrgUnit.Kind.CELL).first()
    if cell is None or not can_read_forum(user, cell, roles):
        raise Http404
    return cell


def get_session_state_or_404(user, pk: int, roles: Roles | None = None) -> Topic:
    """A meeting (themed session or monthly meeting) whose state (not content) the user may
    see: members and officers above."""
    kinds = [Topic.Kind.SESSION, Topic.Kind.MEETING]
    topic = Topic.objects.select_related("cell", "theme").filter(pk=pk, kind__in=kinds).first()
    if topic is None or not can_view_forum_state(user, topic.cell, roles):
        raise Http404
    return topic


def get_post_or_404(user, pk: int, roles: Roles | None = None) -> Post:
    """A post the user may see: a member of its cell; a hidden post only by its author or a leader."""
    post = Post.objects.select_related("topic__cell", "author").filter(pk=pk).first()
    if post is None or not can_read_forum(user, post.topic.cell, roles):
        raise Http404
    moderator = can_moderate_forum(user, post.topic.cell, roles)
    if not may_see_post(hidden=post.is_hidden, author_id=post.author_id, user_id=user.pk, moderator=moderator):
        raise Http404
    return post
