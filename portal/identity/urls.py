"""Identity's URLs: SSO login (allauth with the portal's ACS finish step), terms, licence report,
and the development IdP."""

from django.urls import URLPattern, URLResolver, include, path, re_path

from portal.identity.sso import dev_idp_views
from portal.identity.sso import views as sso_views

urlpatterns: list[URLPattern | URLResolver] = [
    # allauth's SAML ACS finish step and SP metadata, replaced by the portal's (before allauth's)
    re_path(
        r"^accounts/saml/(?P<organization_slug>[^/]+)/acs/finish/$",
        sso_views.finish_acs,
        name="portal_saml_finish_acs",
    ),
    re_path(
        r"^accounts/saml/(?P<organization_slug>[^/]+)/metadata/$",
        sso_views.sp_metadata,
        name="portal_saml_metadata",
    ),
    path("accounts/login/", sso_views.login, name="portal_login"),
    path("accounts/", include("allauth.urls")),
    path("terms/", sso_views.terms, name="portal_terms"),
    path("", include("portal.identity.rights.urls")),
    path("admin/licences/report/", sso_views.licence_report, name="portal_licence_report"),
    path("dev-idp/metadata/", dev_idp_views.metadata, name="dev_idp_metadata"),
    path("dev-idp/sso/", dev_idp_views.sso, name="dev_idp_sso"),
    path("dev-idp/slo/", dev_idp_views.slo, name="dev_idp_slo"),
]
