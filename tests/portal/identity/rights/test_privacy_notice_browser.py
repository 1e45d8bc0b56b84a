"""The privacy notice in Debian's Chromium: reached from the footer, switched to German with
the language form, and loading nothing from another origin."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_privacy_notice_from_the_footer_in_both_languages(live_server, new_page):
    page = new_page("en-GB")
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(live_server.url + "/")
    page.locator("footer").get_by_role("link", name="Privacy notice").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Privacy notice")
    chat = page.locator('#processing tr[data-kind="chat_messages"]')
    expect(chat).to_contain_text("30 days")
    expect(page.get_by_role("link", name="My data")).to_be_visible()

    page.get_by_label("Language").select_option("de")
    page.get_by_role("button", name="Switch").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Datenschutzhinweise")
    expect(page.locator('#processing tr[data-kind="chat_messages"]')).to_contain_text("30 Tage")
    assert all(url.startswith(live_server.url) for url in requests)
