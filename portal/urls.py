"""The root URLs: the only place that includes every app's (docs/ARCHITECTURE.md)."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView
from django.views.i18n import JavaScriptCatalog

from portal import metrics, views
from retention.admin import log_personal_data_reads

# every admin page that shows personal data writes the access log (docs/POLICY.md, retention);
# before admin.site.urls binds the views, after every app registered its admins
log_personal_data_reads(admin.site)

# the admin carries the portal's name (its look: templates/admin/base_site.html)
admin.site.site_header = format_lazy("{} · {}", settings.INSTITUTION_NAME, _("Administration"))
admin.site.site_title = format_lazy("{} · {}", settings.INSTITUTION_NAME, _("Administration"))
admin.site.index_title = _("Dashboard")
# the dashboard and the breadcrumbs lead everywhere; the side bar of every model would take a
# quarter of the width that the rules' tables need
admin.site.enable_nav_sidebar = False

urlpatterns = [
    path("", views.home, name="home"),
    # browsers ask for /favicon.ico by themselves (pages link the SVG and the ICO)
    path("favicon.ico", views.favicon, name="favicon"),
    path("healthz", views.healthz, name="healthz"),
    path("metrics", metrics.metrics, name="metrics"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("", include("portal.identity.urls")),
    # Django's own admin login asks for a password only: the portal's login (allauth, with
    # the second factor) is the only way in (portal/identity/second_factor.py)
    path(
        "admin/login/",
        RedirectView.as_view(pattern_name="account_login", query_string=True),
        name="admin_login_redirect",
    ),
    path("admin/", admin.site.urls),
    # leavers from the identity management (portal/identity/scim.py; bearer token)
    path("scim/v2/", include("django_scim.urls", namespace="scim")),
    path("meetings/", include("meetings.urls")),
    path("consent/", include("consent.urls")),
    path("", include("integrations.urls")),
]

# A translated page instead of the bare "Server Error (500)"; 503 while a service is away.
handler500 = "portal.views.server_error"
