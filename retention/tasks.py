"""Celery tasks of the retention engine: one nightly task per category.

The schedule lives in django-celery-beat's ``PeriodicTask`` rows (one per registered category,
created after ``migrate`` and editable in the admin). ``acks_late`` and
``reject_on_worker_lost`` (also set globally) put the message back when a worker dies; the run
is then resumed from the database, and every batch is safe to repeat.
"""

from celery import shared_task

from retention import services


@shared_task(
    name="retention.tasks.purge_category",
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=False,
)
def purge_category(category: str, batch_size: int = services.DEFAULT_BATCH_SIZE) -> dict:
    """Purge what the rules of ``category`` say is expired; a failure fails the task.

    The task fails with the run's sanitised failure text, not the original exception, whose
    traceback Celery would log and store (database errors quote row values).
    """
    try:
        report = services.purge_category(identifier=category, batch_size=batch_size)
    except Exception as exc:
        raise services.PurgeFailed(f"{category}: {services.describe_failure(exc)}") from None
    if report.status == "failed":
        raise services.PurgeFailed(f"{category}: {report.failure}")
    return report.as_dict()


HEARTBEAT_CACHE_KEY = "portal:beat-heartbeat"


@shared_task(name="retention.tasks.heartbeat", ignore_result=True)
def heartbeat() -> None:
    """Sent by Celery beat every minute and run by a worker: its time in the shared cache is
    how ``/healthz`` knows that beat schedules and workers run what it sends."""
    from django.core.cache import cache
    from django.utils.timezone import now

    cache.set(HEARTBEAT_CACHE_KEY, now().timestamp(), 24 * 3600)
