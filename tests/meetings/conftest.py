"""Fixtures for the scheduling tests: hosts with Business and Basic licences, members."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils.timezone import now

from meetings.scheduling import services
from portal.identity.models import Role, User
from tests.factories import make_user

BERLIN = ZoneInfo("Europe/Berlin")


def local_start(days: int = 7, hour: int = 10) -> datetime.datetime:
    """A future wall-clock time in Berlin, as the form's ``datetime-local`` sends it."""
    day = (now().astimezone(BERLIN) + datetime.timedelta(days=days)).date()
    return datetime.datetime.combine(day, datetime.time(hour, 0))


def form_data(**overrides: object) -> dict:
    data = {
        "topic": "Seminar",
        "description": "",
        "start": local_start().strftime("%Y-%m-%dT%H:%M"),
        "duration_minutes": "30",
        "timezone": "Europe/Berlin",
        "expected_participants": "20",
        "passcode": "",
        "waiting_room": "on",
        "authenticated_only": "on",
        "allowed_domains": "",
        "repeat": "",
        "interval": "1",
        "until": "",
        "count": "",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


@pytest.fixture
def staff_role(demo_institution) -> Role:
    return Role.objects.get(slug="staff")


@pytest.fixture
def host(staff_role) -> User:
    return make_user("lecturer", role=staff_role, is_institution_member=True)


@pytest.fixture
def student_host(demo_institution) -> User:
    return make_user("student", role=Role.objects.get(slug="student"), is_institution_member=True)


@pytest.fixture
def member(staff_role) -> User:
    return make_user("colleague", role=staff_role, is_institution_member=True)


@pytest.fixture
def outsider(demo_institution) -> User:
    return make_user(
        "visitor", email="", role=Role.objects.get(slug="guest"), is_institution_member=False
    )


@pytest.fixture
def host_client(client, host):
    client.force_login(host)
    return client


def details(**overrides: object) -> services.MeetingDetails:
    values = {
        "topic": "Seminar",
        "description": "",
        "start": now() + datetime.timedelta(days=7),
        "duration_minutes": 30,
        "timezone": "Europe/Berlin",
        "expected_participants": 20,
        "security": {},
        "allowed_domains": [],
    }
    values.update(overrides)
    return services.MeetingDetails(**values)


@pytest.fixture
def meeting(host):
    return services.schedule_meeting(host=host, details=details(), passcode="Raum7-Kurs-26")
