"""What a meeting announces to its participants before they join, besides a recording (that
text belongs to the consent gate): polls and the attendance list (docs/POLICY.md, polls and
attendance). Shown in invitations, calendar files, the waiting page and the room.

The join page shows none of it: nothing about a meeting appears before its passcode is right
(docs/POLICY.md, security baseline).
"""

from django.utils.translation import gettext as _

from meetings.scheduling.models import Meeting, MeetingPolicy


def attendance_visible_to_hosts(meeting: Meeting) -> bool:
    """Whether the meeting's hosts may see its attendance list (the policy's setting)."""
    return meeting.attendance_required and MeetingPolicy.current().attendance_visible_to_hosts


def announcements(meeting: Meeting) -> list[str]:
    """The texts, in the active language; empty when the meeting announces nothing."""
    texts = []
    if meeting.polls_announced:
        texts.append(
            _(
                "Polls are planned in this meeting. They are anonymous unless a poll says "
                "otherwise before you vote."
            )
        )
    if meeting.attendance_required:
        text = _(
            "An attendance list is kept for this meeting: your name (your account's name, or "
            "the name you give as a guest) and when you joined and left."
        )
        if attendance_visible_to_hosts(meeting):
            text += " " + _("The host and co-hosts can see and download it.")
        texts.append(text)
    return texts


def calendar_announcements(meeting: Meeting) -> str:
    """For calendar files (registered with the calendar's description parts)."""
    return "\n".join(announcements(meeting))
