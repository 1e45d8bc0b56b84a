"""Celery tasks of polls: thin wrappers around :mod:`meetings.polls.services`."""

from celery import shared_task

from meetings.polls import services

#: A rewrite that cannot get its lock tries again this often (every 30 s: 10 minutes).
REWRITE_RETRIES = 20


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True)
def vacuum_ballot_tables(self) -> bool:  # noqa: ANN001
    """Rewrite the ballot tables after a poll close so that no page keeps a former row
    version (idempotent: a second run copies the same live rows again)."""
    try:
        return services.vacuum_ballot_tables()
    except services.BallotTablesBusy as busy:
        raise self.retry(countdown=30, max_retries=REWRITE_RETRIES, exc=busy) from None
