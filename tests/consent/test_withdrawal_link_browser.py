"""A guest consents, keeps the private link, and withdraws through it after the meeting ended,
in a fresh browser without the meeting's session (Debian's Chromium)."""

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


def test_a_guest_withdraws_through_the_link_after_the_meeting(live_server, new_page):
    meeting = make_meeting(make_user("host"), recording_announced=True)
    published_text()
    guest = admit_guest(meeting, "b" * 32, name="Guest Bea")
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
    page.get_by_label("Send me the link to withdraw my consent (optional)").fill(
        "bea@partner.example"
    )
    page.get_by_role("button", name="I consent").click()
    link = page.locator("#withdrawal-link a")
    expect(link).to_be_visible()
    url = link.get_attribute("href")

    decision = ConsentDecision.objects.get()
    recording = make_recording(meeting)
    RecordingConsentBasis.objects.create(
        session=recording.session, decision=decision, display_name="Guest Bea"
    )
    end_meeting(meeting=meeting)

    later = new_page("en-GB")  # another browser: no account, no session of the meeting
    later.goto(url.replace(settings.PORTAL_BASE_URL, live_server.url))
    expect(later.locator("#consent-state")).to_have_text("This consent is in force.")
    later.get_by_role("button", name="Withdraw my consent").click()
    expect(later.locator("#consent-state")).to_contain_text("You withdrew this consent")
    expect(later.locator("#recordings")).to_contain_text("deleted on")
    recording.refresh_from_db()
    assert recording.deletion_due_at is not None
    assert Recording.objects.get(pk=recording.pk).state == Recording.State.DELETION_SCHEDULED
