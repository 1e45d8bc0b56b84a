"""The design system's behaviour in Debian's Chromium: a copy button copies and says so in
the live region, under the strict CSP (its script is a static file)."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.a11y import assert_accessible, logged_in_page
from tests.factories import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_copy_button_copies_the_new_token_and_says_so(live_server, new_page):
    page = logged_in_page(
        lambda locale: new_page(locale, permissions=["clipboard-read", "clipboard-write"]),
        live_server,
        make_user("anna"),
    )
    page.goto(live_server.url + reverse("integrations_api:tokens"))
    page.get_by_label("Name").fill("Calendar sync")
    page.locator("input[name=scopes]").first.check()
    page.get_by_role("button", name="Create the token").click()
    token = page.get_by_label("Token", exact=True).input_value()
    assert token

    page.get_by_role("button", name="Copy the token").click()

    expect(page.locator("#toasts")).to_contain_text("Copied to the clipboard.")
    assert page.evaluate("() => navigator.clipboard.readText()") == token
    assert_accessible(page)
