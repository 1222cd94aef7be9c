import json

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.params import int_param
from notifications import services
from notifications.models import Notification
from notifications.services import notifications_mark_read


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(request.user.notifications.all(), 30).get_page(int_param(request.GET.get("page"), minimum=1))
    return render(request, "notifications/notification_list.html", {"page": page})


@login_required
@require_POST
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    # Only the owner's notifications exist for this lookup: anyone else's answers 404.
    notification = get_object_or_404(Notification, pk=pk, user=request.user)
    notifications_mark_read(user=request.user, ids=[notification.pk])
    target = notification.url
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("notifications:list")


@login_required
@require_POST
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    notifications_mark_read(user=request.user)
    return redirect("notifications:list")


def _json(request: HttpRequest) -> dict | None:
    try:
        data = json.loads(request.body or b"{}")
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


@login_required
@require_POST
def push_subscribe(request: HttpRequest) -> HttpResponse:
    """Turn pushes on for this browser: the body is the browser's PushSubscription as JSON."""
    data = _json(request)
    keys = (data or {}).get("keys") or {}
    endpoint, p256dh, auth = (data or {}).get("endpoint"), keys.get("p256dh"), keys.get("auth")
    # Push services are on https; the server posts to this address, so nothing else is taken
    # (tests allow a loopback http endpoint with PUSH_ALLOW_HTTP).
    schemes = ("https://", "http://") if settings.PUSH_ALLOW_HTTP else ("https://",)
    if not all(isinstance(v, str) and 0 < len(v) <= 1000 for v in (endpoint, p256dh, auth)) or not (
        endpoint.startswith(schemes)
    ):
        return HttpResponseBadRequest(_("The form was not understood."), content_type="text/plain; charset=utf-8")
    services.push_subscribe(user=request.user, endpoint=endpoint, p256dh=p256dh[:200], auth=auth[:100])
    return HttpResponse(status=204)


@login_required
@require_POST
def push_unsubscribe(request: HttpRequest) -> HttpResponse:
    data = _json(request) or {}
    endpoint = data.get("endpoint")
    if isinstance(endpoint, str):
        services.push_unsubscribe(user=request.user, endpoint=endpoint)
    return HttpResponse(status=204)
