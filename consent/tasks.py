from celery import shared_task

from meetings.recordings.services import purge_withdrawn_recordings


@shared_task(acks_late=True, reject_on_worker_lost=True)
def purge_withdrawn_recordings_task() -> int:
    """Delete recordings whose deletion date (after a withdrawn consent) has passed."""
    return purge_withdrawn_recordings()
