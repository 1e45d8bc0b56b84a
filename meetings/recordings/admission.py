"""The recording's admission rule for the live room: while a recording runs, a participant
without consent stays in the waiting room (docs/POLICY.md, recording: "only with the express
consent of the participants concerned"). Registered with :mod:`meetings.live.admission` from
``MeetingsConfig.ready()``."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from meetings.live import broadcast
from meetings.live.models import Participant
from meetings.recordings import gate as recording_gate
from meetings.recordings.models import RecordingSession
from meetings.recordings.services import (
    may_admit_during_recording,
    running_session,
    stop_recording,
)
from meetings.scheduling.models import Meeting


class RecordingConsentRule:
    def is_active(self, *, meeting: Meeting) -> bool:
        return running_session(meeting=meeting) is not None

    def may_admit(self, participant: Participant) -> bool:
        return may_admit_during_recording(participant)

    def announce_held(self, *, meeting: Meeting, held: list[Participant]) -> None:
        """The held participants learn that a recording runs and where to consent."""
        payload = {
            "participant_ids": [participant.pk for participant in held],
            "consent_url": recording_gate.consent_url(meeting=meeting),
        }
        transaction.on_commit(
            lambda: broadcast.broadcast_to_meeting(meeting.pk, "recording.held", **payload)
        )

    def room_context(self, *, meeting: Meeting, participant: Participant) -> dict[str, Any]:
        session = running_session(meeting=meeting)
        context: dict[str, Any] = {
            "recording_running": session is not None,
            "consent_url": recording_gate.consent_url(meeting=meeting),
        }
        if participant.is_waiting:
            # while a recording runs, someone without consent waits until they consent
            context["held_for_recording"] = (
                session is not None
                and not participant.is_host
                and recording_gate.participants_without_consent(
                    meeting=meeting, participants=[participant]
                )
                != []
            )
        return context


def stop_at_meeting_end(meeting: Meeting) -> None:
    """The end of a meeting stops its recording (then converted like any other)."""
    stop_recording(meeting=meeting, reason=RecordingSession.StopReason.MEETING_ENDED)
