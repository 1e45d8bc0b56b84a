"""The announcement of a planned recording, as consent renders it through the recording gate
for the join page, the waiting room (HTML) and invitations and calendar files (absolute)."""

import pytest

from meetings.recordings.gate import announcement
from tests.factories import make_meeting, make_user, published_text

pytestmark = pytest.mark.django_db


def test_it_announces_a_planned_recording_with_a_link_to_the_text():
    text = published_text()
    meeting = make_meeting(make_user("host"), recording_announced=True)
    html = announcement(meeting=meeting)
    assert "planned to be recorded" in html or "aufgezeichnet" in html
    assert f'href="/consent/text/{text.version}/"' in html
    assert f'href="/consent/meetings/{meeting.meeting_id}/"' in html


def test_invitations_get_absolute_links(settings):
    settings.PORTAL_BASE_URL = "https://meet.uni.example"
    published_text()
    meeting = make_meeting(make_user("host"), recording_announced=True)
    text = announcement(meeting=meeting, absolute=True)
    assert "https://meet.uni.example/consent/text/1/" in text


def test_it_says_nothing_without_a_planned_recording():
    published_text()
    meeting = make_meeting(make_user("host"), recording_announced=False)
    assert announcement(meeting=meeting).strip() == ""
    assert announcement(meeting=meeting, absolute=True).strip() == ""
