"""Models of scheduling: meetings and series, the institution's meeting policy, invitations and
the object permissions of co-hosts and alternative hosts."""

from meetings.scheduling.models.invitation import Invitation
from meetings.scheduling.models.meeting import Meeting
from meetings.scheduling.models.permissions import (
    MeetingGroupObjectPermission,
    MeetingUserObjectPermission,
)
from meetings.scheduling.models.policy import MeetingPolicy
from meetings.scheduling.models.series import MeetingSeries

__all__ = [
    "Invitation",
    "Meeting",
    "MeetingGroupObjectPermission",
    "MeetingPolicy",
    "MeetingSeries",
    "MeetingUserObjectPermission",
]
