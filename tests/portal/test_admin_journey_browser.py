"""The administrator's journey in Debian's Chromium: an IT-department member logs in by SSO
through the development IdP, the IdP group "it-admins" makes her an administrator, she sets up
her second factor, and from the dashboard reaches the licence report, the meeting policy, the
consent texts, the retention rules and the legal holds. axe-core finds nothing on any page at
1280 px and at 320 px; the main screens are saved into docs/screenshots/."""

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from playwright.sync_api import expect

from consent.services import create_demo_consent_text
from portal.identity.models import User
from tests.a11y import NARROW, WIDE, assert_accessible, assert_reflows, save_screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def dev_idp(dev_idp_on_live_server):
    """The development IdP, and the consent text demo_data adds beyond the institution."""
    create_demo_consent_text()


def check(page, where: str, *, screenshot: str = "", portal_page: bool = False) -> None:
    """axe at 1280 px and at 320 px; the portal's own pages must not scroll sideways."""
    for viewport in (NARROW, WIDE):
        page.set_viewport_size(viewport)
        assert_accessible(page, f"{where} at {viewport['width']} px")
        if viewport is NARROW and portal_page:
            assert_reflows(page, where)
    if screenshot:
        save_screenshot(page, screenshot)


def current_code(page) -> str:
    """The authenticator app's code for the secret the activation page shows."""
    import time

    from allauth.mfa import app_settings

    secret = page.get_by_label("Authenticator secret").input_value()
    return format_hotp_value(hotp_value(secret, int(time.time()) // app_settings.TOTP_PERIOD))


def test_an_it_admin_administers_the_portal_after_sso_and_a_second_factor(
    live_server, new_page, dev_idp
):
    page = new_page("en-GB")
    page.set_viewport_size(WIDE)

    # SSO through the institution's IdP
    page.goto(live_server.url + "/accounts/login/")
    check(page, "login", screenshot="login", portal_page=True)
    page.get_by_role("button", name="Log in with Demo University").click()
    page.get_by_label("Demo person").select_option("it.admin")
    page.get_by_label("Password").fill("demo-password")
    check(page, "development IdP", portal_page=True)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Accept and continue")).to_be_visible()
    check(page, "terms", portal_page=True)
    page.get_by_label("I accept the terms of use and the privacy notice.").check()
    page.get_by_role("button", name="Accept and continue").click()
    expect(page.get_by_role("heading", name="Online meetings")).to_be_visible()

    ida = User.objects.get(email="it.admin@uni.example")
    assert ida.is_staff and not ida.is_superuser
    assert ida.groups.filter(name="IT administrators").exists()

    # the administration first asks for a second factor
    navigation = page.get_by_role("navigation", name="Main navigation")
    expect(navigation.get_by_role("link", name="Administration")).to_be_visible()
    check(page, "home", screenshot="home", portal_page=True)
    navigation.get_by_role("link", name="Administration").click()
    expect(page.get_by_text("The administration needs a second factor")).to_be_visible()
    check(page, "second factor", portal_page=True)
    page.goto(live_server.url + "/accounts/2fa/totp/activate/")
    check(page, "authenticator app", portal_page=True)
    page.get_by_label("Authenticator code").fill(current_code(page))
    page.get_by_role("button", name="Activate").click()
    expect(page.get_by_label("Authenticator code")).to_have_count(0)
    assert ida.authenticator_set.exists()

    # the dashboard and the tasks it links
    page.goto(live_server.url + "/admin/")
    tasks = page.locator(".task-tiles")
    expect(tasks.get_by_role("link", name="Licence report")).to_be_visible()
    check(page, "dashboard", screenshot="admin-dashboard")

    tasks.get_by_role("link", name="Licence report").click()
    expect(page.get_by_role("heading", name="Licence pools")).to_be_visible()
    check(page, "licence report", screenshot="licence-report", portal_page=True)

    page.goto(live_server.url + "/admin/")
    tasks.get_by_role("link", name="Meeting policy").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("policy")
    check(page, "meeting policy")

    page.goto(live_server.url + "/admin/")
    tasks.get_by_role("link", name="Consent texts").click()
    # the demo data published one, so recording consent is no dead end
    expect(page.get_by_role("cell", name="Consent to recording", exact=True)).to_be_visible()
    check(page, "consent texts")
    page.locator("#result_list tbody a").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("consent text")
    check(page, "consent text")

    page.goto(live_server.url + "/admin/")
    tasks.get_by_role("link", name="Retention rules").click()
    check(page, "retention rules", screenshot="retention-rules")
    # the rules' table fits at 1280 px: nothing is cut off or hidden behind a scroll bar
    assert page.evaluate(
        "() => { const r = document.querySelector('#changelist .results');"
        " return r.scrollWidth <= r.clientWidth; }"
    )

    page.goto(live_server.url + "/admin/")
    tasks.get_by_role("link", name="Legal holds").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("legal hold")
    check(page, "legal holds")
