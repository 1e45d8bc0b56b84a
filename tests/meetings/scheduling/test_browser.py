"""Scheduling a meeting through the form with the keyboard only, in Debian's Chromium."""

import datetime

import pytest
from django.conf import settings
from django.test import Client

from meetings.scheduling.models import Meeting

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def logged_in_page(new_page, live_server, user):
    client = Client()
    client.force_login(user)
    page = new_page("en-GB")
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    return page


def test_a_host_schedules_a_meeting_with_the_keyboard(live_server, new_page, host):
    page = logged_in_page(new_page, live_server, host)
    page.goto(live_server.url + "/meetings/new/")
    page.locator("#id_topic").focus()
    page.keyboard.type("Keyboard seminar")
    page.keyboard.press("Tab")  # description
    page.keyboard.type("Typed without a mouse")
    page.keyboard.press("Tab")  # start
    day = datetime.date.today() + datetime.timedelta(days=30)
    page.keyboard.type(f"{day:%Y-%m-%d} 10:00")
    page.keyboard.press("Tab")
    page.keyboard.type("45")  # duration
    page.locator("#id_passcode").focus()
    page.keyboard.type("Tastatur-2030")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("h1").inner_text() == "Keyboard seminar"
    assert "Tastatur-2030" not in page.title()
    meeting = Meeting.objects.get()
    assert meeting.duration_minutes == 45
    assert meeting.passcode_matches("Tastatur-2030")
    assert meeting.start.astimezone(datetime.UTC).date() == day


def test_the_error_summary_leads_to_the_field(live_server, new_page, host):
    page = logged_in_page(new_page, live_server, host)
    page.goto(live_server.url + "/meetings/new/")
    page.locator("#id_duration_minutes").focus()
    page.keyboard.type("0")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    summary = page.locator("#error-summary")
    summary.wait_for()
    page.wait_for_function("document.activeElement.id === 'error-summary'")
    summary.get_by_role("link", name="Topic: This field is required.").focus()
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#id_topic"
    assert not Meeting.objects.exists()
