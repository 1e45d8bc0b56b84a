from django.contrib import admin
from django.urls import include, path, re_path
from django.views.i18n import JavaScriptCatalog

from portal import views
from portal.sso import dev_idp_views
from portal.sso import views as sso_views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    # allauth's SAML ACS finish step, wrapped to refuse replayed assertions (before allauth's)
    re_path(
        r"^accounts/saml/(?P<organization_slug>[^/]+)/acs/finish/$",
        sso_views.finish_acs,
        name="portal_saml_finish_acs",
    ),
    path("accounts/login/", sso_views.login, name="portal_login"),
    path("accounts/", include("allauth.urls")),
    path("terms/", sso_views.terms, name="portal_terms"),
    path("admin/licences/report/", sso_views.licence_report, name="portal_licence_report"),
    path("dev-idp/metadata/", dev_idp_views.metadata, name="dev_idp_metadata"),
    path("dev-idp/sso/", dev_idp_views.sso, name="dev_idp_sso"),
    path("dev-idp/slo/", dev_idp_views.slo, name="dev_idp_slo"),
    path("admin/", admin.site.urls),
    path("meetings/", include("meetings.urls")),
    path("consent/", include("consent.urls")),
]
