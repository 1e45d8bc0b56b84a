"""A guest erases their data through the private withdrawal link after the meeting, in a fresh
browser without the meeting's session (Debian's Chromium)."""

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from playwright.sync_api import expect

from consent.models import ConsentDecision, RecordingConsentBasis
from meetings.live.selectors import guest_session_key
from meetings.live.services import end_meeting
from meetings.recordings.models import Recording
from tests.factories import admit_guest, make_meeting, make_recording, make_user, published_text

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_guest_erases_their_data_through_the_link(live_server, new_page):
    meeting = make_meeting(make_user("host"), recording_announced=True)
    published_text()
    guest = admit_guest(meeting, "c" * 32, name="Guest Cleo")
    session = SessionStore()
    session[guest_session_key(meeting)] = guest.guest_key
    session.save()
    page = new_page("en-GB")
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": session.session_key,
                "url": live_server.url,
            }
        ]
    )
    page.goto(f"{live_server.url}/consent/meetings/{meeting.meeting_id}/")
    page.get_by_role("button", name="I consent").click()
    link = page.locator("#withdrawal-link a")
    expect(link).to_be_visible()
    url = link.get_attribute("href")
    decision = ConsentDecision.objects.get()
    recording = make_recording(meeting)
    RecordingConsentBasis.objects.create(
        session=recording.session, decision=decision, display_name="Guest Cleo"
    )
    end_meeting(meeting=meeting)

    later = new_page("en-GB")
    later.goto(url.replace(settings.PORTAL_BASE_URL, live_server.url))
    later.get_by_role("button", name="Erase my data").click()

    expect(later.locator("body")).to_contain_text("Your data was erased")
    expect(later.locator("#consent-state")).to_contain_text("You withdrew this consent")
    expect(later.locator("#recordings")).to_contain_text("deleted on")
    assert not RecordingConsentBasis.objects.filter(display_name__contains="Cleo").exists()
    assert Recording.objects.get(pk=recording.pk).state == Recording.State.DELETION_SCHEDULED
