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


@shared_task(
    name="portal.identity.tasks.build_data_export_task",
    acks_late=True,
    reject_on_worker_lost=True,
)
def build_data_export_task(export_id: int) -> str:
    """Idempotent: a finished export is left alone, an interrupted one is built again."""
    from portal.identity.rights.services import build_export

    export = build_export(export_id=export_id)
    return export.state if export is not None else "gone"


@shared_task(
    name="portal.identity.tasks.carry_out_erasure_task",
    acks_late=True,
    reject_on_worker_lost=True,
)
def carry_out_erasure_task(request_id: int, handled_by_id: int | None = None) -> str:
    """Idempotent: a request already carried out is left alone; an interrupted one resumes."""
    from portal.identity.models import ErasureRequest, User
    from portal.identity.rights.services import carry_out_erasure

    request = ErasureRequest.objects.filter(pk=request_id).first()
    if request is None:
        return "gone"
    handled_by = User.objects.filter(pk=handled_by_id).first() if handled_by_id else None
    return carry_out_erasure(request=request, handled_by=handled_by).state
