"""Every write to the forum. Whether the actor may act at all is decided by the caller with
cells.permissions; these functions check the rules of the data (a concluded session takes no
posts), write in one transaction, keep the moderation audit and publish events after commit.
"""

import datetime
import time

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from cells.models import Membership, OrgUnit
from core.events import group_name, publish_on_commit
from core.markup import markdown_to_html, normalize
from forum.models import Flag, Minutes, ModerationEvent, Post, PostRevision, Reaction, ReadState, Theme, Topic
from forum.selectors import post_by_key
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

    A fixed window in the cache (atomic `incr` on Redis), so it holds across processes. Copies
    of one submission (its idempotency key, core.idempotency: a double tap, a retry) count
    once: a copy of a submission that was let through is let through again (the service
    stores it at most once); a refused one is counted afresh when it comes again."""
    limit, window = getattr(settings, "FORUM_POST_RATE", (6, 60))
    let_through = f"forum:rate:key:{user.pk}:{client_key}"
    if client_key and not cache.add(let_through, True, timeout=window + 1):
        return 0
    wait = _post_rate_count(user, limit, window)
    if client_key and wait:
        cache.delete(let_through)
    return wait


def _post_rate_count(user: User, limit: int, window: int) -> int:
    now = time.time()
    slot = int(now // window)
    key = f"forum:rate:{user.pk}:{slot}"
    cache.add(key, 0, timeout=window + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window + 1)
        count = 1
    if count > limit:
        return max(1, int((slot + 1) * window - now + 0.999))
    return 0


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


def _notify_mentions(*, actor: User, topic: Topic, post: Post) -> None:
    names = mentioned_usernames(post.body_source)
    if not names:
        return
    members = User.objects.filter(
        memberships__cell_id=topic.cell_id, memberships__ended_on__isnull=True, username__in=names
    ).exclude(pk=actor.pk)
    url = reverse("forum:topic", args=[topic.pk]) + f"?post={post.pk}#p{post.pk}"
    for user in members:
        notification_send(
            user=user,
            kind="forum.mention",
            message=_("%(name)s mentioned you in “%(topic)s”") % {"name": actor.full_name, "topic": topic.title},
            url=url,
        )


def session_open(
    *,
    actor: User,
    cell: OrgUnit,
    theme: Theme,
    opening: str,
    meeting_at: datetime.datetime | None = None,
    client_key: str = "",
) -> Topic:
    """Open the cell's themed session; the opening paper is its first post."""
    if not cell.is_cell or not cell.path.startswith(theme.committee.path):
        raise ValidationError(_("This theme was not set for this cell."))
    if done := post_by_key(author=actor, client_key=client_key):
        return done.topic
    already = _("This theme's session has already been opened in this cell.")
    try:
        with transaction.atomic():
            if Topic.objects.select_for_update().filter(cell=cell, theme=theme).exists():
                if done := post_by_key(author=actor, client_key=client_key):
                    return done.topic  # opened by a copy of this request a moment ago
                raise ValidationError(already)
            topic = Topic.objects.create(
                cell=cell, kind=Topic.Kind.SESSION, theme=theme, title=theme.title, author=actor, meeting_at=meeting_at
            )
            _create_post(actor=actor, topic=topic, body=opening, kind=Post.Kind.OPENING, client_key=client_key)
            _audit(topic, actor, ModerationEvent.Action.OPENED)
            _topic_event(topic)
    except IntegrityError:  # opened at the same moment (PostgreSQL locks no row that is not there yet)
        if done := post_by_key(author=actor, client_key=client_key):
            return done.topic
        raise ValidationError(already) from None
    return topic


def session_conclude(*, actor: User, topic: Topic, conclusion: str, client_key: str = "") -> Topic:
    """Write the conclusion, lock posting and record the attendance. The minutes' PDF is made
    on each download (forum.minutes), never stored."""
    from forum.selectors import session_participation

    if not topic.is_session:
        raise ValidationError(_("Only a themed session is concluded."))
    with transaction.atomic():
        topic = Topic.objects.select_for_update(of=("self",)).select_related("cell", "theme").get(pk=topic.pk)
        if post_by_key(author=actor, client_key=client_key):
            return topic  # this very conclusion, sent again
        if topic.is_concluded:
            raise ValidationError(_("This session has already been concluded."))
        _create_post(actor=actor, topic=topic, body=conclusion, kind=Post.Kind.CONCLUSION, client_key=client_key)
        topic.state = Topic.State.CONCLUDED
        topic.concluded_at = timezone.now()
        topic.save(update_fields=["state", "concluded_at"])
        posted, missing = session_participation(topic)
        Minutes.objects.update_or_create(
            topic=topic,
            defaults={"participants": len(posted), "absentees": len(missing), "created_at": timezone.now()},
        )
        _audit(topic, actor, ModerationEvent.Action.CONCLUDED)
        _topic_event(topic)
    return topic


def session_reopen(*, actor: User, topic: Topic, reason: str, client_key: str = "") -> Topic:
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError(_("Say why the session is reopened."))
    with transaction.atomic():
        topic = Topic.objects.select_for_update().get(pk=topic.pk)
        if _moderation_by_key(actor=actor, client_key=client_key):
            return topic  # this very reopening, sent again
        if not topic.is_concluded:
            raise ValidationError(_("This session is not concluded."))
        topic.state = Topic.State.OPEN
        topic.concluded_at = None
        topic.save(update_fields=["state", "concluded_at"])
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
            notification_send(
                user=leader,
                kind="forum.flag",
                message=_("A post in “%(topic)s” was reported") % {"topic": post.topic.title},
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
        if done := _moderation_by_key(actor=actor, client_key=client_key):
            return int(done.detail or 0)
        _posted, missing = session_participation(topic)
        url = reverse("forum:topic", args=[topic.pk])
        for membership in missing:
            notification_send(
                user=membership.user,
                kind="forum.reminder",
                message=_("Please take part in the discussion “%(topic)s”") % {"topic": topic.title},
                url=url,
                email=True,
            )
        _audit(topic, actor, ModerationEvent.Action.REMINDED, str(len(missing)), client_key=client_key)
    return len(missing)
