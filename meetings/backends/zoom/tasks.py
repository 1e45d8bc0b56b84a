"""Celery tasks of the Zoom backend: thin wrappers that retry with backoff while Zoom is
unreachable, rate-limits (honouring ``Retry-After``) or fails, and never retry a refusal."""

from celery import shared_task

from meetings.backends.zoom import services
from meetings.backends.zoom.client import ZoomUnavailable

MAX_RETRIES = 8


def _countdown(task, error: ZoomUnavailable) -> float:  # noqa: ANN001
    backoff = min(600, 5 * 2**task.request.retries)
    return max(error.retry_after, backoff)


def _retrying(function):  # noqa: ANN001, ANN202
    def run(self, *args):  # noqa: ANN001, ANN002, ANN202
        attempts = 0
        while True:
            try:
                return function(*args)
            except ZoomUnavailable as error:
                if not self.request.is_eager:
                    raise self.retry(countdown=_countdown(self, error), exc=error) from None
                # tasks run inline (development, tests): retry at once, as often as a worker would
                attempts += 1
                if attempts > MAX_RETRIES:
                    raise

    run.__name__ = function.__name__
    run.__doc__ = function.__doc__
    return run


def _task(function):  # noqa: ANN001, ANN202
    return shared_task(
        bind=True,
        acks_late=True,
        reject_on_worker_lost=True,
        max_retries=MAX_RETRIES,
        name=f"meetings.backends.zoom.tasks.{function.__name__}",
    )(_retrying(function))


@_task
def sync_meeting_task(zoom_meeting_pk: int) -> str:
    """Create or update the Zoom meeting and confirm the policy."""
    return services.sync_meeting(zoom_meeting_pk=zoom_meeting_pk)


@_task
def delete_meetings_task() -> int:
    """Delete at Zoom every meeting deleted in the portal."""
    from meetings.backends.zoom.models import ZoomMeeting

    done = 0
    for pk in services.meetings_to_delete():
        services.delete_remote_meeting(zoom_meeting=ZoomMeeting.objects.get(pk=pk))
        done += 1
    return done


@_task
def end_meeting_task(zoom_meeting_id: int) -> None:
    services.end_at_zoom(zoom_meeting_id=zoom_meeting_id)


@_task
def push_user_task(user_pk: int) -> str:
    """Push one user's licence decision."""
    return services.push_user(user_pk=user_pk)


@_task
def register_participant_task(registrant_pk: int) -> str:
    return services.register_participant(registrant_pk=registrant_pk)


@_task
def cancel_registrant_task(registrant_pk: int) -> str:
    return services.cancel_registrant(registrant_pk=registrant_pk)


@_task
def stop_recording_task(meeting_pk: int) -> None:
    from meetings.scheduling.models import Meeting

    meeting = Meeting.objects.filter(pk=meeting_pk).first()
    if meeting is not None:
        services.recording_control(meeting=meeting, method="recording.stop")


@_task
def delete_cloud_recording_task(cloud_pk: int) -> str:
    return services.delete_cloud_recording(cloud_pk=cloud_pk)


@_task
def handle_webhook_task(event_pk: int) -> str:
    """Handle one stored webhook delivery (idempotent: Zoom retries deliveries)."""
    from meetings.backends.zoom import webhooks

    return webhooks.handle_event(event_pk=event_pk)


@_task
def reconcile_task() -> int:
    """The nightly reconciliation of Zoom's users and seats with the portal's licences."""
    from meetings.backends.zoom import reconcile

    if not services.is_enabled():
        return 0
    return reconcile.reconcile().pk
