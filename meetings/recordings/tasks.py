"""Celery tasks of recordings: converting the media server's files into one stored recording.

A failed conversion is retried with growing pauses and shown to the host; raw files never
outlive the retention period (the retention category ``raw_recordings`` deletes them after a
final failure or when the conversion never finished, ``meetings/recordings/retention.py``).
"""

import logging
import tempfile
from pathlib import Path

from celery import shared_task

from meetings.recordings import services
from meetings.recordings.models import RecordingSession

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5


@shared_task(bind=True, max_retries=MAX_ATTEMPTS - 1, acks_late=True)
def convert_backend_recording(self, session_pk: int) -> int | None:  # noqa: ANN001
    """Convert, store, verify, then delete the raw files; returns the recording's pk."""
    session = RecordingSession.objects.select_related("meeting").filter(pk=session_pk).first()
    if session is None or session.conversion != RecordingSession.Conversion.PENDING:
        return None  # already done, discarded or nothing to do (safe to repeat)
    try:
        with tempfile.TemporaryDirectory(prefix="recording-") as workdir:
            recording = services.convert_backend_recording_now(
                session=session, workdir=Path(workdir)
            )
    except Exception as error:  # noqa: BLE001 - any failure is retried, then reported
        final = self.request.retries >= self.max_retries
        services.conversion_failed(
            session=session, error=f"{type(error).__name__}: {error}"[:200], final=final
        )
        logger.warning("conversion of session %s failed (final=%s)", session_pk, final)
        if final:
            return None
        raise self.retry(exc=error, countdown=60 * 2**self.request.retries) from error
    logger.info("session %s converted into recording %s", session_pk, recording.pk)
    return recording.pk
