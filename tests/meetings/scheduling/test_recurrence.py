import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from meetings.scheduling import recurrence, services
from meetings.scheduling.models import Meeting, MeetingSeries
from tests.meetings.conftest import details, form_data, local_start

BERLIN = ZoneInfo("Europe/Berlin")


def test_a_weekly_rule_keeps_the_local_time_across_the_spring_dst_change():
    # Thursday 2030-03-21 10:00 CET; clocks go forward on Sunday 2030-03-31
    starts = recurrence.expand(
        rule=recurrence.Rule("WEEKLY", count=4),
        first_start_local=datetime.datetime(2030, 3, 21, 10, 0),
        zone=BERLIN,
    )
    local = [start.astimezone(BERLIN) for start in starts]
    assert [(s.day, s.hour) for s in local] == [(21, 10), (28, 10), (4, 10), (11, 10)]
    assert [s.utcoffset() for s in local] == [datetime.timedelta(hours=h) for h in (1, 1, 2, 2)]
    assert [s.hour for s in starts] == [9, 9, 8, 8]  # in UTC the meeting moves


def test_a_daily_rule_keeps_the_local_time_across_the_autumn_dst_change():
    starts = recurrence.expand(
        rule=recurrence.Rule("DAILY", until=datetime.date(2030, 10, 28)),
        first_start_local=datetime.datetime(2030, 10, 25, 9, 0),
        zone=BERLIN,
    )
    assert [s.astimezone(BERLIN).hour for s in starts] == [9, 9, 9, 9]
    assert starts[-1] - starts[0] == datetime.timedelta(days=3, hours=1)


def test_a_time_skipped_by_dst_moves_forward():
    starts = recurrence.expand(
        rule=recurrence.Rule("DAILY", count=3),
        first_start_local=datetime.datetime(2030, 3, 30, 2, 30),
        zone=BERLIN,
    )
    assert [s.astimezone(BERLIN).strftime("%d %H:%M") for s in starts] == [
        "30 02:30",
        "31 03:30",
        "01 02:30",
    ]


def test_a_monthly_rule_with_an_interval_skips_months():
    starts = recurrence.expand(
        rule=recurrence.Rule("MONTHLY", interval=2, count=3),
        first_start_local=datetime.datetime(2030, 1, 15, 14, 0),
        zone=BERLIN,
    )
    assert [s.astimezone(BERLIN).month for s in starts] == [1, 3, 5]


def test_the_rrule_string_gives_until_in_utc():
    rule = recurrence.Rule("WEEKLY", until=datetime.date(2030, 7, 1))
    assert rule.as_rrule_string(BERLIN) == "FREQ=WEEKLY;INTERVAL=1;UNTIL=20300701T215959Z"


@pytest.mark.parametrize(
    ("rule", "code"),
    [
        (recurrence.Rule("WEEKLY"), "end"),
        (recurrence.Rule("WEEKLY", until=datetime.date(2030, 1, 1), count=3), "end"),
        (recurrence.Rule("WEEKLY", count=1), "count"),
        (recurrence.Rule("WEEKLY", count=500), "count"),
        (recurrence.Rule("WEEKLY", until=datetime.date(2029, 1, 1)), "until"),
        (recurrence.Rule("DAILY", until=datetime.date(2031, 12, 31)), "too_many"),
        (recurrence.Rule("YEARLY", count=3), "frequency"),
        (recurrence.Rule("WEEKLY", interval=0, count=3), "interval"),
        (recurrence.Rule("MONTHLY", interval=12, until=datetime.date(2030, 12, 31)), "too_few"),
    ],
)
def test_it_refuses_an_impossible_recurrence(rule, code):
    with pytest.raises(ValidationError) as error:
        recurrence.validate(rule=rule, first_start_local=datetime.datetime(2030, 1, 10, 10, 0))
    assert error.value.code == code


@pytest.mark.django_db
def test_the_form_schedules_a_weekly_series_of_meeting_rows(host_client):
    response = host_client.post("/meetings/new/", form_data(repeat="WEEKLY", count="5"))
    assert response.status_code == 302
    series = MeetingSeries.objects.get()
    meetings = list(series.occurrences.order_by("start"))
    assert len(meetings) == 5
    assert len({m.meeting_id for m in meetings}) == 5
    assert {m.passcode for m in meetings} == {meetings[0].passcode}
    assert all(m.start.astimezone(BERLIN).hour == 10 for m in meetings)
    assert [m.series_original_start for m in meetings] == [m.start for m in meetings]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"repeat": "WEEKLY"}, "give one of them"),
        ({"repeat": "WEEKLY", "count": "1"}, "between 2 and 200"),
        ({"repeat": "DAILY", "count": "201"}, "between 2 and 200"),
        ({"repeat": "WEEKLY", "until": "2020-01-01"}, "must be after the first meeting"),
        ({"repeat": "HOURLY", "count": "3"}, "Select a valid choice"),
    ],
)
def test_the_form_refuses_an_impossible_recurrence(host_client, overrides, message):
    response = host_client.post("/meetings/new/", form_data(**overrides), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Meeting.objects.exists()
    assert not MeetingSeries.objects.exists()


@pytest.fixture
def series_meeting(host, db):
    start = recurrence.localise(local_start(days=7), BERLIN)
    return services.schedule_meeting(
        host=host,
        details=details(start=start),
        passcode="Reihe-2026",
        rule=recurrence.Rule("WEEKLY", count=4),
    )


@pytest.mark.django_db
def test_editing_one_occurrence_leaves_the_others(host_client, series_meeting):
    second = series_meeting.series.occurrences.order_by("start")[1]
    new_start = second.start.astimezone(BERLIN).replace(hour=15).strftime("%Y-%m-%dT%H:%M")
    response = host_client.post(
        f"/meetings/{second.meeting_id}/edit/", form_data(topic="Guest talk", start=new_start)
    )
    assert response.status_code == 302
    second.refresh_from_db()
    assert second.topic == "Guest talk"
    assert second.start.astimezone(BERLIN).hour == 15
    assert second.series_original_start.astimezone(BERLIN).hour == 10
    others = series_meeting.series.occurrences.exclude(pk=second.pk)
    assert set(others.values_list("topic", flat=True)) == {"Seminar"}


@pytest.mark.django_db
def test_editing_the_whole_series_changes_every_occurrence_and_keeps_their_ids(
    host_client, series_meeting
):
    series = series_meeting.series
    ids = list(series.occurrences.order_by("start").values_list("meeting_id", flat=True))
    data = form_data(
        topic="Renamed",
        start=series.first_start_local.replace(hour=12).strftime("%Y-%m-%dT%H:%M"),
        repeat="WEEKLY",
        count="3",
    )
    response = host_client.post(f"/meetings/{series_meeting.meeting_id}/edit-series/", data)
    assert response.status_code == 302
    occurrences = list(series.occurrences.order_by("start"))
    assert [m.meeting_id for m in occurrences] == ids[:3]
    assert {m.topic for m in occurrences} == {"Renamed"}
    assert {m.start.astimezone(BERLIN).hour for m in occurrences} == {12}
    assert {m.passcode for m in occurrences} == {"Reihe-2026"}
    series.refresh_from_db()
    assert series.count == 3


@pytest.mark.django_db
def test_a_begun_series_keeps_its_schedule(host_client, series_meeting):
    series = series_meeting.series
    first = series.occurrences.order_by("start").first()
    first.status = Meeting.Status.ENDED
    first.save()
    later = series.occurrences.order_by("start")[1]
    response = host_client.post(
        f"/meetings/{later.meeting_id}/edit-series/",
        form_data(topic="Renamed", repeat="DAILY", count="9"),
    )
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.topic == "Seminar"  # past occurrences stay as they were
    assert series.occurrences.count() == 4
    assert set(series.occurrences.exclude(pk=first.pk).values_list("topic", flat=True)) == {
        "Renamed"
    }


@pytest.mark.django_db
def test_deleting_one_occurrence_or_the_whole_series(host_client, series_meeting):
    series = series_meeting.series
    second = series.occurrences.order_by("start")[1]
    host_client.post(f"/meetings/{second.meeting_id}/delete/")
    assert series.occurrences.count() == 3
    host_client.post(f"/meetings/{series_meeting.meeting_id}/delete/?scope=series")
    assert not MeetingSeries.objects.exists()
    assert not Meeting.objects.exists()


@pytest.mark.django_db
def test_the_pages_of_a_series_occurrence_render(host_client, series_meeting):
    detail = host_client.get(f"/meetings/{series_meeting.meeting_id}/", HTTP_ACCEPT_LANGUAGE="de")
    body = detail.content.decode()
    assert detail.status_code == 200
    assert "Ganze Serie ändern" in body
    assert "Zur ganzen Serie einladen" in body
    edit = host_client.get(f"/meetings/{series_meeting.meeting_id}/edit-series/")
    assert edit.status_code == 200
    assert 'value="WEEKLY" selected' in edit.content.decode()
    assert 'name="count" value="4"' in edit.content.decode()


@pytest.mark.django_db
def test_an_impossible_series_edit_changes_nothing(host_client, series_meeting):
    series = series_meeting.series
    response = host_client.post(
        f"/meetings/{series_meeting.meeting_id}/edit-series/",
        form_data(
            topic="Renamed",
            start=series.first_start_local.strftime("%Y-%m-%d %H:%M"),
            repeat="WEEKLY",
            count="900",
        ),
    )
    assert response.status_code == 400
    assert series.occurrences.count() == 4
    assert set(series.occurrences.values_list("topic", flat=True)) == {"Seminar"}
