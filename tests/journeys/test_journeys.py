"""The journeys of host, member, guest and invitee through the real pages, in Debian's
Chromium against a real ASGI server (websockets included): every page a journey visits has no
axe violation at 1280 and at 320 px, and each main screen is saved to docs/screenshots/."""

import datetime
import re

import pytest
from django.conf import settings
from django.test import Client
from django.utils.timezone import now
from playwright.sync_api import expect

from meetings.live import services as services_live
from meetings.live.models import Participant
from meetings.polls import services as poll_services
from meetings.scheduling.models import Invitation, Meeting
from tests.factories import PASSCODE, make_meeting, make_user
from tests.journeys.axe import check_page
from tests.meetings.live.asgi_server import start_asgi_server

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def server(transactional_db):
    running = start_asgi_server()
    yield running
    running.stop()


def sign_in(page, server, user) -> None:
    """What the single sign-on leaves behind: a session of ``user`` in this browser."""
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": server.url,
            }
        ]
    )


def running_meeting(host, **fields) -> Meeting:
    values = {
        "host": host,
        "start": now() - datetime.timedelta(minutes=5),
        "started_at": now(),
        "passcode": PASSCODE,
        "topic": "Seminar on governance",
    }
    values.update(fields)
    return make_meeting(**values)


def test_the_host_schedules_starts_and_runs_a_meeting(new_page, server, host, member):
    make_user("another", role=host.role, is_institution_member=True, last_name="Andersen")
    page = new_page("en-GB")
    sign_in(page, server, host)
    page.goto(f"{server.url}/meetings/new/")
    check_page(page, "host-1-schedule-form")
    start = (now() + datetime.timedelta(days=20)).strftime("%d.%m.%Y") + " 10:15"
    page.fill("#id_topic", "Colloquium")
    page.fill("#id_start", start)
    page.fill("#id_duration_minutes", "60")
    page.fill("#id_timezone", "europe/berlin")
    page.fill("#id_co_hosts_filter", "coll")
    shown = page.locator("#id_co_hosts .filtered-choices__option:not([hidden]) input")
    expect(shown).to_have_count(1)
    shown.check()
    with page.expect_navigation():
        page.get_by_role("button", name="Save").click()
    expect(page.locator("h1")).to_have_text("Colloquium")
    meeting = Meeting.objects.get(topic="Colloquium")
    assert meeting.timezone == "Europe/Berlin"
    assert meeting.is_hosted_by(member)
    check_page(page, "host-2-meeting-page")

    # invitations: the valid address goes out, the refused one stays in the box
    page.fill("#id_addresses", "guest@uni.example, someone@gmail.example")
    with page.expect_navigation():
        page.get_by_role("button", name="Send invitations").click()
    expect(page.locator(".messages")).to_contain_text("1 invitation sent.")
    expect(page.locator(".messages")).to_contain_text("someone@gmail.example (its domain")
    expect(page.locator("#id_addresses")).to_have_value("someone@gmail.example")
    assert list(Invitation.objects.values_list("email", flat=True)) == ["guest@uni.example"]

    with page.expect_navigation():
        page.locator("#start-meeting").click()
    expect(page.locator("#live-root[data-kind='room']")).to_be_visible()
    expect(page.locator("#live-status")).not_to_be_empty()
    check_page(page, "host-3-room")

    # a poll prepared and launched without leaving the room
    page.locator(".quick-poll summary").click()
    page.fill("#id_quick-title", "Break")
    page.fill("#id_quick-question", "Coffee now?")
    page.fill("#id_quick-options", "Yes\nNo")
    page.locator("#quick-poll-form button[type='submit']").click()
    page.get_by_role("button", name="Launch “Break”").click()
    expect(page.locator("#poll-panel")).to_contain_text("Coffee now?")
    check_page(page, "host-4-room-poll", show="#poll-console")


def test_a_member_comes_from_the_invitation_through_login_into_the_room(
    new_page, server, host, member
):
    meeting = running_meeting(host, authenticated_only=True, waiting_room=True)
    host_participant = services_live.host_enters(meeting=meeting, user=host)
    poll = poll_services.create_poll(meeting=meeting, title="Budget")
    poll_services.add_question(poll=poll, text="Adopt?", type="single", options=["Yes", "No"])
    page = new_page()
    page.goto(f"{server.url}/meetings/join/{meeting.meeting_id}/#passcode={PASSCODE}")
    assert "passcode" not in page.url
    check_page(page, "member-1-join-as-visitor")
    with page.expect_navigation():
        page.get_by_role("link", name="log in first").click()
    assert PASSCODE not in page.url
    check_page(page, "member-2-login")
    # the identity provider answers; the portal sends the member back to the join page
    next_path = re.search(r"next=([^&]+)", page.url).group(1).replace("%2F", "/")
    sign_in(page, server, member)
    page.goto(server.url + next_path)
    # the passcode survived the detour, and the form went off by itself
    expect(page.locator("#live-root[data-kind='waiting']")).to_be_visible()
    expect(page.locator("#live-status")).not_to_be_empty()
    check_page(page, "member-3-waiting-room")
    waiting = Participant.objects.get(meeting=meeting, user=member)
    services_live.admit_participants(actor=host_participant, participant_pks=[waiting.pk])
    expect(page.locator("#live-root[data-kind='room']")).to_be_visible()
    expect(page.locator("#live-status")).to_contain_text("Connected")
    poll_services.launch_poll(poll=poll)
    expect(page.locator("#poll-panel")).to_contain_text("Adopt?")
    check_page(page, "member-4-room-with-poll", show="#poll-panel")
    page.get_by_label("Yes").check()
    page.locator("#poll-panel button[type='submit']").first.click()
    expect(page.locator("#poll-panel")).to_contain_text(re.compile("voted|Thank", re.I))
    with page.expect_navigation():
        page.get_by_role("button", name="Leave the meeting").click()
    check_page(page, "member-5-left")


def test_a_guest_joins_from_the_link_chats_and_leaves(new_page, server, host):
    meeting = running_meeting(host, authenticated_only=False, waiting_room=False)
    services_live.host_enters(meeting=meeting, user=host)
    page = new_page()
    page.goto(f"{server.url}/meetings/join/{meeting.meeting_id}/#passcode={PASSCODE}")
    expect(page.locator("#id_passcode")).to_have_value(PASSCODE)
    check_page(page, "guest-1-join")
    page.fill("#id_display_name", "Gina")
    page.check("#id_age_confirmed")
    with page.expect_navigation():
        page.get_by_role("button", name="Join").click()
    expect(page.locator("#live-root[data-kind='room']")).to_be_visible()
    expect(page.locator("#live-status")).not_to_be_empty()
    page.fill("#chat-text", "Hello everyone")
    page.press("#chat-text", "Enter")
    expect(page.locator("#chat-log li")).to_contain_text("Hello everyone")
    expect(page.locator("#chat-log li time")).to_have_text(re.compile(r"\d{1,2}[:.]\d{2}"))
    check_page(page, "guest-2-room")
    with page.expect_navigation():
        page.get_by_role("button", name="Leave the meeting").click()
    check_page(page, "guest-3-left", screenshot=False)


def test_an_invitee_sees_the_invitation_and_is_taken_in_when_the_host_starts(
    new_page, server, host, member
):
    meeting = make_meeting(
        host=host,
        start=now() + datetime.timedelta(minutes=30),
        status=Meeting.Status.SCHEDULED,
        started_at=None,
        passcode=PASSCODE,
        topic="Thesis defence",
        waiting_room=False,
    )
    Invitation.objects.create(meeting=meeting, email=member.email)
    page = new_page()
    sign_in(page, server, member)
    page.goto(f"{server.url}/meetings/")
    invited = page.locator("section", has=page.locator("#invited-heading"))
    expect(invited).to_contain_text("Thesis defence")
    check_page(page, "invitee-1-my-meetings")
    page.goto(f"{server.url}/meetings/join/{meeting.meeting_id}/#passcode={PASSCODE}")
    with page.expect_navigation():
        page.get_by_role("button", name="Join").click()
    expect(page.locator("#not-started")).to_contain_text("planned to start")
    check_page(page, "invitee-2-not-started")
    services_live.host_enters(meeting=meeting, user=host)
    # the page notices the start by itself and takes the invitee in
    expect(page.locator("#live-root[data-kind='room']")).to_be_visible()
    check_page(page, "invitee-3-room", screenshot=False)
