"""Celery tasks of the retention engine: one nightly task per category, and the sweeper.

The schedule lives in django-celery-beat's ``PeriodicTask`` rows (one per registered category,
created after ``migrate`` and editable in the admin). ``acks_late`` and
``reject_on_worker_lost`` (also set globally) put the message back when a worker process dies;
the run is then resumed from the database, and every batch is safe to repeat. A whole worker
killed leaves its message unacknowledged in Redis until the visibility timeout: the sweeper
(``resume_abandoned_purges``, every minute) sends a new purge for such a run instead.
"""

import logging

from celery import shared_task

from retention import services
from retention.schedule import periodic_task_name

logger = logging.getLogger(__name__)

#: A purge that finds another run of its category alive tries again this often, so that a
#: message redelivered while the dead run still looked alive is not simply dropped.
BUSY_RETRIES = 3


@shared_task(
    name="retention.tasks.purge_category",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=False,
)
def purge_category(self, category: str, batch_size: int | None = None) -> dict:  # noqa: ANN001
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
    if (
        report.status == "busy"
        and self.request.retries < BUSY_RETRIES
        and not self.request.is_eager
    ):
        raise self.retry(countdown=services.stale_run_after().total_seconds(), max_retries=None)
    return report.as_dict()


def _queue_of(category: str) -> str | None:
    """The queue the category's nightly task is sent to (an admin may route it)."""
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.filter(name=periodic_task_name(category)).first()
    return (task.queue or None) if task is not None else None


@shared_task(name="retention.tasks.resume_abandoned_purges", acks_late=True)
def resume_abandoned_purges() -> list[str]:
    """Every minute: mark dead runs abandoned and send a purge for each such category."""
    categories = services.categories_to_resume()
    for category in categories:
        purge_category.apply_async(kwargs={"category": category}, queue=_queue_of(category))
    return categories


@shared_task(name="retention.tasks.check_holds", acks_late=True)
def check_holds() -> dict:
    """Nightly before the purges: check every active legal hold's reference; invalid holds are
    shown on the holds page (they protect nothing until fixed)."""
    from retention.holds import check_holds as check

    results = check()
    invalid = [r.hold_id for r in results if r.problem in {"nothing", "several"}]
    if invalid:
        logger.warning("legal holds that protect nothing until fixed: %s", invalid)
    return {"checked": len(results), "invalid": invalid}


HEARTBEAT_CACHE_KEY = "portal:beat-heartbeat"


@shared_task(name="retention.tasks.heartbeat", ignore_result=True)
def heartbeat() -> None:
    """Sent by Celery beat every minute and run by a worker: its time in the shared cache is
    how ``/healthz`` knows that beat schedules and workers run what it sends."""
    from django.core.cache import cache
    from django.utils.timezone import now

    cache.set(HEARTBEAT_CACHE_KEY, now().timestamp(), 24 * 3600)
