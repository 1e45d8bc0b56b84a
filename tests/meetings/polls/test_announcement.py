"""Polls announced in advance where the institution's policy asks for it, and what a meeting
announces (polls, the attendance list) in the invitation, the calendar file, the waiting page
and the room (docs/POLICY.md, polls and attendance)."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.timezone import now

from meetings.live.models import Participant
from meetings.live.selectors import guest_session_key
from meetings.polls import services
from meetings.polls.models import Poll
from meetings.polls.services import PollError
from meetings.scheduling import services as scheduling
from meetings.scheduling.calendar import meeting_calendar
from meetings.scheduling.mail import invitation_message
from meetings.scheduling.models import Invitation, Meeting, MeetingPolicy
from portal.identity.models import LicenceType, Role
from tests.factories import make_meeting, make_participant, make_poll, make_user

pytestmark = pytest.mark.django_db


def ask_for_announcement(*, hosts_see_attendance: bool = True) -> None:
    policy = MeetingPolicy.current()
    policy.polls_need_announcement = True
    policy.attendance_visible_to_hosts = hosts_see_attendance
    policy.save()


def test_where_the_policy_asks_polls_run_only_in_a_meeting_that_announced_them():
    ask_for_announcement()
    with translation.override("en"), pytest.raises(PollError, match="did not announce polls"):
        services.create_poll(meeting=make_meeting(), title="Lunch")
    assert not Poll.objects.exists()

    poll = make_poll(make_meeting(polls_announced=True))
    assert poll.status == Poll.Status.OPEN


def test_a_draft_is_not_launched_once_the_policy_asks_for_an_announcement():
    poll = make_poll(make_meeting(), launch=False)
    ask_for_announcement()
    with pytest.raises(PollError):
        services.launch_poll(poll=poll)
    poll.refresh_from_db()
    assert poll.status == Poll.Status.DRAFT


def test_without_the_policys_demand_polls_need_no_announcement():
    assert make_poll(make_meeting()).status == Poll.Status.OPEN


def test_a_running_meeting_cannot_announce_polls_afterwards():
    licence = LicenceType.objects.create(slug="staff", name="Staff", max_participants=300)
    role = Role.objects.create(slug="staff", name="Staff", licence_type=licence, may_host=True)
    meeting = make_meeting(make_user("host", role=role))
    details = scheduling.MeetingDetails(
        topic=meeting.topic,
        description="",
        start=meeting.start,
        duration_minutes=meeting.duration_minutes,
        timezone=meeting.timezone,
        expected_participants=None,
        security={"polls_announced": True},
    )
    with translation.override("en"), pytest.raises(ValidationError, match="before the meeting"):
        scheduling.update_meeting(meeting=meeting, details=details)
    meeting.refresh_from_db()
    assert meeting.polls_announced is False


POLLS = "Polls are planned in this meeting."
ATTENDANCE = "An attendance list is kept for this meeting"
HOSTS_SEE = "The host and co-hosts can see and download it."


def test_invitation_and_calendar_file_announce_polls_and_the_attendance_list():
    meeting = make_meeting(
        polls_announced=True, attendance_required=True, status=Meeting.Status.SCHEDULED
    )
    invitation = Invitation.objects.create(meeting=meeting, email="anna@uni.example", language="en")
    message = invitation_message(invitation, "invitation")
    html = message.alternatives[0][0]
    for body in (message.body, html):
        assert POLLS in body and ATTENDANCE in body and HOSTS_SEE in body
    with translation.override("en"):
        calendar = meeting_calendar(meeting).decode()
    assert "Polls are planned" in calendar.replace("\r\n ", "")


def test_a_meeting_without_them_announces_neither():
    meeting = make_meeting(status=Meeting.Status.SCHEDULED)
    invitation = Invitation.objects.create(meeting=meeting, email="anna@uni.example", language="en")
    body = invitation_message(invitation, "invitation").body
    assert POLLS not in body and ATTENDANCE not in body


@pytest.mark.parametrize("state", [Participant.State.WAITING, Participant.State.ADMITTED])
def test_waiting_page_and_room_say_attendance_is_recorded(client, state):
    ask_for_announcement(hosts_see_attendance=False)
    meeting = make_meeting(polls_announced=True, attendance_required=True, started_at=now())
    guest = make_participant(meeting, name="Gina", guest_key="gina-key", state=state)
    session = client.session
    session[guest_session_key(meeting)] = guest.guest_key
    session.save()

    page = client.get(f"/meetings/live/{meeting.meeting_id}/", HTTP_ACCEPT_LANGUAGE="en")

    body = page.content.decode()
    assert page.status_code == 200
    assert POLLS in body and ATTENDANCE in body
    assert HOSTS_SEE not in body  # the policy keeps the list from the hosts
