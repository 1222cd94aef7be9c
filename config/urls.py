from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.i18n import set_language

from cells.views import home
from core import pwa
from core.views import favicon, healthz, robots_txt
from courses.views import certificate_verify, certificate_verify_form

admin.site.site_header = _("Chi bộ số administration")
admin.site.site_title = _("Chi bộ số administration")

urlpatterns = [
    path("", home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("robots.txt", robots_txt, name="robots_txt"),
    path("favicon.ico", favicon, name="favicon"),
    path("manifest.webmanifest", pwa.manifest, name="manifest"),
    path("sw.js", pwa.service_worker, name="service_worker"),
    path("offline/", pwa.offline, name="offline"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("cells/", include("cells.urls")),
    path("notifications/", include("notifications.urls")),
    path("courses/", include("courses.urls")),
    path("certificates/verify/", certificate_verify_form, name="certificate_verify_form"),
    path("certificates/verify/<str:code>/", certificate_verify, name="certificate_verify"),
    path("pledges/", include("pledges.urls")),
    path("forum/", include("forum.urls")),
    path("reports/", include("reports.urls")),
    path("admin/", admin.site.urls),
]
