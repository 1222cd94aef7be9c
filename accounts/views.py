from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.forms import ProfileForm
from accounts.models import User
from accounts.services import user_update_profile


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
