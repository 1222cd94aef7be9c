from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.i18n import set_language

from cells.views import home
from core.views import healthz, robots_txt

admin.site.site_header = _("Chi bộ số administration")
admin.site.site_title = _("Chi bộ số administration")

urlpatterns = [
    path("", home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("robots.txt", robots_txt, name="robots_txt"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("cells/", include("cells.urls")),
    path("notifications/", include("notifications.urls")),
    path("forum/", include("forum.urls")),
    path("admin/", admin.site.urls),
]
