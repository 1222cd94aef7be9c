"""Thin views: parse input, ask forum.permissions, call a selector or a service, render."""

import json
from functools import lru_cache

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import User
from cells import report_links
from cells.models import OrgUnit
from core.errors import user_message
from core.filenames import content_disposition
from core.idempotency import new_key, posted_key, secret_key
from core.links import reverse_cached
from core.params import int_param, text_param
from forum import permissions, selectors, services
from forum.forms import (
    AbsenceForm,
    ConcludeForm,
    EditForm,
    MeetingForm,
    MotionForm,
    NoticeForm,
    OpenSessionForm,
    ReasonForm,
    ReplyForm,
    ThemeForm,
    TopicForm,
)
from forum.minutes import Copy, minutes_render
from forum.models import Attendance, Flag, Minutes, Motion, Post, Topic
from forum.rendering import assemble


def _wants_json(request: HttpRequest) -> bool:
    return request.headers.get("X-Requested-With") == "fetch"


def _errors(error: ValidationError) -> list[str]:
    return list(error.messages)


def _own_cell(request: HttpRequest) -> OrgUnit:
    roles = permissions.roles_for_request(request)
    if roles.membership is None:
        raise Http404
    return roles.membership.cell


def _rate_limited(request: HttpRequest, client_key: str = "") -> str | None:
    wait = services.post_rate_check(user=request.user, client_key=client_key)
    if wait:
        return _("You are posting too fast. Please try again in %(n)s seconds.") % {"n": wait}
    return None


@login_required
def forum_home(request: HttpRequest) -> HttpResponse:
    roles = permissions.roles_for_request(request)
    if roles.membership is None:
        if permissions.can_track_forums(request.user, roles):
            return redirect("reports:start")
        raise Http404
    cell = roles.membership.cell
    moderator = permissions.can_moderate_forum(request.user, cell, roles)
    context = selectors.cell_forum(request.user, cell, int_param(request.GET.get("page"), minimum=1))
    context.update(
        cell=cell,
        moderator=moderator,
        open_flags=selectors.flags_open_count(cell) if moderator else 0,
    )
    return render(request, "forum/forum_home.html", context)


@lru_cache(maxsize=8)
def _empty_reply_fields(language: str) -> tuple[SafeString, SafeString]:
    """The reply form's two fields, unbound: the same HTML on every view in a language.
    (Django renders a widget through its own template, about a third of a millisecond.)"""
    form = ReplyForm()
    return mark_safe(str(form["quote"])), mark_safe(str(form["body"]))


def _topic_context(request: HttpRequest, topic: Topic, reply_form: ReplyForm | None = None) -> dict:
    roles = permissions.roles_for_request(request)
    moderator = permissions.can_moderate_forum(request.user, topic.cell, roles)
    page_number = int_param(request.GET.get("page"), minimum=1)
    view = selectors.topic_page(
        request.user,
        topic,
        moderator=moderator,
        page_number=None if page_number is None else str(page_number),
        post_id=int_param(request.GET.get("post")),
    )
    if view.pieces:
        services.read_state_mark(user=request.user, topic=topic, post_id=view.last_id, last_read=view.last_read)
    if reply_form is None:
        quote = int_param(request.GET.get("quote"), minimum=1)
        reply_form = ReplyForm(initial={"quote": quote} if quote else None)
    if reply_form.is_bound or reply_form.initial:
        quote_field, body_field = reply_form["quote"], reply_form["body"]
    else:  # the usual case: the empty form, rendered once per process and language
        quote_field, body_field = _empty_reply_fields(translation.get_language())
    # One masked token for the whole page (each masking draws 32 random characters from the
    # OS); the template's {% csrf_token %} tags use this one too.
    csrf_token = get_token(request)
    return {
        "csrf_token": csrf_token,
        "user_id": request.user.pk,
        "topic": topic,
        "forum_url": reverse_cached("forum:home"),
        "reply_url": reverse_cached("forum:topic", topic.pk),
        "minutes_url": reverse_cached("forum:minutes", topic.pk),
        "quote_field": quote_field,
        "body_field": body_field,
        "page": view.page,
        "posts": view.pieces,
        "posts_html": assemble(view.pieces, user_id=request.user.pk, moderator=moderator, csrf_token=csrf_token),
        "moderator": moderator,
        "form": reply_form,
        "reply_key": new_key(),  # the reply form's idempotency key, new for each rendering
        "last_id": view.last_id,
        "moderation_log": selectors.moderation_log(topic) if moderator else [],
        # The number and the counts of the minutes (forum.selectors.attendance_count, stored).
        "minutes": Minutes.objects.filter(topic=topic).first() if topic.is_concluded else None,
        "is_last_page": not view.page.has_next(),
    }


def _topic_response(request: HttpRequest, topic: Topic, context: dict) -> HttpResponse:
    return render(request, "forum/topic.html", context)


@login_required
def topic_detail(request: HttpRequest, pk: int) -> HttpResponse:
    roles = permissions.roles_for_request(request)
    topic = permissions.get_topic_or_404(request.user, pk, roles)
    if request.method != "POST":
        return _topic_response(request, topic, _topic_context(request, topic))
    form = ReplyForm(request.POST)
    form.is_valid()
    body = form.cleaned_data.get("body") or ""
    quote_id = form.cleaned_data.get("quote")
    quoted = Post.objects.filter(pk=quote_id, topic=topic).first() if quote_id else None
    key = posted_key(request)
    # The same reply sent again (a retry, a double tap, forum.js's fallback after a failed
    # fetch) gets the first one's answer; never a second post, never the rate limit.
    post = selectors.post_by_key(author=request.user, client_key=key)
    error = None if post else _rate_limited(request, key)
    status = 429 if error else 400
    if not error:
        try:
            if post is None:
                post = services.post_create(actor=request.user, topic=topic, body=body, quoted=quoted, client_key=key)
        except ValidationError as exc:
            error = " ".join(_errors(exc))
        else:
            if _wants_json(request):
                return JsonResponse({"ok": True, "id": post.pk})
            return redirect(_post_url(post))
    if _wants_json(request):
        return JsonResponse({"ok": False, "errors": [error]}, status=status)
    form.add_error("body", error)
    response = render(request, "forum/topic.html", _topic_context(request, topic, form))
    response.status_code = status
    return response


@login_required
def topic_new(request: HttpRequest) -> HttpResponse:
    cell = _own_cell(request)
    form = TopicForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        key = posted_key(request)
        repeat = selectors.post_by_key(author=request.user, client_key=key)
        if repeat is not None:  # this very topic, sent again
            return redirect("forum:topic", pk=repeat.topic_id)
        error = _rate_limited(request, key)
        if error:
            form.add_error(None, error)
        else:
            try:
                topic = services.topic_create(
                    actor=request.user,
                    cell=cell,
                    title=form.cleaned_data["title"],
                    body=form.cleaned_data["body"],
                    client_key=key,
                )
            except ValidationError as exc:
                for error in exc.error_list:  # next to the box it is about, and linked from the summary
                    form.add_error(_TOPIC_FIELD_OF.get(error.code), error)
            else:
                return redirect("forum:topic", pk=topic.pk)
    mention_url = reverse("forum:cell_members", args=[cell.pk])
    return render(request, "forum/topic_new.html", {"form": form, "cell": cell, "mention_url": mention_url})


# Which box of the new-topic form a refusal of forum.services is about (by its code).
_TOPIC_FIELD_OF = {"empty_title": "title", "long_title": "title", "empty": "body", "too_long": "body"}


def _leader_topic(request: HttpRequest, pk: int) -> Topic:
    roles = permissions.roles_for_request(request)
    topic = permissions.get_topic_or_404(request.user, pk, roles)
    permissions.require(permissions.can_moderate_forum(request.user, topic.cell, roles))
    return topic


@login_required
def session_open(request: HttpRequest, pk: int) -> HttpResponse:
    roles = permissions.roles_for_request(request)
    cell = _own_cell(request)
    theme = selectors.themes_for_cell(cell).filter(pk=pk).select_related("committee").first()
    if theme is None:
        raise Http404
    permissions.require(permissions.can_moderate_forum(request.user, cell, roles))
    existing = Topic.objects.filter(cell=cell, theme=theme).first()
    if existing:
        return redirect("forum:topic", pk=existing.pk)
    form = OpenSessionForm(request.POST or None, members=_members(cell))
    if request.method == "POST" and form.is_valid():
        try:
            topic = services.session_open(
                actor=request.user,
                cell=cell,
                theme=theme,
                opening=form.cleaned_data["opening"],
                **_notice(form),
                client_key=posted_key(request),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The session is open. Members can now discuss."))
            return redirect("forum:topic", pk=topic.pk)
    return render(request, "forum/session_open.html", {"form": form, "theme": theme, "cell": cell})


@login_required
def session_conclude(request: HttpRequest, pk: int) -> HttpResponse:
    topic = _leader_topic(request, pk)
    if not topic.is_meeting:
        raise Http404
    form = ConcludeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.session_conclude(
                actor=request.user,
                topic=topic,
                conclusion=form.cleaned_data["conclusion"],
                client_key=posted_key(request),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The session is concluded and its minutes are ready."))
            return redirect("forum:topic", pk=topic.pk)
    early = topic.meeting_at is not None and timezone.now() < topic.meeting_at
    return render(request, "forum/session_conclude.html", {"form": form, "topic": topic, "early": early})


@login_required
@require_POST
def session_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    topic = _leader_topic(request, pk)
    form = ReasonForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("Say why the session is reopened."))
        services.session_reopen(
            actor=request.user, topic=topic, reason=form.cleaned_data["reason"], client_key=posted_key(request)
        )
    except ValidationError as exc:
        messages.error(request, " ".join(_errors(exc)))
    else:
        messages.success(request, _("The session is open again."))
    return redirect("forum:topic", pk=topic.pk)


@login_required
@require_POST
def topic_moderate(request: HttpRequest, pk: int) -> HttpResponse:
    topic = _leader_topic(request, pk)
    action = request.POST.get("action")
    if action in ("pin", "unpin"):
        services.topic_pin(actor=request.user, topic=topic, pinned=action == "pin")
    elif action in ("lock", "unlock"):
        services.topic_lock(actor=request.user, topic=topic, locked=action == "lock")
    else:
        return HttpResponse(status=400)
    return redirect("forum:topic", pk=topic.pk)


def _post_url(post: Post) -> str:
    return reverse("forum:topic", args=[post.topic_id]) + f"?post={post.pk}#p{post.pk}"


@login_required
def post_edit(request: HttpRequest, pk: int) -> HttpResponse:
    roles = permissions.roles_for_request(request)
    post = permissions.get_post_or_404(request.user, pk, roles)
    permissions.require(permissions.can_edit_post(request.user, post, roles))
    form = EditForm(request.POST or None, initial={"body": post.body_source})
    if request.method == "POST" and form.is_valid():
        try:
            services.post_edit(actor=request.user, post=post, body=form.cleaned_data["body"])
        except ValidationError as exc:
            form.add_error("body", exc)
        else:
            return redirect(_post_url(post))
    mention_url = reverse("forum:topic_members", args=[post.topic_id])
    return render(request, "forum/post_edit.html", {"form": form, "post": post, "mention_url": mention_url})


@login_required
def post_hide(request: HttpRequest, pk: int) -> HttpResponse:
    roles = permissions.roles_for_request(request)
    post = permissions.get_post_or_404(request.user, pk, roles)
    permissions.require(permissions.can_moderate_forum(request.user, post.topic.cell, roles))
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.post_hide(actor=request.user, post=post, reason=form.cleaned_data["reason"])
        messages.success(request, _("The post is hidden. Its author and the cell's leaders still see it."))
        return redirect(_post_url(post))
    return render(request, "forum/post_hide.html", {"form": form, "post": post})


@login_required
@require_POST
def post_agree(request: HttpRequest, pk: int) -> HttpResponse:
    roles = permissions.roles_for_request(request)
    post = permissions.get_post_or_404(request.user, pk, roles)
    # The button says what it asks for ("1" agree, "0" take back), so a repeat does not undo it.
    wanted = {"1": True, "0": False}.get(request.POST.get("agree", ""))
    agrees = services.reaction_set(actor=request.user, post=post, agree=wanted)
    if _wants_json(request):
        return JsonResponse({"ok": True, "agrees": agrees})
    return redirect(_post_url(post))


@login_required
def post_flag(request: HttpRequest, pk: int) -> HttpResponse:
    roles = permissions.roles_for_request(request)
    post = permissions.get_post_or_404(request.user, pk, roles)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.flag_create(actor=request.user, post=post, reason=form.cleaned_data["reason"])
        messages.success(request, _("Thank you. The cell's secretary will look at this post."))
        return redirect(_post_url(post))
    return render(request, "forum/post_flag.html", {"form": form, "post": post})


@login_required
def post_revisions(request: HttpRequest, pk: int) -> HttpResponse:
    roles = permissions.roles_for_request(request)
    post = permissions.get_post_or_404(request.user, pk, roles)
    permissions.require(permissions.can_moderate_forum(request.user, post.topic.cell, roles))
    return render(request, "forum/post_revisions.html", {"post": post, "revisions": selectors.post_revisions(post)})


@login_required
def flags(request: HttpRequest) -> HttpResponse:
    roles = permissions.roles_for_request(request)
    cell = _own_cell(request)
    permissions.require(permissions.can_moderate_forum(request.user, cell, roles))
    return render(request, "forum/flags.html", {"flags": selectors.flags_open(cell)[:200], "cell": cell})


@login_required
@require_POST
def flag_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    roles = permissions.roles_for_request(request)
    cell = _own_cell(request)
    flag = Flag.objects.filter(pk=pk, post__topic__cell=cell).first()
    if flag is None:
        raise Http404
    permissions.require(permissions.can_moderate_forum(request.user, cell, roles))
    services.flag_resolve(actor=request.user, flag=flag, resolution=request.POST.get("resolution", ""))
    return redirect("forum:flags")


@login_required
def search(request: HttpRequest) -> HttpResponse:
    roles = permissions.roles_for_request(request)
    if roles.membership is None:
        raise Http404
    query = text_param(request.GET.get("q"), max_length=200)
    results = selectors.search_posts(request.user, roles, query)
    return render(request, "forum/search.html", {"query": query, "results": results})


def _members_json(cell_id: int) -> HttpResponse:
    members = [[login, name or login] for login, name in selectors.mention_candidates(cell_id)]
    # Escaped like json_script (<, > and & as \u00XX): a name can never close a tag, whoever reads it.
    text = json.dumps({"members": members}).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    response = HttpResponse(text, content_type="application/json")
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def topic_members(request: HttpRequest, pk: int) -> HttpResponse:
    """The cell's active members as [login, name] pairs, for the `@` suggestions of the reply
    box and the edit page (static/js/mention.js): to those who may read the topic, 404 to
    anyone else."""
    topic = permissions.get_topic_or_404(request.user, pk, permissions.roles_for_request(request))
    return _members_json(topic.cell_id)


@login_required
def cell_members(request: HttpRequest, pk: int) -> HttpResponse:
    """The same list for the new-topic page, whose topic does not exist yet: the members of
    the cell it is posted in, to its active members only (404 to anyone else)."""
    cell = permissions.get_forum_cell_or_404(request.user, pk, permissions.roles_for_request(request))
    return _members_json(cell.pk)


@login_required
def participation(request: HttpRequest, pk: int) -> HttpResponse:
    topic = _leader_topic(request, pk)
    if not topic.is_meeting:
        raise Http404
    if request.method == "POST":
        try:
            count = services.participation_remind(actor=request.user, topic=topic, client_key=posted_key(request))
        except ValidationError as exc:  # core.reminders.RemindTooSoon: a round less than an hour ago
            messages.error(request, user_message(exc))
        else:
            messages.success(request, _("A reminder was sent to %(n)s members.") % {"n": count})
        return redirect("forum:participation", pk=topic.pk)
    posted, missing = selectors.session_participation(topic)
    return render(request, "forum/participation.html", {"topic": topic, "posted": posted, "missing": missing})


@login_required
def minutes(request: HttpRequest, pk: int) -> HttpResponse:
    roles = permissions.roles_for_request(request)
    topic = permissions.get_session_state_or_404(request.user, pk, roles)
    if not topic.is_concluded or not Minutes.objects.filter(topic=topic).exists():
        raise Http404
    # The discussion stays in the cell: those who read the forum get the cell's copy with it,
    # officers and admins above the cell the committee's copy without it.
    if permissions.can_read_forum(request.user, topic.cell, roles):
        copy, name = Copy.CELL, f"bien-ban-{topic.pk}-chi-bo.pdf"
    else:
        copy, name = Copy.COMMITTEE, f"bien-ban-{topic.pk}.pdf"
    response = HttpResponse(minutes_render(topic, copy), content_type="application/pdf")
    response["Content-Disposition"] = content_disposition(name)
    return response


@login_required
def tracking(request: HttpRequest) -> HttpResponse:
    """Now the reports' committee view (cells.report_links): the themes' figures per unit."""
    return report_links.reports_start_redirect(request)


@login_required
def themes(request: HttpRequest) -> HttpResponse:
    roles = permissions.roles_for_request(request)
    if not permissions.can_track_forums(request.user, roles):
        raise Http404
    committees = permissions.units_overseen(request.user, roles).filter(kind=OrgUnit.Kind.COMMITTEE)
    form = ThemeForm(request.POST or None, committees=committees, initial={"year": timezone.localdate().year})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        permissions.require(permissions.can_author_themes(request.user, data["committee"], roles))
        try:
            services.theme_create(actor=request.user, client_key=posted_key(request), **data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The theme is published to every cell below the committee."))
            return redirect("forum:themes")
    authored = selectors.themes_authored(request.user, roles).order_by("-year", "order")[:200]
    return render(request, "forum/themes.html", {"form": form, "themes": authored})


# --- Meetings: notice, absence, attendance, votes -------------------------------------------


def _members(cell: OrgUnit):
    return User.objects.filter(memberships__cell=cell, memberships__ended_on__isnull=True, is_active=True).order_by(
        "sort_name"
    )


def _notice(form: NoticeForm) -> dict:
    data = form.cleaned_data
    return {
        name: data.get(name) or ("" if name in ("place", "online_url", "agenda") else None)
        for name in ("meeting_at", "place", "online_url", "agenda", "chair", "meeting_secretary")
    }


def _meeting_topic(request: HttpRequest, pk: int) -> Topic:
    roles = permissions.roles_for_request(request)
    topic = permissions.get_topic_or_404(request.user, pk, roles)
    if not topic.is_meeting:
        raise Http404
    return topic


def _record_keeper_topic(request: HttpRequest, pk: int) -> Topic:
    topic = _meeting_topic(request, pk)
    roles = permissions.roles_for_request(request)
    permissions.require(permissions.can_keep_meeting_record(request.user, topic, roles))
    return topic


@login_required
def meeting_new(request: HttpRequest) -> HttpResponse:
    """Schedule the cell's monthly meeting: every member is notified."""
    roles = permissions.roles_for_request(request)
    cell = _own_cell(request)
    permissions.require(permissions.can_moderate_forum(request.user, cell, roles))
    today = timezone.localdate()
    initial = {
        "title": _("Regular cell meeting, %(month)s/%(year)s") % {"month": f"{today.month:02d}", "year": today.year},
        "chair": request.user.pk,
        "meeting_secretary": None,
    }
    form = MeetingForm(request.POST or None, members=_members(cell), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            topic = services.meeting_schedule(
                actor=request.user,
                cell=cell,
                title=form.cleaned_data["title"],
                **_notice(form),
                client_key=posted_key(request),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The meeting is scheduled and every member has been notified."))
            return redirect("forum:topic", pk=topic.pk)
    return render(request, "forum/meeting_form.html", {"form": form, "cell": cell, "topic": None})


@login_required
def meeting_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a meeting's notice, chair or secretary (cell leaders)."""
    topic = _leader_topic(request, pk)
    if not topic.is_meeting:
        raise Http404
    initial = {
        "meeting_at": topic.meeting_at and timezone.localtime(topic.meeting_at),
        "place": topic.place,
        "online_url": topic.online_url,
        "agenda": topic.agenda,
        "chair": topic.chair_id,
        "meeting_secretary": topic.meeting_secretary_id,
    }
    form = NoticeForm(request.POST or None, members=_members(topic.cell), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.meeting_update(actor=request.user, topic=topic, **_notice(form))
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The meeting's details are saved."))
            return redirect("forum:topic", pk=topic.pk)
    return render(request, "forum/meeting_form.html", {"form": form, "cell": topic.cell, "topic": topic})


@login_required
def absence(request: HttpRequest, pk: int) -> HttpResponse:
    """A member says beforehand that they cannot attend, with a reason (or takes it back)."""
    topic = _meeting_topic(request, pk)
    current = selectors.meeting_absence(topic, request.user)
    form = AbsenceForm(request.POST or None, initial={"reason": current.reason if current else ""})
    if request.method == "POST":
        try:
            if request.POST.get("action") == "withdraw":
                services.absence_withdraw(actor=request.user, topic=topic)
                messages.success(request, _("Your notice of absence is withdrawn."))
            else:
                form.is_valid()
                services.absence_declare(
                    actor=request.user,
                    topic=topic,
                    reason=form.cleaned_data.get("reason", ""),
                    client_key=posted_key(request),
                )
                messages.success(request, _("The secretary has your notice that you cannot attend."))
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return redirect("forum:absence", pk=topic.pk)
    return render(request, "forum/absence.html", {"topic": topic, "form": form, "current": current})


@login_required
def attendance(request: HttpRequest, pk: int) -> HttpResponse:
    """The roll call (điểm danh), taken by the meeting's secretary or a cell leader."""
    topic = _record_keeper_topic(request, pk)
    rows = selectors.meeting_attendance(topic)
    errors: list[str] = []
    if request.method == "POST":
        entries = {}
        for row in rows:
            status = request.POST.get(f"status_{row.user.pk}")
            if status is not None:
                entries[row.user.pk] = (status, request.POST.get(f"reason_{row.user.pk}", ""))
        try:
            count = services.attendance_record(
                actor=request.user, topic=topic, entries=entries, client_key=posted_key(request)
            )
        except ValidationError as exc:
            errors = _errors(exc)
            for row in rows:  # keep what was typed
                if row.user.pk in entries:
                    row.status, row.reason = entries[row.user.pk]
        else:
            messages.success(request, _("Attendance saved (%(n)s changes).") % {"n": count})
            return redirect("forum:attendance", pk=topic.pk)
    counts = selectors.attendance_count(rows)
    return render(
        request,
        "forum/attendance.html",
        {"topic": topic, "rows": rows, "errors": errors, "statuses": Attendance.Status.choices, "counts": counts},
        status=400 if errors else 200,
    )


def _votes_page(request: HttpRequest, topic: Topic, *, form=None, errors=None, status: int = 200) -> HttpResponse:
    present = selectors.attendance_count(selectors.meeting_attendance(topic)).present
    keeper = permissions.can_keep_meeting_record(request.user, topic, permissions.roles_for_request(request))
    context = {
        "topic": topic,
        "motions": selectors.meeting_motions(topic, request.user, present),
        "present": present,
        "keeper": keeper,
        "form": form or MotionForm(),
        "errors": errors or {},
    }
    return render(request, "forum/votes.html", context, status=status)


@login_required
def votes(request: HttpRequest, pk: int) -> HttpResponse:
    """The meeting's motions: vote (a plain form, no script needed), see the tallies; the
    meeting's secretary opens and closes motions here."""
    return _votes_page(request, _meeting_topic(request, pk))


@login_required
@require_POST
def motion_open(request: HttpRequest, pk: int) -> HttpResponse:
    topic = _record_keeper_topic(request, pk)
    form = MotionForm(request.POST)
    form.is_valid()
    data = form.cleaned_data
    try:
        services.motion_open(
            actor=request.user,
            topic=topic,
            text=data.get("text", ""),
            options=(data.get("options") or "").splitlines(),
            secret=data.get("ballot") == "secret",
            client_key=posted_key(request),
        )
    except ValidationError as exc:
        form.add_error(None, exc)
        return _votes_page(request, topic, form=form, status=400)
    messages.success(request, _("The vote is open."))
    return redirect("forum:votes", pk=topic.pk)


def _motion(request: HttpRequest, pk: int) -> Motion:
    motion = Motion.objects.select_related("topic").filter(pk=pk).first()
    if motion is None:
        raise Http404
    _meeting_topic(request, motion.topic_id)  # 404 unless a member of the meeting's cell
    return motion


@login_required
@require_POST
def motion_vote(request: HttpRequest, pk: int) -> HttpResponse:
    motion = _motion(request, pk)
    raw = request.POST.get("choice", "")
    choice = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 3 else -1
    # A secret ballot's key is bound to nothing posted: the stored key must not tell the choice.
    key = posted_key(request) if not motion.secret else secret_key(request)
    try:
        services.ballot_cast(actor=request.user, motion=motion, choice=choice, client_key=key)
    except ValidationError as exc:
        if _wants_json(request):
            return JsonResponse({"ok": False, "errors": _errors(exc)}, status=400)
        return _votes_page(request, motion.topic, errors={motion.pk: _errors(exc)}, status=400)
    if _wants_json(request):
        return JsonResponse({"ok": True})
    messages.success(request, _("Your vote is recorded."))
    return redirect("forum:votes", pk=motion.topic_id)


@login_required
@require_POST
def motion_close(request: HttpRequest, pk: int) -> HttpResponse:
    motion = _motion(request, pk)
    topic = _record_keeper_topic(request, motion.topic_id)
    services.motion_close(actor=request.user, motion=motion)
    messages.success(request, _("The vote is closed."))
    return redirect("forum:votes", pk=topic.pk)
