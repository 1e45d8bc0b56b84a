"""The portal's nightly jobs as django-celery-beat ``PeriodicTask`` rows, created after
``migrate`` when missing by ``retention.schedule.ensure_periodic_tasks`` (an admin's later
changes in "Periodic tasks", time or enabled, are never overwritten).

Deprovisioning runs before the retention purge (02:00 UTC), so that accounts whose deletion
date passed are anonymised the same night.
"""

from retention.schedule import PeriodicTaskSpec, ensure_periodic_tasks

#: Each nightly job, times in UTC.
NIGHTLY_TASKS = [
    PeriodicTaskSpec(
        name="portal: deprovision stale accounts",
        task="portal.identity.tasks.deprovision_stale_accounts_task",
        minute="30",
        hour="1",
    ),
    PeriodicTaskSpec(
        name="portal: refresh IdP metadata",
        task="portal.identity.tasks.refresh_idp_metadata_task",
        minute="10",
        hour="1",
    ),
    PeriodicTaskSpec(
        name="portal: forget expired SSO assertion IDs",
        task="portal.identity.tasks.forget_expired_assertions_task",
        minute="40",
        hour="1",
    ),
]


def ensure_nightly_tasks(using: str = "default", **_kwargs: object) -> list[str]:
    """``post_migrate`` receiver: create the missing rows; return the names of those created."""
    return ensure_periodic_tasks(NIGHTLY_TASKS, using=using)
