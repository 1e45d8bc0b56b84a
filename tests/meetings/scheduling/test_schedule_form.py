"""The schedule form reads dates as people type them (German and ISO), finds a time zone by
typing, shows a placeholder that is never in the past, and comes in sections."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone, translation

from meetings.scheduling.forms import MeetingForm, canonical_time_zone, parse_local_datetime
from meetings.scheduling.models import Meeting
from tests.meetings.conftest import form_data, local_start

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "typed",
    [
        "01.12.2031 10:15",
        "1.12.2031 10:15",
        "01.12.31 10:15",
        "2031-12-01 10:15",
        "2031-12-01T10:15",
        "01/12/2031 10:15",
        " 01.12.2031   10:15 ",
    ],
)
def test_it_reads_german_and_iso_dates(typed):
    assert parse_local_datetime(typed) == datetime.datetime(2031, 12, 1, 10, 15)


@pytest.mark.parametrize("typed", ["12/31/2031 10:15", "31.02.2031 10:00", "tomorrow", ""])
def test_it_refuses_what_is_no_date(typed):
    assert parse_local_datetime(typed) is None


@pytest.mark.parametrize("language", ["de", "en"])
def test_a_meeting_is_scheduled_with_a_german_date_in_either_language(host_client, language):
    start = local_start()
    response = host_client.post(
        "/meetings/new/",
        form_data(start=start.strftime("%d.%m.%Y %H:%M")),
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 302
    meeting = Meeting.objects.get()
    assert meeting.start.astimezone(ZoneInfo("Europe/Berlin")).replace(tzinfo=None) == start


@pytest.mark.parametrize(
    ("language", "pattern"), [("de", "%d.%m.%Y %H:%M"), ("en", "%Y-%m-%d %H:%M")]
)
def test_the_example_date_is_ahead_and_in_the_language_s_format(host_client, language, pattern):
    body = host_client.get("/meetings/new/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    marker = 'name="start" '
    tag = body[body.index("<input", body.index(marker) - 200) : body.index(">", body.index(marker))]
    placeholder = tag.split('placeholder="')[1].split('"')[0]
    example = datetime.datetime.strptime(placeholder, pattern)
    assert example.date() > timezone.localdate()


def test_a_refused_form_shows_the_typed_german_date_again(host_client):
    response = host_client.post(
        "/meetings/new/",
        form_data(start="01.12.2031 10:15", duration_minutes="0"),
        HTTP_ACCEPT_LANGUAGE="de",
    )
    assert response.status_code == 400
    assert 'value="01.12.2031 10:15"' in response.content.decode()


def test_the_change_form_shows_the_start_in_the_language_s_format(host_client):
    host_client.post("/meetings/new/", form_data())
    meeting = Meeting.objects.get()
    shown = meeting.start.astimezone(ZoneInfo("Europe/Berlin")).strftime("%d.%m.%Y %H:%M")
    body = host_client.get(
        f"/meetings/{meeting.meeting_id}/edit/", HTTP_ACCEPT_LANGUAGE="de"
    ).content.decode()
    assert f'value="{shown}"' in body


@pytest.mark.parametrize(
    ("typed", "zone"),
    [
        ("Europe/Berlin", "Europe/Berlin"),
        ("europe/berlin", "Europe/Berlin"),
        ("America/New York", "America/New_York"),
        ("Mars/Olympus", None),
        ("", None),
    ],
)
def test_a_time_zone_is_found_whatever_its_case(typed, zone):
    assert canonical_time_zone(typed) == zone


def test_a_time_zone_typed_in_lower_case_is_stored_by_its_name(host_client):
    host_client.post("/meetings/new/", form_data(timezone="america/new york"))
    assert Meeting.objects.get().timezone == "America/New_York"


def test_every_field_sits_in_exactly_one_section(host):
    form = MeetingForm(host=host)
    placed = [field.name for section in form.grouped_sections() for field in section["fields"]]
    assert sorted(placed) == sorted(form.fields)
    assert len(placed) == len(set(placed))
    with translation.override("en"):
        assert [str(section["heading"]) for section in form.grouped_sections()][:2] == [
            "What",
            "When",
        ]


def test_a_field_no_section_names_lands_in_the_last_one(host):
    from django import forms

    form = MeetingForm(host=host)
    form.fields["announce_polls"] = forms.BooleanField(required=False)
    assert form.grouped_sections()[-1]["fields"][-1].name == "announce_polls"


def test_co_hosts_are_checkboxes_with_a_filter(host_client, member):
    body = host_client.get("/meetings/new/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "data-filtered-choices" in body
    assert 'type="checkbox" name="co_hosts"' in body
    assert "<legend>Co-hosts</legend>" in body
