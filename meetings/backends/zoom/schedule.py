"""The nightly reconciliation of the Zoom account as a django-celery-beat row, created after
``migrate`` when missing (an admin's later changes are never overwritten). The task does
nothing unless Zoom is the configured backend, so the row is harmless everywhere else."""

from retention.schedule import PeriodicTaskSpec, ensure_periodic_tasks

#: After the deprovisioning (01:30 UTC), so that leavers' seats are already freed.
ZOOM_NIGHTLY_TASKS = [
    PeriodicTaskSpec(
        name="meetings: reconcile the Zoom account",
        task="meetings.backends.zoom.tasks.reconcile_task",
        minute="50",
        hour="1",
    ),
]


def ensure_zoom_tasks(using: str = "default", **_kwargs: object) -> list[str]:
    """``post_migrate`` receiver: create the missing rows; return the names of those created."""
    return ensure_periodic_tasks(ZOOM_NIGHTLY_TASKS, using=using)
