"""The portal's pages at 320 px in Debian's Chromium: nothing scrolls sideways (WCAG 1.4.10:
``scrollWidth <= innerWidth``) and axe-core finds nothing, also with tables of long content;
and at 1280 px the same pages pass axe too (screenshots of the main ones for the README)."""

import pytest
from django.urls import reverse

from consent.models import ConsentDecision
from meetings.polls import services as poll_services
from tests.a11y import (
    NARROW,
    WIDE,
    assert_accessible,
    assert_reflows,
    logged_in_page,
    save_screenshot,
)
from tests.factories import (
    admit,
    decide,
    make_meeting,
    make_poll,
    make_recording,
    make_user,
    published_text,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG_TOPIC = "Faculty board meeting on the interdisciplinary doctoral programme 2027–2031"


@pytest.fixture
def world(demo_institution, recordings_storage):
    """A host with upcoming and past meetings, a poll with votes, a recording and consents."""
    from portal.identity.models import Role

    host = make_user(
        "prof.long-name-for-reflow",
        display_name="Prof. Dr. Hanna Müller-Lüdenscheidt",
        role=Role.objects.get(slug="staff"),
        is_institution_member=True,
    )
    meeting = make_meeting(host, topic=LONG_TOPIC)
    make_meeting(host, topic="Weekly seminar", status="scheduled")
    poll = make_poll(meeting)
    participant = admit(meeting, host)
    text = published_text()
    decide(participant, text)
    make_recording(meeting)
    poll_services.close_poll(poll=poll)
    return {"host": host, "meeting": meeting, "poll": poll}


def pages(world) -> list[tuple[str, str]]:
    meeting, poll = world["meeting"], world["poll"]
    return [
        ("home", reverse("home")),
        ("my-meetings", reverse("meetings:my_meetings")),
        ("meeting", reverse("meetings:detail", args=[meeting.meeting_id])),
        ("", reverse("meetings:join")),
        ("my-consents", reverse("consent:mine")),
        ("polls", reverse("meetings:polls:manage", args=[meeting.meeting_id])),
        ("", reverse("meetings:polls:results", args=[meeting.meeting_id, poll.pk])),
        ("recordings", reverse("meetings:meeting_recordings", args=[meeting.meeting_id])),
        ("", reverse("integrations_api:tokens")),
        ("", reverse("portal_my_data")),
        ("", reverse("portal_privacy_notice")),
    ]


def test_the_portals_pages_reflow_at_320_px_and_pass_axe(live_server, new_page, world):
    assert ConsentDecision.objects.exists()
    page = logged_in_page(new_page, live_server, world["host"])
    failures = []
    for screenshot, url in pages(world):
        for viewport in (NARROW, WIDE):
            page.set_viewport_size(viewport)
            response = page.goto(live_server.url + url)
            assert response.status == 200, url
            try:
                if viewport is NARROW:
                    assert_reflows(page, url)
                assert_accessible(page, f"{url} at {viewport['width']} px")
            except AssertionError as error:
                failures.append(str(error))
            if viewport is WIDE and screenshot:
                save_screenshot(page, screenshot)
    assert not failures, "\n".join(failures)


def test_the_licence_report_reflows_at_320_px(live_server, new_page, demo_institution, admin_user):
    page = logged_in_page(new_page, live_server, admin_user, second_factor=True)
    page.set_viewport_size(NARROW)
    page.goto(live_server.url + reverse("portal_licence_report"))
    assert_reflows(page)
    assert_accessible(page)
    # each cell shows its column's name when the rows are stacked
    assert page.locator("td[data-label='Quota']").count() >= 1
