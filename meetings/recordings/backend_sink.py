"""Recordings a conferencing backend made (Zoom's cloud recordings) enter the portal here:
only for a session the portal started through the consent gate, only while every consent it
rests on holds, and only onto the institution's own storage (docs/POLICY.md, recording).
Registered into ``meetings/backends/delivery.py`` from ``meetings/apps.py``.
"""

import datetime
from typing import BinaryIO

from django.db.models import Q

from meetings.recordings import gate as recording_gate
from meetings.recordings import services
from meetings.recordings.models import Recording, RecordingSession
from meetings.scheduling.models import Meeting

#: clocks of Zoom and the portal differ a little; a recording this far outside still matches
TOLERANCE = datetime.timedelta(minutes=2)


class BackendRecordingSink:
    def session_for(
        self, *, meeting: Meeting, started_at: datetime.datetime, ended_at: datetime.datetime
    ) -> RecordingSession | None:
        sessions = RecordingSession.objects.filter(
            meeting=meeting, started_at__lte=started_at + TOLERANCE
        ).filter(Q(stopped_at__isnull=True) | Q(stopped_at__gte=ended_at - TOLERANCE))
        for session in sessions.order_by("-started_at"):
            if recording_gate.consent_basis_intact(session=session):
                return session
        return None

    def store(
        self, *, session: RecordingSession, stream: BinaryIO, content_type: str, size: int | None
    ) -> Recording:
        return services.store_recording(
            session=session,
            stream=stream,
            content_type=content_type,
            declared_size=size,
            source=Recording.Source.BACKEND,
        )

    def is_recording(self, *, meeting: Meeting) -> bool:
        return services.running_session(meeting=meeting) is not None
