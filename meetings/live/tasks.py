"""Celery tasks of the live room: thin wrappers around :mod:`meetings.live.services`."""

from celery import shared_task

from meetings.live import services as services_live
from meetings.scheduling.models import Meeting


@shared_task(acks_late=True, reject_on_worker_lost=True)
def enforce_meeting_time_limit(meeting_pk: int) -> str:
    """Warn before, and end the meeting at, its host licence's time limit (idempotent)."""
    meeting = Meeting.objects.filter(pk=meeting_pk).select_related("host").first()
    if meeting is None:
        return ""
    result = services_live.enforce_time_limit(meeting=meeting)
    deadline = services_live.time_limit_deadline(meeting=meeting)
    if not result and meeting.status == Meeting.Status.RUNNING and deadline is not None:
        # ran early (clock skew, or the warning fired when already past the warning time):
        # come back at the deadline
        enforce_meeting_time_limit.apply_async(args=[meeting_pk], eta=deadline)
    return result


@shared_task(name="meetings.live.tasks.enforce_time_limits_sweep", acks_late=True)
def enforce_time_limits_sweep() -> dict[str, int]:
    """Every minute (beat): the licence time limits hold even when an ``eta`` task was lost."""
    return services_live.enforce_all_time_limits()
