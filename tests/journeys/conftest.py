"""The people of the journeys: a host (staff, Business licence) and a member of the
institution, as in the scheduling tests."""

from tests.meetings.conftest import host, member, staff_role  # noqa: F401 -- fixtures
