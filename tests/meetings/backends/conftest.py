"""The live room's fixtures (licences, a host, meetings created directly) for backend tests."""

from tests.meetings.live.conftest import (  # noqa: F401
    _english,
    host,
    licences,
    make_meeting_fixture,
)
