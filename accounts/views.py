import math

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from accounts import services
from accounts.forms import ProfileForm, SlipRedeemForm
from accounts.models import InvitationSlipEvent, User
from accounts.services import user_update_profile
from core import ratelimit


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    # Validate against a copy, so a failed form does not change the header's name.
    form = ProfileForm(request.POST or None, instance=User.objects.get(pk=request.user.pk))
    if request.method == "POST" and form.is_valid():
        user = user_update_profile(user=request.user, **form.cleaned_data)
        translation.activate(user.language)
        messages.success(request, _("Your account was saved."))
        response = redirect("accounts:profile")
        # The saved language now wins over any earlier switch in this browser.
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, user.language, max_age=365 * 24 * 3600, samesite="Lax")
        return response
    # Pushes to this phone are turned on and off here, by the browser (static/js/site.js).
    return render(request, "accounts/profile.html", {"form": form, "vapid_public_key": settings.VAPID_PUBLIC_KEY})


def _refusal(action: str) -> str:
    Action = InvitationSlipEvent.Action
    if action == Action.SPENT:
        return _(
            "This code has already been used. If you have forgotten your password, "
            "ask your cell's secretary for a new slip."
        )
    if action == Action.EXPIRED:
        return _("This code has expired. Ask your cell's secretary for a new slip.")
    if action == Action.LEFT:
        return _(
            "This slip is no longer valid because your membership of the cell has ended "
            "or your role has changed. If this is a mistake, ask your cell's secretary."
        )
    if action == Action.CLOSED:
        return _(
            "This account has been disabled, so this slip can no longer be used. "
            "If this is a mistake, ask your cell's secretary."
        )
    if action == Action.REPLACED:
        return _("A newer slip has replaced this one. Type the code from the newest slip you were given.")
    return _("This code is not right. Check it against the slip and type it again.")


def _failure_key(request: HttpRequest) -> str:
    return f"accounts:slip-failures:{ratelimit.client_ip(request)}"


@never_cache
@sensitive_post_parameters("password1", "password2", "code")
def invite(request: HttpRequest) -> HttpResponse:
    """Public: the page an invitation slip points to. The code comes from the QR code's link
    (?code=) or is typed; a right one names the account, and the member sets a password (and
    may give a phone number) and is logged in. Wrong, used, expired and replaced codes are
    audited and count against the address: past SLIP_FAILURE_LIMIT in SLIP_FAILURE_WINDOW
    the page refuses (429) until the window ends. Nothing typed is lost but the passwords."""
    ip = ratelimit.client_ip(request)
    key = _failure_key(request)
    posted = request.method == "POST"
    if posted:
        form = SlipRedeemForm(request.POST)
    else:
        form = SlipRedeemForm(initial={"code": request.GET.get("code", "")[:64]})
    raw_code = request.POST.get("code") if posted else request.GET.get("code")
    slip = None
    status = 200
    limit = {"limit": settings.SLIP_FAILURE_LIMIT, "period": settings.SLIP_FAILURE_WINDOW}
    retry_after = ratelimit.wait(key, **limit) if raw_code is not None else 0
    if retry_after:
        minutes = max(1, math.ceil(retry_after / 60))
        form.refuse(
            None,
            _("Too many wrong codes were typed from this connection. Please wait %(minutes)d minutes and try again.")
            % {"minutes": minutes},
        )
        response = render(request, "accounts/invite.html", {"form": form, "limited": True}, status=429)
        response["Retry-After"] = str(retry_after)
        return response
    if raw_code is not None and raw_code.strip():
        try:
            slip = services.slip_find(raw_code=raw_code, ip=ip)
        except services.SlipRefused as refused:
            ratelimit.hit(key, **limit)
            form.refuse("code", _refusal(refused.action))
            status = 400
    if posted and slip is not None and form.is_valid():
        password = form.cleaned_data["password1"]
        try:
            validate_password(password, slip.user)
        except ValidationError as exc:
            form.add_error("password1", exc)
        else:
            try:
                user = services.slip_redeem(slip=slip, password=password, phone=form.cleaned_data["phone"], ip=ip)
            except services.SlipRefused as refused:
                form.add_error("code", _refusal(refused.action))
                slip = None
                status = 400
            else:
                login(request, user, backend="accounts.backends.ModelBackend")
                messages.success(
                    request,
                    _("Your password is set. Log in next time with the username %(username)s and this password.")
                    % {"username": user.username},
                )
                return redirect("home")
    if posted and not form.is_valid() and status == 200:
        status = 400
    return render(request, "accounts/invite.html", {"form": form, "slip": slip}, status=status)
