import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.timezone import now

from meetings.scheduling import services
from meetings.scheduling.models import Meeting
from tests.meetings.conftest import details

pytestmark = pytest.mark.django_db


def make_meetings(host, count: int, *, past: bool = False) -> None:
    base = now() + (datetime.timedelta(days=-30) if past else datetime.timedelta(days=1))
    rows = []
    for index in range(count):
        meeting = Meeting(
            host=host,
            topic=f"Meeting {index}",
            start=base + datetime.timedelta(hours=index),
            duration_minutes=30,
            meeting_id=f"{10_000_000_000 + index + (5000 if past else 0)}",
            passcode_encrypted="x",
        )
        meeting.ends_at = meeting.end
        rows.append(meeting)
    Meeting.objects.bulk_create(rows)


def test_it_lists_upcoming_and_past_meetings(host_client, host):
    make_meetings(host, 2)
    make_meetings(host, 1, past=True)
    body = host_client.get("/meetings/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    upcoming, past = body.split('id="past-heading"')
    assert "Meeting 0" in upcoming and "Meeting 1" in upcoming
    assert past.count("Meeting 0") == 1


def test_it_shows_meetings_the_user_co_hosts(client, host, member):
    services.schedule_meeting(host=host, details=details(topic="Shared"), co_hosts=[member])
    client.force_login(member)
    body = client.get("/meetings/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Shared" in body
    assert "co-host" in body


def test_it_shows_no_other_users_meetings(client, host, member):
    services.schedule_meeting(host=host, details=details(topic="Private"))
    client.force_login(member)
    assert "Private" not in client.get("/meetings/").content.decode()


def test_it_paginates_the_upcoming_meetings(host_client, host):
    make_meetings(host, 45)
    page = host_client.get("/meetings/?upcoming=3", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Meeting 44" in page
    assert "Meeting 0<" not in page
    assert "Page 3 of 3" in page


def count_queries(client) -> int:
    client.get("/meetings/")  # warm the per-process caches (the IdPs' CSP sources)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/meetings/").status_code == 200
    return len(queries)


def test_the_query_count_does_not_grow_with_the_number_of_meetings(
    host_client, host, member, django_assert_num_queries
):
    make_meetings(host, 3)
    make_meetings(host, 3, past=True)
    services.schedule_meeting(host=host, details=details(), co_hosts=[member])
    small = count_queries(host_client)
    make_meetings(host, 0)
    Meeting.objects.bulk_create(
        Meeting(
            host=host,
            topic="More",
            start=now() + datetime.timedelta(days=2, minutes=i),
            ends_at=now() + datetime.timedelta(days=2, minutes=i + 30),
            duration_minutes=30,
            meeting_id=f"{20_000_000_000 + i}",
            passcode_encrypted="x",
            series=None,
        )
        for i in range(300)
    )
    with django_assert_num_queries(small):
        host_client.get("/meetings/")
    with django_assert_num_queries(small):
        host_client.get("/meetings/?upcoming=5&past=1")


def test_anonymous_visitors_are_sent_to_login(client, db):
    response = client.get("/meetings/")
    assert response.status_code == 302


def test_a_meeting_its_host_also_holds_a_grant_on_is_listed_and_counted_once(host_client, host):
    """The managers come from a UNION ALL of hosted and granted ids: one row per meeting."""
    from django.contrib.auth.models import Permission

    from meetings.scheduling.models import MeetingUserObjectPermission

    make_meetings(host, 21)
    meeting = Meeting.objects.get(topic="Meeting 0")
    MeetingUserObjectPermission.objects.create(
        content_object=meeting,
        user=host,
        permission=Permission.objects.get(codename=services.HOST_PERMISSION),
    )
    first = host_client.get("/meetings/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert first.count(">Meeting 0<") == 1
    assert "Page 1 of 2" in first  # 21 meetings, 20 per page: the grant adds none
    second = host_client.get("/meetings/?upcoming=2", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert ">Meeting 20<" in second and ">Meeting 0<" not in second


def test_the_rows_show_the_start_in_the_meetings_time_zone(host_client, host):
    make_meetings(host, 1)
    meeting = Meeting.objects.get()
    meeting.timezone = "Asia/Tokyo"
    meeting.save(update_fields=["timezone"])
    body = host_client.get("/meetings/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    local = meeting.start.astimezone(datetime.timezone(datetime.timedelta(hours=9)))
    assert f'datetime="{local.isoformat()}"' in body
    assert "30 minutes" in body
    assert f'href="/meetings/{meeting.meeting_id}/"' in body


def test_an_invitee_sees_invited_meetings_with_their_start(client, host, member):
    from meetings.scheduling.models import Invitation

    meeting = services.schedule_meeting(host=host, details=details(topic="Thesis talk"))
    Invitation.objects.create(meeting=meeting, email=member.email.upper())
    client.force_login(member)
    body = client.get("/meetings/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    invited = body[body.index('id="invited-heading"') :]
    assert "Thesis talk" in invited
    from zoneinfo import ZoneInfo

    local = meeting.start.astimezone(ZoneInfo(meeting.timezone))
    assert f'<time datetime="{local.isoformat()}">' in invited
    assert f'href="/meetings/join/{meeting.meeting_id}/"' in invited
    assert "No upcoming meetings" not in body
    assert "You host no upcoming meetings." in body


def test_a_series_is_one_card_with_the_number_of_meetings(host_client, host):
    from meetings.scheduling import recurrence
    from tests.meetings.conftest import BERLIN, local_start

    start = recurrence.localise(local_start(days=3), BERLIN)
    services.schedule_meeting(
        host=host,
        details=details(topic="Weekly seminar", start=start),
        rule=recurrence.Rule("WEEKLY", count=5),
    )
    body = host_client.get("/meetings/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    upcoming = body[body.index('id="upcoming-heading"') : body.index('id="past-heading"')]
    assert upcoming.count("Weekly seminar") == 1
    assert "Series: this and 4 more meetings" in upcoming


def test_an_invitation_to_a_whole_series_shows_its_next_meeting_once(client, host, member):
    from meetings.scheduling import recurrence
    from meetings.scheduling.models import Invitation
    from tests.meetings.conftest import BERLIN, local_start

    start = recurrence.localise(local_start(days=3), BERLIN)
    first = services.schedule_meeting(
        host=host,
        details=details(topic="Reading group", start=start),
        rule=recurrence.Rule("WEEKLY", count=3),
    )
    Invitation.objects.create(meeting=first, email=member.email, whole_series=True)
    client.force_login(member)
    body = client.get("/meetings/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert body.count('<h3 class="meeting-card__title">Reading group</h3>') == 1
    assert "Series: this and 2 more meetings" in body


def test_the_two_calendar_files_have_distinct_names(host_client, host):
    from meetings.scheduling import recurrence
    from tests.meetings.conftest import BERLIN, local_start

    start = recurrence.localise(local_start(days=3), BERLIN)
    first = services.schedule_meeting(
        host=host, details=details(start=start), rule=recurrence.Rule("WEEKLY", count=2)
    )
    one = host_client.get(f"/meetings/{first.meeting_id}/calendar.ics")
    series = host_client.get(f"/meetings/{first.meeting_id}/calendar.ics?scope=series")
    assert one["Content-Disposition"] == f'attachment; filename="meeting-{first.meeting_id}.ics"'
    assert series["Content-Disposition"] == f'attachment; filename="series-{first.meeting_id}.ics"'
