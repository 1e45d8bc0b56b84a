"""Celery tasks of polls: thin wrappers around :mod:`meetings.polls.services`."""

from celery import shared_task

from meetings.polls import services


@shared_task(acks_late=True, reject_on_worker_lost=True)
def vacuum_ballot_tables() -> bool:
    """Prune dead row versions of the ballot tables after a poll close (idempotent: a second
    run finds nothing left to prune)."""
    return services.vacuum_ballot_tables()
