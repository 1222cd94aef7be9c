"""Text typed in a session that had expired."""

# A POST from a logged-out browser keeps what was typed in that browser's (new, anonymous)
# session under the pledge's id; logging in keeps the session's data, and the next visit to
# the pledge by its own member saves it. Anyone else who logs in on that browser never sees it.

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from core import ratelimit
from pledges.models import Pledge
from pledges.views.page import _is_autosave

STASH = "pledges.stash"
STASH_MAX_CHARS = 50_000  # a long pledge is ~15 000; bounds what an anonymous POST can park
STASH_MAX_ITEMS = 3
STASH_LIMIT = 20  # parked posts per IP per window: anonymous POSTs must not fill the session table
STASH_WINDOW = 3600  # seconds


def _stash(request: HttpRequest, pk: int, kind: str) -> None:
    # Only a browser whose session ended (it still sends the session cookie) is typing in a
    # pledge page; a POST without one is not, and must not create a session row.
    if settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return
    data = {k: v for k, v in request.POST.items() if k != "csrfmiddlewaretoken"}
    if sum(len(k) + len(v) for k, v in data.items()) > STASH_MAX_CHARS:
        return
    if not Pledge.objects.filter(pk=pk).exists() or ratelimit.hit(
        f"pledges:stash:{request.META.get('REMOTE_ADDR', 'unknown')}", limit=STASH_LIMIT, period=STASH_WINDOW
    ):
        return
    stash = request.session.get(STASH, {})
    stash.pop(str(pk), None)
    stash[str(pk)] = {"kind": kind, "data": data}
    request.session[STASH] = dict(list(stash.items())[-STASH_MAX_ITEMS:])


def _unstash(request: HttpRequest, pledge: Pledge) -> dict | None:
    stash = request.session.get(STASH)
    if not stash or str(pledge.pk) not in stash:
        return None
    item = stash.pop(str(pledge.pk))
    request.session[STASH] = stash
    return item if pledge.member_id == request.user.pk else None


def _drop_stash(request: HttpRequest, pledge: Pledge) -> None:
    """The member saved from a live page: an older parked copy must not come back later."""
    stash = request.session.get(STASH)
    if stash and str(pledge.pk) in stash:
        stash.pop(str(pledge.pk))
        request.session[STASH] = stash


def _logged_out(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    _stash(request, pk, kind)
    login_url = f"{reverse('account_login')}?next={reverse('pledges:detail', args=[pk])}"
    if _is_autosave(request):
        message = _("Your session has ended. Log in again: the text you typed is kept.")
        return JsonResponse({"ok": False, "error": message, "login_url": login_url}, status=401)
    return redirect_to_login(reverse("pledges:detail", args=[pk]))
