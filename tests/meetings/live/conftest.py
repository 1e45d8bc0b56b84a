"""Fixtures of the live-room tests: licence types, a host, meetings created directly, the host
in the room."""

import datetime

import pytest
from django.utils.timezone import now

from meetings.live import services as services_live
from meetings.scheduling.models import Meeting
from portal.identity.models import LicenceType, Role
from tests.factories import PASSCODE, make_meeting, make_user


@pytest.fixture
def licences(db):
    business = LicenceType.objects.create(
        slug="business", name="Business", max_participants=300, time_limit_minutes=None
    )
    basic = LicenceType.objects.create(
        slug="basic", name="Basic", max_participants=100, time_limit_minutes=40
    )
    staff = Role.objects.create(slug="staff", name="Staff", licence_type=business, may_host=True)
    student = Role.objects.create(slug="student", name="Student", licence_type=basic, may_host=True)
    return {"business": business, "basic": basic, "staff": staff, "student": student}


@pytest.fixture
def host(licences):
    return make_user(
        "host",
        first_name="Hanna",
        last_name="Host",
        role=licences["staff"],
    )


@pytest.fixture
def member(licences):
    return make_user(
        "member",
        first_name="Mia",
        last_name="Member",
        role=licences["student"],
    )


@pytest.fixture(name="make_meeting")
def make_meeting_fixture(host):
    """Meetings of ``host`` asking for ``PASSCODE``, started five minutes ago and running."""

    def make(**fields) -> Meeting:
        values = {
            "host": host,
            "start": now() - datetime.timedelta(minutes=5),
            "started_at": now(),
            "passcode": PASSCODE,
        }
        values.update(fields)
        return make_meeting(**values)

    return make


@pytest.fixture
def meeting(make_meeting):
    return make_meeting()


@pytest.fixture
def host_participant(meeting, host):
    """The host in the room of ``meeting``."""
    return services_live.host_enters(meeting=meeting, user=host)


@pytest.fixture(autouse=True)
def _english(settings):
    """Assertions below read the English texts; browsers send their own language."""
    settings.LANGUAGE_CODE = "en"
