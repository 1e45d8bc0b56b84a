"""Celery tasks of the portal: thin wrappers around services."""

from celery import shared_task

from portal.identity.services import deprovision_stale_accounts
from portal.identity.sso.idp import refresh_all_metadata
from portal.identity.sso.replay import forget_expired


@shared_task(
    name="portal.identity.tasks.deprovision_stale_accounts_task",
    acks_late=True,
    reject_on_worker_lost=True,
)
def deprovision_stale_accounts_task() -> int:
    """Idempotent: accounts already queued for deletion are skipped on a rerun."""
    return deprovision_stale_accounts()


@shared_task(
    name="portal.identity.tasks.forget_expired_assertions_task",
    acks_late=True,
    reject_on_worker_lost=True,
)
def forget_expired_assertions_task() -> int:
    return forget_expired()


@shared_task(
    name="portal.identity.tasks.refresh_idp_metadata_task",
    acks_late=True,
    reject_on_worker_lost=True,
)
def refresh_idp_metadata_task() -> dict[str, str]:
    """Idempotent: a refresh with unchanged metadata changes nothing."""
    return refresh_all_metadata()
