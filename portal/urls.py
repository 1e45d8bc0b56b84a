"""The root URLs: the only place that includes every app's (docs/ARCHITECTURE.md)."""

from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from portal import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("", include("portal.identity.urls")),
    path("admin/", admin.site.urls),
    # leavers from the identity management (portal/identity/scim.py; bearer token)
    path("scim/v2/", include("django_scim.urls", namespace="scim")),
    path("meetings/", include("meetings.urls")),
    path("consent/", include("consent.urls")),
]

# A translated page instead of the bare "Server Error (500)"; 503 while a service is away.
handler500 = "portal.views.server_error"
