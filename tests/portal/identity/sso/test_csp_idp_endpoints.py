"""The content security policy allows exactly the registered IdPs' SSO and logout endpoints.

What a browser does with it is proven in ``test_csp_idp_endpoints_browser.py``.
"""

import pytest

from portal.identity.sso import dev_idp
from portal.identity.sso.csp import csp_source_for, idp_form_action_sources
from portal.identity.sso.idp import register_idp


def metadata_at(base: str) -> str:
    """The development IdP's metadata with its endpoints moved to ``base``."""
    return dev_idp.metadata_xml().replace(dev_idp.base_url(), base)


def form_action(response) -> list[str]:
    policy = response["Content-Security-Policy"]
    directive = next(part for part in policy.split(";") if part.strip().startswith("form-action"))
    return directive.split()[1:]


@pytest.fixture
def dev_idp_keys(settings, tmp_path):
    settings.DEV_IDP_KEY_DIR = str(tmp_path)


@pytest.mark.django_db
def test_the_login_page_allows_the_registered_idps_endpoints(client, dev_idp_keys):
    register_idp(slug="uni", name="Uni", metadata=metadata_at("https://idp.uni.example/saml"))
    response = client.get("/accounts/login/")
    assert form_action(response) == [
        "'self'",
        "https://idp.uni.example/saml/slo/",
        "https://idp.uni.example/saml/sso/",
    ]


@pytest.mark.django_db
def test_a_refreshed_idp_replaces_its_old_endpoints(client, dev_idp_keys):
    register_idp(slug="uni", name="Uni", metadata=metadata_at("https://old.uni.example/idp"))
    client.get("/accounts/login/")
    register_idp(slug="uni", name="Uni", metadata=metadata_at("https://new.uni.example/idp"))
    sources = form_action(client.get("/accounts/login/"))
    assert "https://new.uni.example/idp/sso/" in sources
    assert not any("old.uni.example" in source for source in sources)


@pytest.mark.django_db
def test_a_removed_idp_is_no_longer_allowed(client, dev_idp_keys):
    app, _ = register_idp(slug="uni", name="Uni", metadata=metadata_at("https://idp.uni.example"))
    client.get("/accounts/login/")
    app.delete()
    assert form_action(client.get("/accounts/login/")) == ["'self'"]


@pytest.mark.django_db
def test_without_idps_the_policy_stays_self_only(client):
    assert form_action(client.get("/accounts/login/")) == ["'self'"]


@pytest.mark.django_db
def test_an_endpoint_that_would_break_the_header_is_left_out(dev_idp_keys):
    app, _ = register_idp(slug="uni", name="Uni", metadata=metadata_at("https://idp.uni.example"))
    app.settings["idp"]["sso_url"] = "https://evil.example/a;script-src *"
    app.settings["idp"]["slo_url"] = "javascript:alert(1)"
    app.save()
    assert idp_form_action_sources() == []


@pytest.mark.parametrize(
    ("url", "source"),
    [
        ("https://idp.example/sso?x=1#f", "https://idp.example/sso"),
        ("https://IdP.Example:8443", "https://idp.example:8443/"),
        ("http://[::1]:8080/idp/SSO", "http://[::1]:8080/idp/SSO"),
        ("https://idp.example/a b", None),
        ("https://idp.example/a,b", None),
        ("ftp://idp.example/sso", None),
        ("*", None),
        ("https://*.example/sso", None),
        ("", None),
    ],
)
def test_a_csp_source_keeps_scheme_host_port_and_path_or_is_refused(url, source):
    assert csp_source_for(url) == source
