"""The topic page's list of posts, built in Python, in two steps.

`build_pieces` turns a page of posts into what every reader of that page shares: the HTML
of each post's head and body, with the author, the quote and the agreement count. It is
cached per topic version (forum.selectors.topic_page). `assemble` adds, per request, what
depends on the reader: their CSRF token, whether they agreed, Edit on their own posts,
Report on others', the secretary's revision links and Hide, and the quote link's page.

Through Django's template engine (an include, a form and four URL lookups per post) the 50
posts of a page took about 20 ms; built here they take well under a millisecond, and
assembling cached pieces a few hundredths of one. The post bodies are the HTML stored by
the service (cleaned once by core.markup when written); every other value is escaped.
"""

from typing import NamedTuple

from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from accounts.models import User
from core.links import reverse_cached
from forum.models import Post
from forum.permissions import may_see_post
from forum.text import link_mentions, mentioned_usernames


class PostPieces(NamedTuple):
    """One post's shared HTML, in the variants `assemble` chooses between for a reader."""

    id: int
    author_id: int
    hidden: bool
    agreers: frozenset[int]
    head: str  # the article's opening up to the time link
    edited: str  # the "(edited)" note as members see it
    edited_for_moderator: str  # the same with the link to the revisions
    body: str  # end of the header, hidden note, quote and body, start of the agree form
    agree_on: str  # the agree button, pressed (the reader agreed), and the links after it
    agree_off: str
    tail_own: str  # the links after it: Quote and Edit on the reader's own post
    tail_other: str  # Quote and Report on another's
    hide: str  # the secretary's Hide ("" on a hidden post)


def _post_base() -> str:
    return reverse_cached("forum:post_agree", 0)[: -len("0/agree/")]


def _when(value, tz) -> tuple[str, str]:
    local = value.astimezone(tz)
    return local.isoformat(), f"{local.hour:02d}:{local.minute:02d} {local.day:02d}/{local.month:02d}/{local.year}"


def mention_names(posts: list[Post]) -> dict[str, str]:
    """lower-case login -> name of the members (past or present) of these posts' cell that
    the posts mention: one query, none when no post mentions anyone. Someone outside the
    cell stays "@login" as typed, so a mention shows no name the cell could not see."""
    logins = set().union(*(mentioned_usernames(post.body_html) for post in posts)) if posts else set()
    if not logins:
        return {}
    rows = User.objects.filter(memberships__cell__forum_topics=posts[0].topic_id, username__in=logins).values_list(
        "username", "full_name"
    )
    return {login.lower(): name or login for login, name in rows.distinct()}


def build_pieces(
    posts: list[Post], agreers: dict[int, frozenset[int]], *, accepts_posts: bool, page_number: int
) -> list[PostPieces]:
    """The shared part of each post, in the active language and time zone."""
    base = _post_base()
    labels = {
        key: escape(text)
        for key, text in {
            "opening": _("Opening paper"),
            "conclusion": _("Conclusion"),
            "edited": _("edited"),
            "revisions": _("revisions"),
            "hidden": _("Hidden by the secretary"),
            "hidden_quote": _("(a hidden post)"),
            "agree": _("Agree"),
            "quote": _("Quote"),
            "edit": _("Edit"),
            "report": _("Report"),
            "hide": _("Hide"),
        }.items()
    }
    tz = timezone.get_current_timezone()  # looked up once, not for each of the 50 posts
    # A mention links to the forum's search for it (the posts of the cell that name this
    # member, which only the cell's readers may open), showing the member's name, not login.
    names = mention_names(posts)
    mention_href = reverse_cached("forum:search") + "?q=%40"
    pieces = []
    for post in posts:
        pk = post.pk
        author = escape(post.author.full_name or post.author.username)
        iso, shown = _when(post.created_at, tz)
        classes = f"post post-{post.kind}" + (" is-hidden" if post.hidden_at else "")
        head = [
            f'<article class="{classes}" id="p{pk}" data-post-id="{pk}" data-seq="{post.seq}">',
            f'<header class="post-head"><strong>{author}</strong>',
        ]
        if post.kind == Post.Kind.OPENING:
            head.append(f' <span class="tag">{labels["opening"]}</span>')
        elif post.kind == Post.Kind.CONCLUSION:
            head.append(f' <span class="tag">{labels["conclusion"]}</span>')
        head.append(f' <a class="post-time" href="?post={pk}#p{pk}"><time datetime="{iso}">{shown}</time></a>')
        edited = edited_for_moderator = ""
        if post.edited_at:
            edited = f' <span class="hint">({labels["edited"]})</span>'
            revisions = f' · <a href="{base}{pk}/revisions/">{labels["revisions"]}</a>'
            edited_for_moderator = f' <span class="hint">({labels["edited"]}{revisions})</span>'
        body = ["</header>"]
        if post.hidden_at:
            reason = f": {escape(post.hidden_reason)}" if post.hidden_reason else ""
            body.append(f'<p class="post-hidden-note">{labels["hidden"]}{reason}</p>')
        if post.quoted_id:
            quoted = post.quoted
            if quoted.hidden_at:
                inner = labels["hidden_quote"]
            else:
                excerpt = quoted.body_source if len(quoted.body_source) <= 240 else quoted.body_source[:239] + "…"
                inner = f"<strong>{escape(quoted.author.full_name)}:</strong> {escape(excerpt)}"
            body.append(f'<blockquote class="post-quote">{inner}</blockquote>')
        body.append(f'<div class="post-body">{link_mentions(post.body_html, names, mention_href)}</div>')
        body.append(f'<footer class="post-actions"><form method="post" action="{base}{pk}/agree/" class="inline-form" ')
        body.append("data-agree>")
        agree = f"👍 {labels['agree']} <span data-agree-count>{post.agree_count}</span></button></form>"
        quote = ""
        if accepts_posts:
            quote = (
                f' <a href="?quote={pk}&amp;page={page_number}#reply" data-quote="{pk}" '
                f'data-quote-author="{author}">{labels["quote"]}</a>'
            )
        pieces.append(
            PostPieces(
                id=pk,
                author_id=post.author_id,
                hidden=post.hidden_at is not None,
                agreers=agreers.get(pk, frozenset()),
                head="".join(head),
                edited=edited,
                edited_for_moderator=edited_for_moderator,
                body="".join(body),
                # The button names the state it asks for, so a repeat of the POST does not undo it.
                agree_on=f'<button type="submit" name="agree" value="0" class="link-button is-agreed" '
                f'aria-pressed="true">{agree}',
                agree_off=f'<button type="submit" name="agree" value="1" class="link-button" '
                f'aria-pressed="false">{agree}',
                tail_own=quote + (f' <a href="{base}{pk}/edit/">{labels["edit"]}</a>' if accepts_posts else ""),
                tail_other=quote + f' <a href="{base}{pk}/flag/">{labels["report"]}</a>',
                hide="" if post.hidden_at else f' <a href="{base}{pk}/hide/">{labels["hide"]}</a>',
            )
        )
    return pieces


def assemble(pieces: tuple[PostPieces, ...], *, user_id: int, moderator: bool, csrf_token: str) -> SafeString:
    """The page's posts for one reader."""
    csrf = f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(csrf_token)}">'
    end = "</footer></article>\n"
    out = []
    for piece in pieces:
        if not may_see_post(hidden=piece.hidden, author_id=piece.author_id, user_id=user_id, moderator=moderator):
            # The ids come from the request's snapshot and the pieces may have been built
            # just after a hide committed: never show a hidden post to another member.
            continue
        out.append(
            "".join(
                (
                    piece.head,
                    piece.edited_for_moderator if moderator else piece.edited,
                    piece.body,
                    csrf,
                    piece.agree_on if user_id in piece.agreers else piece.agree_off,
                    piece.tail_own if piece.author_id == user_id else piece.tail_other,
                    piece.hide if moderator else "",
                    end,
                )
            )
        )
    # Every value above is escaped, or is the stored HTML that core.markup cleaned.
    return mark_safe("".join(out))
