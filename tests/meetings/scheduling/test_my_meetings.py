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


def expected_pages(user, moment) -> tuple[list[list[tuple[int, int | None]]], list[list[int]]]:
    """What "My meetings" must list, worked out in Python from every meeting the user manages:
    upcoming cards (single meetings and each series' next meeting, with how many of the series
    are still to come) and past meetings, 20 a page."""
    from meetings.scheduling.models import MeetingUserObjectPermission

    granted = MeetingUserObjectPermission.objects.filter(
        user=user, permission__codename=services.HOST_PERMISSION
    ).values_list("content_object_id", flat=True)
    managed = Meeting.objects.filter(host=user) | Meeting.objects.filter(pk__in=granted)

    def upcoming(meeting: Meeting) -> bool:
        ended = meeting.status == Meeting.Status.ENDED
        return not ended and (meeting.ends_at is None or meeting.ends_at >= moment)

    key = lambda meeting: (meeting.start, meeting.pk)  # noqa: E731
    coming = sorted((m for m in managed if upcoming(m)), key=key)
    in_series: dict[int, list[Meeting]] = {}
    for meeting in coming:
        if meeting.series_id:
            in_series.setdefault(meeting.series_id, []).append(meeting)
    cards = [
        (meeting.pk, len(in_series[meeting.series_id]) if meeting.series_id else None)
        for meeting in coming
        if not meeting.series_id or in_series[meeting.series_id][0] == meeting
    ]
    past = [m.pk for m in sorted((m for m in managed if not upcoming(m)), key=key, reverse=True)]
    return (
        [cards[i : i + 20] for i in range(0, len(cards), 20)],
        [past[i : i + 20] for i in range(0, len(past), 20)],
    )


def test_every_page_lists_what_the_user_manages_in_order(host, member, outsider):
    """Single meetings, meetings in progress, meetings ended before their scheduled end (even
    before their start), a meeting without a scheduled end, series (also one whose next two
    meetings start at once, and another host's series the user co-hosts in part), co-hosted
    and other people's meetings: every page against the same lists worked out in Python."""
    from django.contrib.auth.models import Permission

    from meetings.scheduling.models import MeetingSeries, MeetingUserObjectPermission
    from meetings.scheduling.selectors import my_meetings

    moment = now()
    hour = datetime.timedelta(hours=1)
    numbers = iter(range(30_000_000_000, 30_000_001_000))

    def meeting(owner, start, *, minutes=30, series=None, **fields) -> Meeting:
        made = Meeting(
            host=owner,
            topic=f"M{start:%d%H%M}",
            start=start,
            duration_minutes=minutes,
            meeting_id=str(next(numbers)),
            passcode_encrypted="x",
            series=series,
            **fields,
        )
        made.ends_at = fields.get("ends_at", made.end)
        made.save()
        return made

    def series_of(owner) -> MeetingSeries:
        return MeetingSeries.objects.create(
            host=owner, topic="S", frequency="WEEKLY", first_start=moment, timezone="UTC"
        )

    for index in range(25):
        meeting(host, moment + (index + 1) * hour)
    for index in range(23):
        meeting(host, moment - (index + 2) * hour, status=Meeting.Status.ENDED)
    meeting(host, moment - hour / 2, minutes=60, status=Meeting.Status.RUNNING)
    meeting(host, moment + 2 * hour, status=Meeting.Status.ENDED)  # ended before its start
    meeting(host, moment - 30 * hour, ends_at=None)  # no scheduled end: still upcoming
    weekly = series_of(host)
    for week in range(-2, 4):
        meeting(host, moment + week * 168 * hour, series=weekly)
    tied = series_of(host)
    for start in (5, 5, 9):
        meeting(host, moment + start * hour + hour / 4, series=tied)
    theirs = series_of(member)
    grant = Permission.objects.get(codename=services.HOST_PERMISSION)
    shared = [meeting(member, moment + week * 24 * hour, series=theirs) for week in range(1, 6)]
    shared += [meeting(member, moment + (index - 2) * 7 * hour) for index in range(5)]
    shared += [meeting(member, moment - 50 * hour, status=Meeting.Status.ENDED)]
    for index, made in enumerate(shared):
        if index not in (0, 3):  # co-hosts only some of the series and of the singles
            MeetingUserObjectPermission.objects.create(
                content_object=made, user=host, permission=grant
            )
    for index in range(5):
        meeting(outsider, moment + index * hour)

    cards, past = expected_pages(host, moment)
    assert len(cards) == 2 and len(past) == 2
    for number, expected in enumerate(cards, start=1):
        page = my_meetings(host, upcoming_page=number)["upcoming"]
        shown = [(m.pk, getattr(m, "series_upcoming", None) if m.series_id else None) for m in page]
        assert shown == expected, number
        assert (page.paginator.count, page.paginator.num_pages) == (sum(map(len, cards)), 2)
    for number, expected in enumerate(past, start=1):
        page = my_meetings(host, past_page=number)["past"]
        assert [m.pk for m in page] == expected, number
        assert page.paginator.count == sum(map(len, past))
    beyond = my_meetings(host, upcoming_page=99, past_page="x")
    assert [m.pk for m in beyond["upcoming"]] == [pk for pk, _ in cards[-1]]
    assert [m.pk for m in beyond["past"]] == past[0]


def test_my_meetings_takes_two_queries(host, django_assert_num_queries):
    from meetings.scheduling.selectors import my_meetings

    host.email = ""
    make_meetings(host, 3)
    make_meetings(host, 3, past=True)
    with django_assert_num_queries(2):
        pages = my_meetings(host)
        assert len(pages["upcoming"]) == 3 and len(pages["past"]) == 3


@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.parametrize("format_name", ["DATETIME_FORMAT", "SHORT_DATETIME_FORMAT"])
def test_the_lists_format_starts_as_the_templates_date_filter_does(language, format_name):
    """The cards and rows put the start together themselves; it must read as Django's
    ``date`` filter would write it, in each language, also for a format of Django's own."""
    from zoneinfo import ZoneInfo

    from django.test import override_settings
    from django.utils import translation
    from django.utils.formats import date_format

    from meetings.scheduling.views import _LocalStart

    starts = [
        datetime.datetime(2026, month, day, hour, minute, tzinfo=datetime.UTC)
        for month, day, hour, minute in [
            (1, 1, 0, 0),
            (3, 9, 7, 5),
            (10, 25, 23, 59),
            (12, 31, 12, 30),
        ]
    ]
    for module_path in (["portal.formats"], []):
        with translation.override(language), override_settings(FORMAT_MODULE_PATH=module_path):
            for zone in ("Europe/Berlin", "Asia/Tokyo", "America/New_York"):
                local_start = _LocalStart(format_name)
                for start in starts:
                    meeting = Meeting(start=start, timezone=zone)
                    local = start.astimezone(ZoneInfo(zone))
                    assert local_start(meeting) == (
                        local.isoformat(),
                        date_format(local, format_name),
                    )
