"""Interoperability with a real IdP on its own origin: SimpleSAMLphp 1.19 (Debian) in Chromium.

SimpleSAMLphp runs under PHP's built-in server on ``localhost`` (another site than the portal
on ``127.0.0.1``), releases ``urn:oid`` attributes with NameFormat ``uri`` and checks the
portal's signed AuthnRequests. The content security policy stays enforced: a violation
fails the test. IdPs are registered with ``add_idp`` from the metadata URL, as an operator
does.
"""

import io
import os
import re

import pytest
from allauth.socialaccount.models import SocialAccount, SocialApp
from django.core.management import call_command

from portal.identity.models import SeenAssertion, User
from portal.identity.sso.receivers import SAML_SESSION_KEY

from . import simplesamlphp
from .simplesamlphp import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

IDPS = {
    "fed": "Federation",
    "fed-enc": "Federation encrypted",
    "fed-outer": "Federation outer signature",
}


@pytest.fixture(scope="session")
def simplesamlphp_idp(live_server, tmp_path_factory, _saml_sp_keys):
    reason = simplesamlphp.missing()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run SimpleSAMLphp: {reason}")
        pytest.skip(reason)
    idp = simplesamlphp.start(tmp_path_factory.mktemp("simplesamlphp"))
    simplesamlphp.write_sp_remote(idp, portal_url=live_server.url)
    yield idp
    idp.stop()


@pytest.fixture
def federation(live_server, settings, simplesamlphp_idp, demo_institution):
    settings.PORTAL_BASE_URL = live_server.url
    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
    for slug, name in IDPS.items():
        call_command(
            "add_idp",
            "--slug", slug, "--name", name, "--metadata", simplesamlphp_idp.metadata_url,
            stdout=io.StringIO(),
        )  # fmt: skip
    return simplesamlphp_idp


@pytest.fixture
def browser_page(new_page):
    """A page that records every content security policy violation."""
    page = new_page("en-GB")
    page.violations = []
    page.saml_responses = []
    page.on(
        "request",
        lambda request: (
            page.saml_responses.append(_saml_response(request.post_data or ""))
            if request.method == "POST" and request.url.endswith("/acs/")
            else None
        ),
    )
    page.on(
        "console",
        lambda message: (
            page.violations.append(message.text)
            if "Content Security Policy" in message.text
            else None
        ),
    )
    return page


def log_in(page, live_server, federation, *, username: str, idp: str = "fed") -> None:
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_role("button", name=f"Log in with {IDPS[idp]}", exact=True).click()
    page.wait_for_url(re.compile(re.escape(federation.base_url) + r"/.*"))
    page.locator("#username").fill(username)
    page.locator("#password").fill(PASSWORD)
    page.locator("#submit_button").click()
    # SimpleSAMLphp posts the response to the portal's ACS from an auto-submitting form
    page.wait_for_url(re.compile(re.escape(live_server.url) + r"/.*"))
    page.wait_for_load_state()


def accept_terms(page, live_server) -> None:
    page.wait_for_url(re.compile(r".*/terms/.*"))
    page.get_by_label(re.compile("I accept")).check()
    page.get_by_role("button", name=re.compile("Accept")).click()
    page.wait_for_url(live_server.url + "/")


def log_out(page, live_server, federation) -> None:
    page.goto(live_server.url + "/")
    page.get_by_role("button", name="Log out").click()
    # to SimpleSAMLphp's SingleLogoutService and back to the portal's SLS, then home
    page.wait_for_url(re.compile(re.escape(live_server.url) + r"/(accounts/login/)?(\?.*)?$"))


def assert_no_violation(page) -> None:
    assert page.violations == []


def test_a_professor_logs_in_and_out_with_staff_role_and_business_licence(
    live_server, federation, browser_page
):
    page = browser_page
    log_in(page, live_server, federation, username="prof.mueller")
    accept_terms(page, live_server)

    user = User.objects.get(username="prof.mueller@uni.example")
    assert user.role.slug == "staff"
    assert user.licence_assignment.licence_type.slug == "business"
    assert "Hanna" in page.content()
    log_out(page, live_server, federation)
    assert page.get_by_role("button", name="Log out").count() == 0
    assert "LogoutRequest" in federation.log() or "logout" in federation.log().lower()
    assert_no_violation(page)


def test_a_student_gets_basic(live_server, federation, browser_page):
    log_in(browser_page, live_server, federation, username="s.yilmaz")
    accept_terms(browser_page, live_server)

    user = User.objects.get(username="s.yilmaz@uni.example")
    assert user.licence_assignment.licence_type.slug == "basic"
    log_out(browser_page, live_server, federation)
    assert_no_violation(browser_page)


def test_a_fifteen_year_old_is_refused(live_server, federation, browser_page):
    log_in(browser_page, live_server, federation, username="p.jung")

    assert "may be used from the age of 16 only" in browser_page.content()
    assert not User.objects.filter(username="p.jung@uni.example").exists()
    assert_no_violation(browser_page)


def test_a_person_without_affiliation_is_a_guest(live_server, federation, browser_page):
    log_in(browser_page, live_server, federation, username="n.affil")
    accept_terms(browser_page, live_server)

    user = User.objects.get(username="n.affil@uni.example")
    assert user.role.slug == "guest" and not user.is_institution_member
    assert_no_violation(browser_page)


def test_a_person_without_eppn_gets_the_same_account_at_the_second_login(
    live_server, federation, new_page
):
    for attempt in range(2):
        page = new_page("en-GB")
        log_in(page, live_server, federation, username="e.ohne")
        if attempt == 0:
            accept_terms(page, live_server)
        else:
            page.wait_for_url(live_server.url + "/")
        log_out(page, live_server, federation)

    account = SocialAccount.objects.get(provider=federation.entity_id)
    assert "@" not in account.uid  # the persistent NameID SimpleSAMLphp derived
    assert User.objects.filter(email="e.ohne@uni.example").count() == 1


def test_encrypted_assertions_log_in_and_out(live_server, federation, browser_page):
    page = browser_page
    log_in(page, live_server, federation, username="s.yilmaz", idp="fed-enc")
    accept_terms(page, live_server)

    assert "EncryptedAssertion" in page.saml_responses[0]
    assert "s.yilmaz@uni.example" not in page.saml_responses[0]
    assert SocialAccount.objects.get().uid == "s.yilmaz@uni.example"
    assert SeenAssertion.objects.count() == 1
    saml = page.context.request.get(live_server.url + "/")  # session still alive
    assert saml.ok
    session_facts = _session_of(page, live_server)[SAML_SESSION_KEY]
    assert session_facts["name_id"] and session_facts["name_id"] != federation.entity_id
    assert session_facts["session_index"]
    log_out(page, live_server, federation)
    assert "EncryptedAssertion" not in page.content()
    assert_no_violation(page)


def test_a_response_signed_only_at_the_outer_level_is_refused(
    live_server, federation, browser_page
):
    log_in(browser_page, live_server, federation, username="s.yilmaz", idp="fed-outer")
    response = browser_page.saml_responses[0]
    assert response.count("<ds:SignatureValue>") == 1  # on the response only
    assert response.index("<ds:SignatureValue>") < response.index("<saml:Assertion ")

    assert "not signed as the portal requires" in browser_page.content()
    assert not User.objects.filter(username="s.yilmaz@uni.example").exists()
    assert_no_violation(browser_page)


def test_an_idp_initiated_login_is_refused(live_server, federation, browser_page):
    page = browser_page
    page.goto(federation.idp_initiated_url(f"{live_server.url}/accounts/saml/fed/metadata/"))
    page.locator("#username").fill("s.yilmaz")
    page.locator("#password").fill(PASSWORD)
    page.locator("#submit_button").click()
    page.wait_for_url(re.compile(re.escape(live_server.url) + r"/.*"))
    page.wait_for_load_state()

    assert "Logins started at the identity provider are not accepted" in page.content()
    assert not User.objects.filter(username="s.yilmaz@uni.example").exists()


def test_add_idp_rerun_against_the_live_idp_keeps_every_setting(live_server, federation):
    call_command(
        "add_idp", "--slug", "fed", "--metadata", federation.metadata_url,
        "--encrypt-assertions", "--scope", "uni.example", stdout=io.StringIO(),
    )  # fmt: skip
    before = SocialApp.objects.get(client_id="fed").settings

    call_command(
        "add_idp", "--slug", "fed", "--metadata", federation.metadata_url, stdout=io.StringIO()
    )

    assert SocialApp.objects.get(client_id="fed").settings == before


def _saml_response(form: str) -> str:
    import base64
    from urllib.parse import parse_qs

    encoded = parse_qs(form).get("SAMLResponse", [""])[0]
    return base64.b64decode(encoded).decode(errors="replace")


def _session_of(page, live_server) -> dict:
    from importlib import import_module

    from django.conf import settings

    cookie = next(
        c
        for c in page.context.cookies(live_server.url)
        if c["name"] == settings.SESSION_COOKIE_NAME
    )
    return import_module(settings.SESSION_ENGINE).SessionStore(cookie["value"]).load()
