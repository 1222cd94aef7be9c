"""What makes the site an installable app that opens offline: the web app manifest, the
service worker (core/sw.js, served from the root so that it controls every page) and the
offline page it shows for a page never opened before.

What the service worker keeps (static/js/site.js registers it; nothing needs it):
- the shell of this release (`chibo-shell-<release digest>`): the static files below and the
  offline page, fetched at install; an update drops the older releases' shells;
- `chibo-pages`: the pages matched by KEEP (home, study modules, lessons, lesson documents)
  as the member opens them, or all of a module at once with "Save for offline use". Private:
  in this browser's Cache Storage only (the responses say `Cache-Control: private`), deleted
  when a logout or a login is posted from this browser.
"""

import json
from pathlib import Path

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control, never_cache

# Fetched when the worker installs: what the offline page and a notification need. The other
# scripts join the shell the first time a page loads them.
SHELL_FILES = (
    "css/site.css",
    "js/site.js",
    "js/outbox.js",
    "img/favicon.svg",
    "img/icon-192.png",
)
# Pages worth keeping for offline reading, as JavaScript regular expressions on the path.
KEEP = (
    r"^/$",
    r"^/courses/$",
    r"^/courses/\d+/$",
    r"^/courses/lessons/\d+/$",
    r"^/courses/documents/\d+/$",
)
THEME_COLOR = "#b71c1c"
BACKGROUND_COLOR = "#faf7f2"
SOURCE = Path(__file__).with_name("sw.js")


def manifest(request: HttpRequest) -> JsonResponse:
    with translation.override("vi"):
        data = {
            "name": "Chi bộ số",
            "short_name": "Chi bộ số",
            "description": _("Digital platform for Party cells"),
            "lang": "vi",
            "dir": "ltr",
            "id": "/",
            "start_url": "/",
            "scope": "/",
            "display": "standalone",
            "theme_color": THEME_COLOR,
            "background_color": BACKGROUND_COLOR,
            "icons": [
                {"src": static("img/icon-192.png"), "sizes": "192x192", "type": "image/png", "purpose": "any"},
                {"src": static("img/icon-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "any"},
                {
                    "src": static("img/icon-maskable-512.png"),
                    "sizes": "512x512",
                    "type": "image/png",
                    "purpose": "maskable",
                },
            ],
        }
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/manifest+json"
    response["Cache-Control"] = "public, max-age=3600"
    return response


def service_worker_config() -> dict:
    return {
        "version": settings.CACHE_RELEASE,
        "static": settings.STATIC_URL,
        "files": {name: static(name) for name in SHELL_FILES},
        "shell": [reverse("offline"), *(static(name) for name in SHELL_FILES)],
        "offline": reverse("offline"),
        "icon": static("img/icon-192.png"),
        "keep": list(KEEP),
        "drop": [reverse("account_logout"), reverse("account_login")],
        "logout": reverse("account_logout"),
    }


_script: str | None = None


def service_worker_script() -> str:
    global _script
    if _script is None:
        _script = SOURCE.read_text().replace('"__CONFIG__"', json.dumps(service_worker_config()), 1)
    return _script


@never_cache
def service_worker(request: HttpRequest) -> HttpResponse:
    # Never cached, so a new release's worker is seen at the next visit; allowed to control "/".
    response = HttpResponse(service_worker_script(), content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    return response


@cache_control(private=True, max_age=0)
def offline(request: HttpRequest) -> HttpResponse:
    # The same page for everyone (it is stored by the worker): no name, no token, no menu.
    return render(request, "offline.html")
